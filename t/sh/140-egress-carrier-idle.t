#!/bin/sh
# SPDX-License-Identifier: MIT
# A carrier that brings no accepted datagram for 60 seconds (its client
# stopped: no keepalive) is closed and counted as idle_timeout, no
# sooner (its session, silent as long, has ended by then at smux's
# keepalive timeout), and the client, once it wakes up, is served again.
# Takes a minute.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000
H=$httpd_port
pw_start egress 2 pw_egress -l tcp:127.0.0.1:0 --admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_ep=$pw_ep
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_pid=$pw_pid client_port=$pw_port
fetch() {
	pw_fetch "$1" 1k.bin --max-time 20 --socks5-hostname "127.0.0.1:$client_port" \
		"http://127.0.0.1:$H/1k.bin"
}
fetch before
kill -STOP "$client_pid"
t0=$(date +%s)
python3 "$PW_PY/wait-for.py" "$T/egress.err" "carriers closed after 60 s without an accepted datagram" 90 ||
	fail "the silent carrier was not closed: $(tail -n 3 "$T/egress.err")"
t1=$(date +%s)
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="idle_timeout"}')
c=$(pw_metric "$T/admin.sock" egress_carriers)
kill -CONT "$client_pid"
note "closed $((t1 - t0)) s after the client stopped; idle_timeout $n, carriers $c"
[ $((t1 - t0)) -ge 59 ] || fail "closed after $((t1 - t0)) s, before the 60 s"
if [ "$n" != 1 ] || [ "$c" != 0 ]; then fail "idle_timeout $n, carriers $c after the close"; fi
fetch after
pw_stop client
pw_stop egress
pw_stop httpd
