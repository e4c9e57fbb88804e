#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client under pressure: an upstream pushes 40 MB while the reader of
# meek-client's stdout stops for a while: meek-client stops polling, its
# RSS stays flat, and the bytes arrive afterwards. A reader that goes
# away ends meek-client with 0; SIGTERM in the middle of a transfer ends
# it with 0 at once. An upstream that never reads holds the writer of
# meek-client's stdin back (bounded backlog) with RSS flat.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"

pw_start push 1 python3 "$PW_PY/meek-echo.py" "unix:$T/push.sock" --push 40000000
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/push.sock"
url="http://127.0.0.1:$pw_port/"

# The reader stalls for 2 s, then reads 30 MB and leaves; stdin stays open.
mkfifo "$T/in.fifo" "$T/out.fifo"
exec 5<>"$T/in.fifo"
"$MEEKC" --url "$url" --insecure-plaintext -v <"$T/in.fifo" >"$T/out.fifo" 2>"$T/slow.err" 5>&- &
mpid=$!
pw_track "$mpid"
# A session starts with a body: one byte gets the upstream dialled.
printf x >&5
out=$(python3 "$PW_PY/meekc-reader.py" "$T/out.fifo" "$mpid" 2 30000000 5>&-) || fail "reader: $out"
note "slow: $out"
case $out in
"total=30000000 "*) ;;
*) fail "slow: reader got $out" ;;
esac
base=$(echo "$out" | sed 's/.*rss_base=\([0-9]*\).*/\1/')
peak=$(echo "$out" | sed 's/.*rss_peak=\([0-9]*\).*/\1/')
[ "$((peak - base))" -lt 4096 ] || fail "slow: RSS grew from $base kB to $peak kB"
# The reader is gone: the next write fails and meek-client exits 0.
pw_wait "$mpid" 30
exec 5>&-
[ "$pw_rc" = 0 ] || fail "slow: exit $pw_rc after the reader left: $(tail -n 3 "$T/slow.err")"
grep -q 'stdout closed by the reader' "$T/slow.err" || fail "slow: $(tail -n 3 "$T/slow.err")"
grep -q Sanitizer "$T/slow.err" && fail "slow: sanitizer report"

# SIGTERM after 5 MB of a transfer: exit 0.
exec 5<>"$T/in.fifo"
"$MEEKC" --url "$url" --insecure-plaintext -v <"$T/in.fifo" >"$T/out.fifo" 2>"$T/term.err" 5>&- &
mpid=$!
pw_track "$mpid"
printf x >&5
out=$(python3 "$PW_PY/meekc-reader.py" "$T/out.fifo" "$mpid" 0 5000000 term 5>&-) || fail "reader: $out"
pw_wait "$mpid" 10
exec 5>&-
[ "$pw_rc" = 0 ] || fail "sigterm: exit $pw_rc: $(tail -n 3 "$T/term.err")"
grep -q 'signal 15' "$T/term.err" || fail "sigterm: $(tail -n 3 "$T/term.err")"
grep -q Sanitizer "$T/term.err" && fail "sigterm: sanitizer report"
note "sigterm: exit 0 after $(echo "$out" | cut -d' ' -f1)"

# An upstream that never reads (meekc-deaf.py): the writer must be held back.
pw_start deaf 1 python3 "$PW_PY/meekc-deaf.py" "$T/deaf.sock"
pw_start meeks2 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/deaf.sock"
mkfifo "$T/up.fifo"
exec 5<>"$T/up.fifo"
"$MEEKC" --url "http://127.0.0.1:$pw_port/" --insecure-plaintext <"$T/up.fifo" \
	>/dev/null 2>"$T/deaf.err" 5>&- &
mpid=$!
pw_track "$mpid"
out=$(python3 "$PW_PY/meekc-writer.py" "$T/up.fifo" "$mpid" 100000000 5>&-) || fail "writer: $out"
note "deaf upstream: $out"
sent=$(echo "$out" | sed 's/sent=\([0-9]*\).*/\1/')
base=$(echo "$out" | sed 's/.*rss_base=\([0-9]*\).*/\1/')
peak=$(echo "$out" | sed 's/.*rss_peak=\([0-9]*\).*/\1/')
[ "$sent" -lt 100000000 ] || fail "deaf upstream: all $sent bytes were taken"
[ "$((peak - base))" -lt 4096 ] || fail "deaf upstream: RSS grew from $base kB to $peak kB"
kill -TERM "$mpid"
pw_wait "$mpid" 10
exec 5>&-
[ "$pw_rc" = 0 ] || fail "deaf upstream: exit $pw_rc after SIGTERM: $(tail -n 3 "$T/deaf.err")"

pw_stop meeks
pw_stop meeks2
pw_stop push
exit 0
