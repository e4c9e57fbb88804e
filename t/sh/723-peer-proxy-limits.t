#!/bin/sh
# SPDX-License-Identifier: MIT
# peer-proxy's bounds, with our peer-client as the client and a WebSocket
# echo server as the relay: (1) a legitimate client's 200 kB come back
# exact; (2) --capacity 1: while a client is served the proxy does not
# poll (the broker holds no poll of it), and polls again once it left;
# (3) --client-bytes: a client that sends 8 MB is cut after about 1 MB
# (both ways counted), peer-client exits 111 saying its volunteer is
# gone, and the next client is served; (4) the proxy's peak RSS stays
# bounded. A network namespace of its own, coturn as STUN.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_start ws 1 python3 "$PW_PY/ws-echo.py" 127.0.0.1
relay="ws://${pw_ep#tcp:}/"
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
rdv_port=$pw_port
pw_start_bg proxy "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay" \
	--stun "stun:127.0.0.1:$turn_port" --nat unrestricted --capacity 1 --poll-interval 1 \
	--client-bytes 1000000
proxy=$pw_pid

waiting() {
	_i=0
	until [ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_proxies_waiting)" = "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 200 ] || fail "proxies_waiting never $1 ($2): $(tail -n 5 "$T/proxy.err")"
		python3 -c 'import time; time.sleep(0.1)'
	done
}

pc() {
	python3 "$PW_PY/peer-echo.py" "$2" 60 "$PW_BIN/peer-client" -v --broker "http://127.0.0.1:$rdv_port/" \
		--stun "stun:127.0.0.1:$turn_port" >"$T/$1.res" 2>"$T/$1.err"
}

waiting 1 "at start"
pc legit 200000
grep -q "^match yes" "$T/legit.res" || fail "legitimate client: $(cat "$T/legit.res" "$T/legit.err")"
note "legitimate client: $(tr '\n' ' ' <"$T/legit.res")"

# (2) capacity: while a client holds the only slot the proxy does not
# poll; once it left, it polls again.
PEER_ECHO_HOLD="$T/release" pc held 1000 &
held=$!
pw_track "$held"
python3 "$PW_PY/wait-for.py" "$T/held.err" "open after" 60 || fail "the held client never got through"
[ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_proxies_waiting)" = 0 ] ||
	fail "the proxy polls while at capacity"
: >"$T/release"
pw_wait "$held" 30
grep -q "^match yes" "$T/held.res" || fail "held client: $(cat "$T/held.res" "$T/held.err")"
waiting 1 "after the held client"

# (3) a client over the byte limit.
pc greedy 8000000 &
greedy=$!
pw_track "$greedy"
pw_wait "$greedy" 90
grep -q "byte limit" "$T/proxy.err" || fail "no byte limit: $(tail -n 5 "$T/proxy.err")"
echoed=$(awk '$1 == "echoed" { print $2 }' "$T/greedy.res")
grep -q "^rc 111" "$T/greedy.res" || fail "greedy client: $(cat "$T/greedy.res")"
grep -q "volunteer gone" "$T/greedy.err" || fail "peer-client gave no reason: $(cat "$T/greedy.err")"
[ "$echoed" -le 1100000 ] || fail "the greedy client got $echoed bytes back past a 1 MB limit"
note "greedy client cut: $(tr '\n' ' ' <"$T/greedy.res"); $(grep "volunteer gone" "$T/greedy.err")"
waiting 1 "after the greedy client"
pc next 100000
grep -q "^match yes" "$T/next.res" || fail "the next client: $(cat "$T/next.res" "$T/next.err")"
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$proxy/status")
note "peer-proxy peak RSS ${rss} KiB"
[ "$rss" -lt 120000 ] || fail "peer-proxy peak RSS ${rss} KiB"
kill -TERM "$proxy"
pw_wait "$proxy" 10
[ "$pw_rc" = 0 ] || fail "peer-proxy exit $pw_rc on SIGTERM"
grep -q Sanitizer "$T/proxy.err" "$T/legit.err" "$T/next.err" && fail "sanitizer report"
pw_stop rdv
exit 0
