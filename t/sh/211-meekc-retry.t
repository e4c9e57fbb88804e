#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client's request handling against a scripted server: a poll whose
# answer is lost is sent again with the same X-Meek-Seq and the same body,
# on a kept-alive connection and on a fresh one; the headers it sends;
# re-chunked answers (a CDN) and Connection: close answers work; a non-200
# answer is permanent (111), 410 ends it cleanly (0); garbage and over-cap
# answers and a dead server use up the retries (111); and the session
# carries on through a meek-server restart.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"

head -c 300000 /dev/urandom >"$T/data"

# The first answer with data is lost: the retry repeats seq and body.
meekc_fake lost dropdata
cp "$T/data" "$T/lost.in"
(umask 077 && echo s3cret-token >"$T/token")
meekc_run lost 0 30 --url "http://127.0.0.1:$meekc_fake_port/m" --insecure-plaintext \
	--auth-token-file "$T/token" --header 'X-Test: hello there' --max-body 100000 -v
[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/lost.got")" ] || fail "lost: output differs"
first=$(awk '$2 != "len=0" { print; exit }' "$T/lost.log")
second=$(awk '$2 != "len=0" { n++; if (n == 2) { print; exit } }' "$T/lost.log")
if [ -z "$first" ] || [ "$first" != "$second" ]; then
	fail "lost: the retry differs: '$first' then '$second'"
fi
grep -Eq 'retry 1|resending' "$T/lost.err" || fail "lost: no retry logged"
note "lost: retried as '$(echo "$first" | cut -d' ' -f1-3)'"
# Sequence numbers count up from 0 by one per answered poll.
awk '{ sub("seq=", "", $1); if ($1 != NR - 1 - d) { if ($1 != NR - 2 - d) exit 1; d++ } }' \
	"$T/lost.log" || fail "lost: sequence numbers: $(cut -d' ' -f1 "$T/lost.log" | tr '\n' ' ')"
line=$(head -n 1 "$T/lost.log")
case $line in
*" host=127.0.0.1:$meekc_fake_port "*" max=100000 auth=s3cret-token x=hello there pipe=v=1,window=8,base="*) ;;
*) fail "lost: headers: $line" ;;
esac
sid=$(echo "$line" | sed 's/.* sid=\([^ ]*\) .*/\1/')
echo "$sid" | grep -Eq '^[0-9a-f]{32}$' || fail "lost: session id '$sid'"
[ "$(cut -d' ' -f5 "$T/lost.log" | sort -u | wc -l)" -eq 1 ] || fail "lost: session id changed"
grep -q 's3cret' "$T/lost.err" && fail "lost: the token was logged"

# The same when every answer closes its connection: the lost answer was on
# a fresh connection, so this is a counted retry, after 250 ms.
meekc_fake lostc dropdata-close
cp "$T/data" "$T/lostc.in"
meekc_run lostc 0 30 --url "http://127.0.0.1:$meekc_fake_port/" --insecure-plaintext -v
[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/lostc.got")" ] || fail "lostc: output differs"
grep -q 'retry 1 in 250 ms' "$T/lostc.err" || fail "lostc: $(cat "$T/lostc.err")"
first=$(awk '$2 != "len=0" { print; exit }' "$T/lostc.log")
second=$(awk '$2 != "len=0" { n++; if (n == 2) { print; exit } }' "$T/lostc.log")
if [ -z "$first" ] || [ "$first" != "$second" ]; then
	fail "lostc: the retry differs: '$first' then '$second'"
fi

# Re-chunked answers, and answers that close the connection each time.
for mode in chunked close; do
	meekc_fake "$mode" "$mode"
	cp "$T/data" "$T/$mode.in"
	meekc_run "$mode" 0 30 --url "http://127.0.0.1:$meekc_fake_port/" --insecure-plaintext
	[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/$mode.got")" ] || fail "$mode: output differs"
	grep -q 'retry' "$T/$mode.err" && fail "$mode: a retry: $(cat "$T/$mode.err")"
done

# A 403 is permanent: 111 at once, no retry. A 410 after two polls: 0.
meekc_fake forbidden status:403
fport=$meekc_fake_port
meekc_run forbidden 111 20 --url "http://127.0.0.1:$meekc_fake_port/" --insecure-plaintext
grep -q 'answered 403' "$T/forbidden.err" || fail "forbidden: $(cat "$T/forbidden.err")"
[ "$(wc -l <"$T/forbidden.log")" -eq 1 ] || fail "forbidden: $(wc -l <"$T/forbidden.log") requests"
meekc_fake gone gone:2
mkfifo "$T/gone-in.fifo"
exec 5<>"$T/gone-in.fifo"
"$MEEKC" --url "http://127.0.0.1:$meekc_fake_port/" --insecure-plaintext <"$T/gone-in.fifo" \
	>"$T/gone.got" 2>"$T/gone.err" 5>&- &
gpid=$!
pw_track "$gpid"
pw_wait "$gpid" 30
exec 5>&-
[ "$pw_rc" = 0 ] || fail "gone: exit $pw_rc: $(cat "$T/gone.err")"

# Answers that are not HTTP, or over the cap: retried, then 111.
for mode in garbage huge; do
	meekc_fake "$mode" "$mode"
	meekc_run "$mode" 111 30 --url "http://127.0.0.1:$meekc_fake_port/" --insecure-plaintext
	grep -q 'failed 5 times, giving up: malformed or over-cap response' "$T/$mode.err" ||
		fail "$mode: $(cat "$T/$mode.err")"
	[ "$(wc -l <"$T/$mode.log")" -eq 5 ] || fail "$mode: $(wc -l <"$T/$mode.log") requests"
done

# Nobody listens: 1 + 4 attempts, then 111.
pw_stop forbidden
meekc_run dead 111 30 --url "http://127.0.0.1:$fport/" --insecure-plaintext
grep -q 'failed 5 times, giving up' "$T/dead.err" || fail "dead: $(cat "$T/dead.err")"

# meek-server restarts on the same port: the client retries through the
# gap and the next bytes reach the upstream of a new session.
pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock"
mport=$pw_port
mkfifo "$T/rs.fifo"
exec 6<>"$T/rs.fifo"
"$MEEKC" --url "http://127.0.0.1:$mport/" --insecure-plaintext -v <"$T/rs.fifo" \
	>"$T/rs.got" 2>"$T/rs.err" 6>&- &
rpid=$!
pw_track "$rpid"
echo before >&6
meekc_until "$T/rs.got" before 20
pw_stop meeks
# Not holding the fifo open itself, or stdin would never end.
{ pw_start meeks 1 "$PW_BIN/meek-server" -l "tcp:127.0.0.1:$mport" -u "unix:$T/echo.sock"; } 6>&-
echo after >&6
meekc_until "$T/rs.got" after 20
exec 6>&-
pw_wait "$rpid" 20
[ "$pw_rc" = 0 ] || fail "restart: exit $pw_rc: $(tail -n 3 "$T/rs.err")"
note "restart: $(grep -c 'failed' "$T/rs.err") failed polls logged, then carried on"

pw_stop meeks
pw_stop echo
pw_stop lost
exit 0
