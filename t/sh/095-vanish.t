#!/bin/sh
# SPDX-License-Identifier: MIT
# Peers vanishing mid-stream: the web server, then the egress (SIGKILL).
# The application gets an error promptly instead of hanging, the survivors
# keep serving, and socks-client works again once an egress is back.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000
H=$httpd_port
sock="$T/egress.sock"
pw_start egress 1 pw_egress -l "unix:$sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "unix:$sock"
client_port=$pw_port

# transfer: a 300 MB download at a limited rate through socks-client;
# returns once its first megabyte arrived.
transfer() {
	rm -f "$T/mark"
	mkfifo "$T/mark"
	python3 "$PW_PY/get.py" --mark 1000000 --markfile "$T/mark" --rate 50 \
		"127.0.0.1:$client_port" 127.0.0.1 "$1" zero/300000000 >"$T/get.out" 2>&1 &
	get_pid=$!
	pw_track "$get_pid"
	m=$(timeout 20 head -n 1 "$T/mark")
	[ "$m" = mark ] || fail "transfer did not start: $(cat "$T/get.out")"
}

# ends_short WHAT: the application sees the end within 10 s, short.
ends_short() {
	pw_wait "$get_pid" 10
	[ "$pw_rc" = timeout ] && fail "$1: the application still hangs 10 s later"
	[ "$pw_rc" -ne 0 ] || fail "$1: the transfer claims success: $(cat "$T/get.out")"
	note "$1: application saw: $(tr '\n' ' ' <"$T/get.out")"
}

# 1. The web server dies.
transfer "$H"
kill -KILL "$httpd_pid"
ends_short "web server killed"
pw_alive egress
pw_alive client
pw_httpd 1000
H=$httpd_port
# The egress allows only the first server's port: reach the new one direct.
pw_stop egress
pw_start egress 1 pw_egress -l "unix:$sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid
pw_fetch after-httpd-death 1k.bin --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$H/1k.bin"

# 2. The egress dies.
transfer "$H"
kill -KILL "$egress_pid"
ends_short "egress killed"
pw_alive client
curl -sS --max-time 10 -o /dev/null --socks5-hostname "127.0.0.1:$client_port" \
	"http://127.0.0.1:$H/1k.bin" 2>"$T/noegress.cerr"
rc=$?
[ "$rc" -eq 97 ] || fail "no egress: curl exit $rc, want 97: $(cat "$T/noegress.cerr")"
pw_connect_status no-egress 502 "$client_port" "http://127.0.0.1:$H/1k.bin"
rm -f "$sock"
pw_start egress 1 pw_egress -l "unix:$sock" --allow "127.0.0.1:$H"
pw_fetch egress-back 1k.bin --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$H/1k.bin"
pw_stop client
pw_stop egress
