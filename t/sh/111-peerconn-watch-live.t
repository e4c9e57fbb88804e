#!/bin/sh
# SPDX-License-Identifier: MIT
# peerconn-watch live: it listens on a UNIX socket, egress --events
# connects to it, and connections through socks-client to several local
# ports (three web servers, a dozen closed ports) make the scanning rule
# fire with a low threshold. SIGUSR1 prints a summary; SIGTERM exits 0
# with one.
. "$PW_TOP/t/lib.sh"

# wait_for FILE PATTERN: until a line of FILE matches (a bounded poll, 10 s).
wait_for() {
	python3 "$PW_PY/wait-for.py" --re "$1" "$2" 10 ||
		fail "no line matching '$2' in $(basename "$1"): $(tail -n 5 "$1")"
}

printf 'scan hosts=0 ports=10 bytes=4096\nrate accepts=1000000\n' >"$T/scan.rules"
pw_start watch 1 "$PW_BIN/peerconn-watch" -l "unix:$T/events.sock" --rules "$T/scan.rules"
watch_pid=$pw_pid
[ "$pw_ep" = "unix:$T/events.sock" ] || fail "watch: ready $pw_ep"

mkdir -p "$T/www"
head -c 1024 /dev/urandom >"$T/www/1k.bin"
ports=""
for i in 1 2 3; do
	pw_start "httpd$i" 1 "$PW_HELPERS/httpd" -l tcp:127.0.0.1:0 -d "$T/www"
	ports="$ports $pw_port"
done
pw_start egress 1 pw_egress -l tcp:127.0.0.1:0 --events "unix:$T/events.sock" \
	--allow 127.0.0.1
egress_ep=$pw_ep
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_port=$pw_port

# The web servers: a real download each. Then twelve closed ports.
for p in $ports; do
	pw_fetch "get-$p" 1k.bin --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$p/1k.bin"
done
python3 - "$client_port" <<'PY' || fail "connection attempts failed"
import socket, sys
codes = []
for port in range(1, 13):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"\x05\x01\x00")
    assert s.recv(2) == b"\x05\x00"
    s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + port.to_bytes(2, "big"))
    r = s.recv(10)
    codes.append(r[1] if len(r) > 1 else -1)
    s.close()
print("# SOCKS5 replies for ports 1-12:", codes)
PY

# The bucket is the Turbo Tunnel session when socks-client carries one,
# else the client's address.
wait_for "$T/watch.out" '	scan	(127\.0\.0\.1|session:[0-9a-f]{8})	hosts=[0-9]+ ports=(1[0-9]|[2-9][0-9]) '
note "finding: $(grep '	scan	' "$T/watch.out")"
[ "$(grep -c '	scan	' "$T/watch.out")" -eq 1 ] || fail "scan reported more than once per window"

kill -USR1 "$watch_pid"
wait_for "$T/watch.out" '^# (127\.0\.0\.1|session:[0-9a-f]{8})	'
pw_alive watch
pw_stop client
pw_stop egress
pw_stop watch
grep -q '^# summary .*findings=1 ' "$T/watch.out" || fail "no final summary: $(tail -n 3 "$T/watch.out")"
[ "$(grep -c '^# summary' "$T/watch.out")" -eq 2 ] || fail "want 2 summaries (SIGUSR1, exit)"
[ ! -e "$T/events.sock" ] || fail "socket file left behind"
