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

meekc_pressure 4096 --url "$url" --insecure-plaintext -v

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
