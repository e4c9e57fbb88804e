#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-server's pipelining extension (X-Meek-Pipeline): requests of one
# session on several connections are written upstream in X-Meek-Seq
# order (seq 1 sent before seq 0 is held, then delivered after it) and
# the answers offer the extension; a retry of an answered seq gets the
# same bytes and writes nothing upstream again; a gap that is never filled fails the
# session within --read-timeout (400 to every waiting request, bodies
# never read, RSS flat) and a sequence outside the window is refused;
# with --pipeline 0 the answers do not offer it.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

meeks_unix_echo echo
meeks_start -u "unix:$T/echo.sock" --admin "unix:$T/admin.sock" --read-timeout 1
sid=$(meeks_sid)
out=$(python3 "$PW_PY/meek-pipe.py" order "127.0.0.1:$meeks_port" "$meeks_admin" "$sid") ||
	fail "order: $out"
note "order: $out"
case $out in
"answers=200,200 pipe=v=1,window=8,hold=1000 echoed=AAAABBBB") ;;
*) fail "order: $out" ;;
esac
[ "$(meeks_metric pipelined_sessions)" = 1 ] || fail "no pipelined session counted"

# A retry of an answered seq gets the same answer, and its body is not
# written upstream twice.
out=$(python3 "$PW_PY/meek-pipe.py" retry "127.0.0.1:$meeks_port" "$meeks_admin" "$(meeks_sid)") ||
	fail "retry: $out"
note "retry: $out"
[ "$out" = "statuses=200,200,200 retry=same echoed=AAAA" ] || fail "retry: $out"
[ "$(meeks_metric replays)" -ge 1 ] || fail "retry: no replay counted"

# A gap: seq 1..3 wait for a seq 0 that never comes.
rss0=$(pw_rss "$meeks_pid")
sid=$(meeks_sid)
out=$(python3 "$PW_PY/meek-pipe.py" gap "127.0.0.1:$meeks_port" "$meeks_admin" "$sid") ||
	fail "gap: $out"
note "gap: $(echo "$out" | tr '\n' ' ')"
[ "$(echo "$out" | grep -c 'status=400 body=sequence gap not filled')" -eq 3 ] || fail "gap: $out"
echo "$out" | grep -q '^seq=40 status=400' || fail "gap: seq 40 was taken: $out"
[ "$(meeks_metric pipelined_gaps)" = 1 ] || fail "gap: not counted"
rss1=$(pw_rss "$meeks_pid")
[ "$((rss1 - rss0))" -lt 4096 ] || fail "gap: RSS grew from $rss0 kB to $rss1 kB"
pw_stop meeks

# --pipeline 0: the classic serial server; the answer does not offer it.
meeks_start -u "unix:$T/echo.sock" --pipeline 0
meeks_req serial '{"sid":"'"$(meeks_sid)"'","seq":0,"body":"00","headers":{"X-Meek-Pipeline":"v=1, window=8, base=0"}}'
meeks_want serial "status=200"
out=$(printf 'POST / HTTP/1.1\r\nHost: x\r\nX-Session-Id: %s\r\nX-Meek-Seq: 0\r\nX-Meek-Pipeline: v=1, window=8, base=0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' \
	"$(meeks_sid)" | socat -t 5 - "TCP:127.0.0.1:$meeks_port")
case $out in
*[Xx]-[Mm]eek-[Pp]ipeline*) fail "--pipeline 0 offered it: $out" ;;
esac
pw_stop meeks
exit 0
