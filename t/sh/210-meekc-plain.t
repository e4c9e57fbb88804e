#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client against meek-server over plain HTTP (--insecure-plaintext),
# used alone like an ssh ProxyCommand: stdin/stdout is one byte pipe to
# meek-server's upstream. A 4 MB echo round trip, 6 MB up into a sink and
# 6 MB down from an upstream that then closes, byte for byte (sha256); a
# stdin EOF ends the client with 0 once the echo is back; an upstream that
# closes makes the server answer 410 and the client exit 0; usage errors
# exit 100.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"

pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock"
url="http://127.0.0.1:$pw_port/"

# Echo: 4 MB up, the same back at the same time; stdin EOF, then exit 0
# once all of it is delivered.
head -c 4000000 /dev/urandom >"$T/echo.in"
meekc_run echo 0 60 --url "$url" --insecure-plaintext -v
[ "$(pw_sha "$T/echo.in")" = "$(pw_sha "$T/echo.got")" ] ||
	fail "echo: $(wc -c <"$T/echo.got") bytes back of 4000000, or different bytes"
grep -q 'stdin closed and nothing left to deliver' "$T/echo.err" ||
	fail "echo: no clean end logged: $(tail -n 3 "$T/echo.err")"

# Small bodies: a 1024-byte cap means many polls, each its own X-Meek-Seq.
head -c 200000 /dev/urandom >"$T/small.in"
meekc_run small 0 60 --url "$url" --insecure-plaintext --max-body 1024
[ "$(pw_sha "$T/small.in")" = "$(pw_sha "$T/small.got")" ] || fail "small bodies: mismatch"

# An empty stdin: one poll, then exit 0 with nothing written.
meekc_run empty 0 20 --url "$url" --insecure-plaintext
[ -s "$T/empty.got" ] && fail "empty: wrote $(wc -c <"$T/empty.got") bytes"

# Upload: 6 MB into a sink, which hashes what reached the upstream.
meekc_sink sink
pw_start meeks2 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/sink.sock"
head -c 6000000 /dev/urandom >"$T/up.in"
meekc_run up 0 60 --url "http://127.0.0.1:$pw_port/" --insecure-plaintext
pw_stop meeks2 # closes the upstream connection: the sink sees EOF
eval "pw_wait \$_pw_pid_sink 10"
[ "$pw_rc" = 0 ] || fail "sink exit $pw_rc"
eval "pw_wait \$_pw_cat_sink 5"
grep -q "bytes=6000000 sha256=$(pw_sha "$T/up.in")" "$T/sink.out" ||
	fail "upload: the upstream got $(cat "$T/sink.out")"
note "upload: 6000000 bytes arrived intact"

# Download: an upstream that sends 6 MB and closes; stdin stays open (a
# fifo that gets one byte and no EOF), so only the 410 after the last byte
# can end it. The byte is there because meek-server opens no upstream
# before a session's first body (meek-server(8)).
head -c 6000000 /dev/urandom >"$T/down.bin"
meekc_cmd down "cat $T/down.bin"
pw_start meeks3 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/down.sock"
mkfifo "$T/gone-in.fifo"
exec 5<>"$T/gone-in.fifo"
printf x >&5
"$MEEKC" --url "http://127.0.0.1:$pw_port/" --insecure-plaintext -v <"$T/gone-in.fifo" \
	>"$T/gone.got" 2>"$T/gone.err" 5>&- &
gpid=$!
pw_track "$gpid"
# A session starts with a body: one byte gets the upstream dialled.
printf x >&5
pw_wait "$gpid" 60
exec 5>&-
[ "$pw_rc" = 0 ] || fail "download: exit $pw_rc, want 0: $(tail -n 3 "$T/gone.err")"
[ "$(pw_sha "$T/down.bin")" = "$(pw_sha "$T/gone.got")" ] ||
	fail "download: $(wc -c <"$T/gone.got") bytes of 6000000, or different bytes"
grep -q '(410)' "$T/gone.err" || fail "download: no 410 logged"
note "download: 6000000 bytes, then 410 and exit 0"

# A path the server does not serve: 404 is permanent, exit 111.
meekc_run notfound 111 20 --url "http://127.0.0.1:$pw_port/elsewhere" --insecure-plaintext
grep -q 'answered 404' "$T/notfound.err" || fail "notfound: $(cat "$T/notfound.err")"

# Usage errors: 100.
meekc_run nourl 100 10 --insecure-plaintext
meekc_run http 100 10 --url "$url"
grep -q 'insecure-plaintext' "$T/http.err" || fail "http: $(cat "$T/http.err")"
meekc_run ftp 100 10 --url "ftp://127.0.0.1/" --insecure-plaintext
meekc_run badfront 100 10 --url https://meek.test/ --front '1.2.3.4,sni='
grep -q 'verify=' "$T/badfront.err" || fail "badfront: $(cat "$T/badfront.err")"
meekc_run badfront2 100 10 --url https://meek.test/ --front 'a b'
meekc_run reserved 100 10 --url "$url" --insecure-plaintext --header 'X-Session-Id: x'
meekc_run authhdr 100 10 --url "$url" --insecure-plaintext --header 'X-Meek-Auth: x'
meekc_run crlf 100 10 --url "$url" --insecure-plaintext --header "$(printf 'A: b\rC: d')"
meekc_run maxbody 100 10 --url "$url" --insecure-plaintext --max-body 1
meekc_run notoken 100 10 --url "$url" --insecure-plaintext --auth-token-file "$T/nothing"
"$MEEKC" --help >"$T/help.out" 2>&1 || fail "--help exit $?"
grep -q '^usage: meek-client' "$T/help.out" || fail "--help: $(cat "$T/help.out")"

pw_stop meeks
pw_stop meeks3
pw_stop echo
exit 0
