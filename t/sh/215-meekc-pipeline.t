#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client's pipelining: against meek-server the extension is
# negotiated and several requests are in flight at once (meek-client's
# log and meek-server's /metrics both see it), and 4 MB each way arrive
# intact and in order. A classic peer that does not answer the
# announcement (a scripted server, and meek-server --pipeline 0) gets
# one request at a time, seq counting up by one.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"

pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
pw_start meeks 2 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" \
	--admin "unix:$T/admin.sock"
port=$pw_port
head -c 4000000 /dev/urandom >"$T/pipe.in"
meekc_run pipe 0 60 --url "http://127.0.0.1:$port/" --insecure-plaintext -v
[ "$(pw_sha "$T/pipe.in")" = "$(pw_sha "$T/pipe.got")" ] || fail "pipe: output differs"
grep -q 'server offers pipelining' "$T/pipe.err" || fail "pipe: not negotiated: $(cat "$T/pipe.err")"
inflight=$(sed -n 's/.*(\([0-9]*\) in flight at most).*/\1/p' "$T/pipe.err")
[ "${inflight:-0}" -ge 2 ] || fail "pipe: $inflight in flight at most"
metric=$(python3 "$PW_PY/meek-req.py" "unix:$T/admin.sock" '{"method":"GET","path":"/metrics","text":true}' |
	awk '$1 == "pipelined_inflight_max" { print $2 }')
[ "${metric:-0}" -ge 2 ] || fail "pipe: meek-server saw $metric in flight at most"
note "pipe: 4 MB echoed; $inflight requests in flight at most (meek-server: $metric)"
pw_stop meeks

# A classic peer: the announcement goes unanswered, so one request at a time.
meekc_fake classic echo
head -c 1000000 /dev/urandom >"$T/classic.in"
meekc_run classic 0 60 --url "http://127.0.0.1:$meekc_fake_port/" --insecure-plaintext -v
[ "$(pw_sha "$T/classic.in")" = "$(pw_sha "$T/classic.got")" ] || fail "classic: output differs"
grep -q '(1 in flight at most)' "$T/classic.err" || fail "classic: $(tail -n 1 "$T/classic.err")"
grep -q 'offers pipelining' "$T/classic.err" && fail "classic: pipelining turned on"
grep -q 'pipe=v=1,window=8,base=' "$T/classic.log" || fail "classic: no announcement: $(head -n 1 "$T/classic.log")"
awk '{ sub("seq=", "", $1); if ($1 != NR - 1) exit 1 }' "$T/classic.log" ||
	fail "classic: seq numbers: $(cut -d' ' -f1 "$T/classic.log" | tr '\n' ' ')"
pw_stop classic

# meek-server --pipeline 0 is a classic peer too.
pw_start meeks0 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" --pipeline 0
cp "$T/classic.in" "$T/serial.in"
meekc_run serial 0 60 --url "http://127.0.0.1:$pw_port/" --insecure-plaintext -v
[ "$(pw_sha "$T/serial.in")" = "$(pw_sha "$T/serial.got")" ] || fail "serial: output differs"
grep -q '(1 in flight at most)' "$T/serial.err" || fail "serial: $(tail -n 1 "$T/serial.err")"
pw_stop meeks0
exit 0
