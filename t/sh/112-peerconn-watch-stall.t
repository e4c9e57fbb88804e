#!/bin/sh
# SPDX-License-Identifier: MIT
# A stopped or killed peerconn-watch never stalls the egress: with the
# watcher stopped (SIGSTOP) and its event queue overrun, a 100 MB
# download through socks-client and egress takes no longer than with the
# watcher running, and egress reports dropped events; after SIGKILL the
# egress notices, keeps relaying (also for socks-client), and reconnects
# to a new watcher.
. "$PW_TOP/t/lib.sh"

N=100000000

# wait_for FILE PATTERN SECONDS: until a line of FILE matches (a bounded poll).
wait_for() {
	python3 "$PW_PY/wait-for.py" --re "$1" "$2" "$3" ||
		fail "no line matching '$2' in $(basename "$1") within $3 s"
}
pw_start watch 1 "$PW_BIN/peerconn-watch" -l "unix:$T/events.sock"
watch_pid=$pw_pid
pw_httpd 1000
pw_start egress 1 pw_egress -l tcp:127.0.0.1:0 --events "unix:$T/events.sock" \
	--allow "127.0.0.1"
egress_ep=$pw_ep egress_port=$pw_port
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_port=$pw_port

# download LABEL: N zeros straight through the egress (SOCKS5), so that
# the time measures the egress alone; print the seconds it took.
download() {
	_out=$(curl -sS --max-time 60 -o /dev/null -w '%{size_download} %{time_total}' \
		--socks5-hostname "127.0.0.1:$egress_port" \
		"http://127.0.0.1:$httpd_port/zero/$N" 2>"$T/$1.cerr") ||
		fail "$1: curl: $(cat "$T/$1.cerr")"
	[ "${_out% *}" -eq "$N" ] || fail "$1: got ${_out% *} of $N bytes"
	echo "${_out#* }"
}

base=$(download baseline)
note "baseline: $N bytes in ${base}s with the watcher running"

kill -STOP "$watch_pid"
# Overrun the egress's 1 MiB event queue: 8000 refused streams, 16000 events.
python3 - "$egress_port" <<'PY' || fail "event flood failed"
import socket, sys
for i in range(8000):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"\x05\x01\x00\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x01")
    b = b""
    while len(b) < 12:
        c = s.recv(12 - len(b))
        if not c:
            break
        b += c
    s.close()
    if len(b) != 12 or b[3] != 5:
        sys.exit("attempt %d: reply %r" % (i, b))
PY
grep -q 'events: dropped' "$T/egress.err" || fail "egress reported no dropped events"
note "egress: $(grep 'events: dropped' "$T/egress.err" | head -n 1)"

stalled=$(download stalled)
note "stalled: $N bytes in ${stalled}s with the watcher stopped"
awk -v a="$stalled" -v b="$base" 'BEGIN { exit !(a <= 3 * b + 1) }' ||
	fail "download with a stopped watcher took ${stalled}s, ${base}s without"

# Killed: the egress notices, keeps relaying, and finds a new watcher.
kill -KILL "$watch_pid"
kill -CONT "$watch_pid" 2>/dev/null
pw_wait "$watch_pid" 10
killed=$(download killed)
note "killed: $N bytes in ${killed}s with the watcher gone"
pw_alive egress
pw_start watch2 1 "$PW_BIN/peerconn-watch" -v -l "unix:$T/events.sock"
# The egress retries with a backoff that has grown while nobody listened.
wait_for "$T/watch2.err" 'event writer connected' 40
pw_fetch after 1k.bin --socks5-hostname "127.0.0.1:$client_port" \
	"http://127.0.0.1:$httpd_port/1k.bin"
pw_stop client
pw_stop egress
pw_stop watch2
grep -Eq 'events: reader .*(went away|reconnecting)' "$T/egress.err" || fail "egress did not notice the watcher going"
grep -q '^# summary .* events=[1-9]' "$T/watch2.out" ||
	fail "the new watcher got no events: $(grep summary "$T/watch2.out")"
