#!/bin/sh
# SPDX-License-Identifier: MIT
# peer-proxy follows the broker's RelayURL, as snowflake-proxy does: our
# rendezvous knows two relays (WebSocket echo servers on 127.0.0.1 and
# 127.0.0.2) and hands a proxy the one its accepted pattern admits. A
# proxy whose --relay is the first but whose --allowed-relay-pattern
# admits only 127.0.0.2 sends its client there (the echo comes back
# exact, and only the second relay saw an upgrade); a proxy without the
# option sends its pattern ^127.0.0.1$ and its client to the first.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_start ws1 1 python3 "$PW_PY/ws-echo.py" 127.0.0.1
relay1="ws://${pw_ep#tcp:}/"
pw_start ws2 1 python3 "$PW_PY/ws-echo.py" 127.0.0.2
relay2="ws://${pw_ep#tcp:}/"
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay1" --relay "$relay2" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
rdv_port=$pw_port
waiting() {
	_i=0
	until [ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_proxies_waiting)" = "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 200 ] || fail "proxies_waiting never $1: $(tail -n 5 "$T"/proxy*.err)"
		python3 -c 'import time; time.sleep(0.1)'
	done
}
pc() {
	python3 "$PW_PY/peer-echo.py" 100000 60 "$PW_BIN/peer-client" -v --broker "http://127.0.0.1:$rdv_port/" \
		--stun "stun:127.0.0.1:$turn_port" >"$T/$1.res" 2>"$T/$1.err"
}

pw_start_bg proxy1 "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay1" \
	--allowed-relay-pattern '^127.0.0.2$' --stun "stun:127.0.0.1:$turn_port" --nat unrestricted \
	--capacity 1 --poll-interval 1
proxy1=$pw_pid
waiting 1
pc c1
grep -q "^match yes" "$T/c1.res" || fail "client through the broker's relay: $(cat "$T/c1.res" "$T/c1.err")"
grep -q "relay ws://127.0.0.2:[0-9]*/?client_ip=.* open" "$T/proxy1.err" ||
	fail "not relayed to 127.0.0.2: $(grep relay "$T/proxy1.err")"
grep -q "^client_ip " "$T/ws2.out" || fail "the second relay saw no upgrade: $(cat "$T/ws2.out")"
grep -q "^client_ip " "$T/ws1.out" && fail "the first relay saw an upgrade"
note "RelayURL followed: $(grep -o "relay ws://[^ ]* open" "$T/proxy1.err" | head -n 1)"
kill -TERM "$proxy1"
pw_wait "$proxy1" 10

pw_start_bg proxy2 "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay1" \
	--stun "stun:127.0.0.1:$turn_port" --nat unrestricted --capacity 1 --poll-interval 1
waiting 1
pc c2
grep -q "^match yes" "$T/c2.res" || fail "client through --relay: $(cat "$T/c2.res" "$T/c2.err")"
grep -q "relay ws://127.0.0.1:[0-9]*/?client_ip=.* open" "$T/proxy2.err" ||
	fail "not relayed to 127.0.0.1: $(grep relay "$T/proxy2.err")"
grep -q "^client_ip " "$T/ws1.out" || fail "the first relay saw no upgrade"
grep -q Sanitizer "$T"/proxy*.err "$T"/c*.err && fail "sanitizer report"
exit 0
