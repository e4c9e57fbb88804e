#!/bin/sh
# SPDX-License-Identifier: MIT
# Interop with pion the other way round: our offerer (as peer-client
# will be) gets a real snowflake-proxy (Go, pion) through a stand-in
# broker (t/helpers/rtc-broker.py proxy); the proxy answers, is the DTLS
# client (its hello meets our DTLS server), accepts our DCEP channel and
# relays it to a WebSocket echo server, adding client_ip. 4 MiB sent in
# 1200-byte messages (Snowflake's size) come back sha256-exact.
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
N=4194304
head -c "$N" /dev/urandom >"$T/a" || fail "urandom"
# The broker opens o2a then a2o, as the offerer does: start them together.
rtc_offer --stun 192.0.2.1:3478 --label snowflake-0123456789abcdef --send "$T/a" --msg-size 1200 \
	--expect "$N" --save "$T/a.got" --echoed --timeout 90
pw_start broker 1 python3 "$PW_PY/rtc-broker.py" proxy 192.0.2.1 "$T/o2a" "$T/a2o"
broker=${pw_ep#tcp:}
pw_start_bg proxy snowflake-proxy -broker "http://$broker/" -relay "ws://$ws/" -allow-non-tls-relay \
	-stun stun:192.0.2.1:3478 -keep-local-addresses -capacity 1 -verbose
note "$(snowflake-proxy -version 2>&1 | head -n 1); broker $broker, relay ws://$ws/"
pw_wait "$rtc_off_pid" 100
[ "$pw_rc" = 0 ] || fail "offerer exit $pw_rc: $(cat "$T/off.out"; tail -n 20 "$T/proxy.err")"
cat "$T/off.out"
[ "$(pw_sha "$T/a")" = "$(pw_sha "$T/a.got")" ] || fail "echo through snowflake-proxy differs"
grep -q '^client_ip ' "$T/ws.out" && note "relay saw $(grep '^client_ip ' "$T/ws.out" | head -n 1)"
grep -q Sanitizer "$T/off.err" && fail "sanitizer report"
exit 0
