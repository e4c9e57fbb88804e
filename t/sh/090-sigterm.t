#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGTERM under traffic: egress and socks-client, each killed mid-transfer,
# stop accepting, exit 0 within a bounded time, and do not crash.
. "$PW_TOP/t/lib.sh"

N=300000000
pw_httpd 1000
H=$httpd_port

# transfer PROXY-PORT: start a download of N zeros through the proxy; block
# until its first megabyte has arrived (a line on a fifo, no sleep).
transfer() {
	rm -f "$T/mark"
	mkfifo "$T/mark"
	python3 "$PW_PY/get.py" --mark 1000000 --markfile "$T/mark" --rate 100 \
		"127.0.0.1:$1" 127.0.0.1 "$H" "zero/$N" >"$T/get.out" 2>&1 &
	get_pid=$!
	pw_track "$get_pid"
	m=$(timeout 20 head -n 1 "$T/mark")
	[ "$m" = mark ] || fail "transfer through port $1 did not start: $(cat "$T/get.out")"
}

# 1. egress gets SIGTERM while a stream flows through socks-client.
pw_start e1 1 pw_egress -l tcp:127.0.0.1:0 --allow "127.0.0.1:$H"
e1_pid=$pw_pid e1_ep=$pw_ep e1_port=$pw_port
pw_start c1 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$e1_ep"
c1_port=$pw_port
transfer "$c1_port"
kill -TERM "$e1_pid"
# It stops accepting at once; the data already in flight may drain.
python3 "$PW_PY/raw.py" "127.0.0.1:$e1_port" s:050100 x:0500 >/dev/null 2>&1 &&
	note "egress still accepted a connection after SIGTERM (drain in progress?)"
pw_wait "$e1_pid" 20
case $pw_rc in
0) note "egress exited 0 after SIGTERM" ;;
timeout) fail "egress did not exit within 20 s of SIGTERM under traffic" ;;
*) fail "egress exited with status $pw_rc after SIGTERM under traffic" ;;
esac
grep -q Sanitizer "$T/e1.err" && fail "egress: sanitizer report"
pw_wait "$get_pid" 20
note "client side after egress exit: $(tr '\n' ' ' <"$T/get.out")"
[ "$pw_rc" = timeout ] && fail "the application hung after egress exited"
pw_alive c1
pw_stop c1

# 2. socks-client gets SIGTERM mid-transfer; the egress lives on.
pw_start e2 1 pw_egress -l tcp:127.0.0.1:0 --allow "127.0.0.1:$H"
e2_ep=$pw_ep e2_port=$pw_port
pw_start c2 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$e2_ep"
c2_pid=$pw_pid c2_port=$pw_port
transfer "$c2_port"
kill -TERM "$c2_pid"
pw_wait "$c2_pid" 20
case $pw_rc in
0) note "socks-client exited 0 after SIGTERM" ;;
timeout) fail "socks-client did not exit within 20 s of SIGTERM under traffic" ;;
*) fail "socks-client exited with status $pw_rc after SIGTERM under traffic" ;;
esac
grep -q Sanitizer "$T/c2.err" && fail "socks-client: sanitizer report"
pw_wait "$get_pid" 20
[ "$pw_rc" = timeout ] && fail "the application hung after socks-client exited"
pw_alive e2
pw_fetch e2-still-serving 1k.bin --socks5 "127.0.0.1:$e2_port" "http://127.0.0.1:$H/1k.bin"

# 3. egress with a direct SOCKS5 stream in flight.
transfer "$e2_port"
pw_stop e2 20
pw_wait "$get_pid" 20
[ "$pw_rc" = timeout ] && fail "the application hung after egress exited"

# 4. idle programs exit at once.
pw_start e3 1 pw_egress -l tcp:127.0.0.1:0 -l "unix:$T/e3.sock"
pw_start c3 1 pw_socks_client -l tcp:127.0.0.1:0 -C "unix:$T/e3.sock"
pw_stop c3 5
pw_stop e3 5
exit 0
