#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGTERM under traffic: with a 20 MB download in flight through
# meek-server, SIGTERM makes it stop accepting, answer what is in flight,
# close its sessions and exit 0 (no sanitizer report); a second server
# with idle keep-alive connections and sessions exits 0 at once.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

pw_httpd 20000000
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock" --allow "127.0.0.1:$httpd_port"
meeks_start -u "unix:$T/egress.sock"
mkfifo "$T/mark"
python3 "$PW_PY/meek-fetch.py" "127.0.0.1:$meeks_port" "$httpd_port" big.bin \
	--mark 2000000 >"$T/mark" 2>"$T/fetch.err" &
pw_track "$!"
read -r m <"$T/mark" || fail "the download never started: $(cat "$T/fetch.err")"
[ "$m" = mark ] || fail "fetch said '$m'"
pw_stop meeks
note "meek-server exited 0 under traffic"

pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
pw_start idle 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock"
meeks_port=$pw_port
out=$(python3 "$PW_PY/meek-many.py" "127.0.0.1:$meeks_port" 50 2) || fail "sessions: $out"
mkfifo "$T/held"
python3 - "$meeks_port" >"$T/held" <<'PY' &
import socket, sys
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
for c in s:
    c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    c.recv(4096)
print("held", flush=True)
for c in s:
    c.recv(1)
PY
pw_track "$!"
read -r m <"$T/held" || fail "connections not held"
pw_stop idle 5
note "idle meek-server exited 0 with 50 sessions and 3 idle connections"
