#!/bin/sh
# SPDX-License-Identifier: MIT
# The volunteer disappears: our offerer holds a channel to a real
# snowflake-proxy (pion), idle for 3 s (nothing may close it), then
# sending (the proxy relays to an echo server), and the proxy is killed
# mid-transfer: we notice within about a second (Snowflake's own client
# takes 20 s), from the heartbeat we demand once the flow went quiet.
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
. "$PW_TOP/t/lib-turn.sh"
command -v snowflake-proxy >/dev/null 2>&1 || { note "SKIP: snowflake-proxy not installed"; exit 0; }
rtc_veth
rtc_stun 192.0.2.1

pw_start ws 1 python3 "$PW_PY/ws-echo.py" 192.0.2.1
ws=${pw_ep#tcp:}
rtc_fifos
truncate -s 1000000000 "$T/big" || fail "truncate"
rtc_offer --stun 192.0.2.1:3478 --label snowflake-0123456789abcdef --hold --loss-ms 1000 --timeout 90 \
	--send "$T/big" --send-after-ms 4000
pw_start broker 1 python3 "$PW_PY/rtc-broker.py" proxy 192.0.2.1 "$T/o2a" "$T/a2o"
broker=${pw_ep#tcp:}
pw_start_bg proxy snowflake-proxy -broker "http://$broker/" -relay "ws://$ws/" -allow-non-tls-relay \
	-stun stun:192.0.2.1:3478 -keep-local-addresses -capacity 1
proxy_pid=$pw_pid
python3 "$PW_PY/wait-for.py" --re "$T/off.out" '^open ' 40 || fail "no channel: $(cat "$T/off.out")"
# Idle for 3 s (three times the loss bound): nothing may close.
python3 "$PW_PY/wait-for.py" --re "$T/off.out" '^closed ' 3 &&
	fail "an idle channel to pion was closed: $(grep closed "$T/off.out")"
pw_alive off
python3 "$PW_PY/wait-for.py" --re "$T/off.out" '^sending-ms ' 20 || fail "never sent: $(cat "$T/off.out")"
t0=$(rtc_ms)
kill -KILL "$proxy_pid"
pw_wait "$rtc_off_pid" 10
t1=$(rtc_ms)
[ "$pw_rc" = 111 ] || fail "offerer exit $pw_rc: $(cat "$T/off.out")"
grep -q '^closed peer silent' "$T/off.out" || fail "reason: $(grep closed "$T/off.out")"
note "snowflake-proxy killed mid-transfer, noticed after $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 3000 ] || fail "loss noticed after $((t1 - t0)) ms"
grep -q Sanitizer "$T/off.err" && fail "sanitizer report"
exit 0
