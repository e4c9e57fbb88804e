#!/bin/sh
# SPDX-License-Identifier: MIT
# peer-proxy toward a client that does not read, with a WebSocket echo
# server as the relay: the client's peer-client is fed 200 MB and its
# stdout never read, so the echo comes back faster than it leaves. The
# volunteer reads the relay only while SCTP takes what it sends, and
# pauses the channel while the relay has not taken the client's bytes
# (peer-proxy(8), LIMITS), so the client is held back: it stalls
# having written a bounded amount, the volunteer's RSS grows by little
# (bound 40 MiB with room for ASan; measured in the notes), and a second
# client is served meanwhile, its 300 kB echoed exact. Then the stuck
# client goes, and a third is served. A network namespace, coturn as STUN.
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
	--stun "stun:127.0.0.1:$turn_port" --nat unrestricted --capacity 2 --poll-interval 1
proxy=$pw_pid
PC="$PW_BIN/peer-client -v --broker http://127.0.0.1:$rdv_port/ --stun stun:127.0.0.1:$turn_port"

waiting() {
	rdv_wait_proxies "$T/rdv-admin.sock" 1 "$T/proxy.err"
}
rss() {
	awk '/VmRSS/ { print $2 }' "/proc/$proxy/status"
}
echo_client() {
	# shellcheck disable=SC2086 # PC is a command line
	python3 "$PW_PY/peer-echo.py" "$2" 60 $PC >"$T/$1.res" 2>"$T/$1.err"
	grep -q "^match yes" "$T/$1.res" || fail "$1 client: $(cat "$T/$1.res" "$T/$1.err")"
}

waiting
echo_client first 300000
waiting
rss0=$(rss)

# shellcheck disable=SC2086 # PC is a command line
python3 "$PW_PY/peer-stuck.py" 200000000 "$T/release" 120 $PC >"$T/stuck.res" 2>"$T/stuck.err" &
stuck=$!
pw_track "$stuck"
python3 "$PW_PY/wait-for.py" "$T/stuck.res" "stalled" 90 ||
	fail "the stuck client was never held back: $(cat "$T/stuck.res"; tail -n 5 "$T/stuck.err")"
rss1=$(rss)
waiting
echo_client second 300000
rss2=$(rss)
grep -q "past the paused window" "$T/proxy.err" && fail "a client was cut: $(tail -n 5 "$T/proxy.err")"
: >"$T/release"
pw_wait "$stuck" 30
note "stuck client: $(tr '\n' ' ' <"$T/stuck.res")"
note "peer-proxy RSS: ${rss0} KiB before, ${rss1} KiB with the stuck client held back, ${rss2} KiB after a second client"
grow=$((rss2 > rss1 ? rss2 - rss0 : rss1 - rss0))
[ "$grow" -lt 40960 ] || fail "peer-proxy grew by $grow KiB with a client that does not read"
accepted=$(awk '$1 == "accepted" { print $2 }' "$T/stuck.res")
[ "$accepted" -lt 100000000 ] || fail "the stuck client wrote $accepted bytes: not held back"
waiting
echo_client third 300000
kill -TERM "$proxy"
pw_wait "$proxy" 10
[ "$pw_rc" = 0 ] || fail "peer-proxy exit $pw_rc on SIGTERM"
grep -q Sanitizer "$T/proxy.err" "$T/first.err" "$T/second.err" "$T/third.err" && fail "sanitizer report"
pw_stop rdv
exit 0
