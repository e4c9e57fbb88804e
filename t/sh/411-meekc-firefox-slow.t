#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client --tls firefox under pressure through Caddy over HTTP/2: an
# upstream pushes 40 MB while the reader of meek-client's stdout stops
# for 2 s: the polls stop, RSS stays within a bound (the answers of a
# full window and the TLS buffers, not the 40 MB), and the bytes arrive
# afterwards; the reader leaving ends meek-client with 0, and SIGTERM in
# the middle of a transfer ends it with 0 at once. A front that answers
# plain HTTP on its TLS port is a handshake failure: exit 111, one line.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_start push 1 python3 "$PW_PY/meek-echo.py" "unix:$T/push.sock" --push 40000000
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/push.sock" --path /meek/
pw_caddy "$pw_ep" /meek/
set -- --tls firefox --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host" --ca "$caddy_ca" -v

mkfifo "$T/in.fifo" "$T/out.fifo"
exec 5<>"$T/in.fifo"
"$MEEKC" "$@" <"$T/in.fifo" >"$T/out.fifo" 2>"$T/slow.err" 5>&- &
mpid=$!
pw_track "$mpid"
printf x >&5
out=$(python3 "$PW_PY/meekc-reader.py" "$T/out.fifo" "$mpid" 2 30000000 5>&-) || fail "reader: $out"
note "slow: $out"
case $out in
"total=30000000 "*) ;;
*) fail "slow: reader got $out" ;;
esac
base=$(echo "$out" | sed 's/.*rss_base=\([0-9]*\).*/\1/')
peak=$(echo "$out" | sed 's/.*rss_peak=\([0-9]*\).*/\1/')
# A full window of 8 answers of 256 KiB, HTTP/2 and TLS buffers: far below 40 MB.
[ "$((peak - base))" -lt 8192 ] || fail "slow: RSS grew from $base kB to $peak kB"
pw_wait "$mpid" 30
exec 5>&-
[ "$pw_rc" = 0 ] || fail "slow: exit $pw_rc after the reader left: $(tail -n 3 "$T/slow.err")"
grep -q 'stdout closed by the reader' "$T/slow.err" || fail "slow: $(tail -n 3 "$T/slow.err")"
grep -q 'HTTP/2 connection to the front' "$T/slow.err" || fail "slow: not over HTTP/2"
grep -q Sanitizer "$T/slow.err" && fail "slow: sanitizer report"

exec 5<>"$T/in.fifo"
"$MEEKC" "$@" <"$T/in.fifo" >"$T/out.fifo" 2>"$T/term.err" 5>&- &
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

# Plain HTTP where TLS was expected.
pw_start notls 1 python3 "$PW_PY/http-at-once.py"
meekc_run notls 111 30 --tls firefox --url "https://meek.test:$pw_port/" \
	--front "127.0.0.1:$pw_port,sni=meek.test"
grep -q 'TLS: handshake' "$T/notls.err" || fail "notls: $(cat "$T/notls.err")"
[ "$(grep -c . "$T/notls.err")" -eq 1 ] || fail "notls: more than one line: $(cat "$T/notls.err")"
note "notls: $(cat "$T/notls.err")"

pw_stop meeks
pw_stop push
exit 0
