#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack: 1,000 empty POSTs, each with a new X-Session-Id. An empty first
# poll is answered like any empty poll (200, no body) and leaves no state:
# no session, no upstream connection. Bound: the fake upstream counts 0
# connections after the flood, then 1 after one POST with a body.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
meeks_start -u "unix:$T/echo.sock" --admin "unix:$T/admin.sock"
out=$(python3 "$PW_PY/meek-attack.py" empty "127.0.0.1:$meeks_port" 1000 --conns 4)
note "empty flood: $(echo "$out" | tr '\n' ' ')"
echo "$out" | grep -q '^status=200 count=1000$' || fail "empty POSTs: $out"
note "sessions_open after the flood: $(meeks_metric sessions_open)"
[ "$(meeks_metric sessions_open)" = 0 ] || fail "empty POSTs left sessions"
S=$(meeks_sid)
meeks_req body '{"sid":"'"$S"'","seq":0,"body":"'"$(pw_hex hello)"'"}'
meeks_want body 'status=200'
pw_stop meeks
pw_stop echo
note "upstream: $(cat "$T/echo.err")"
grep -q '^conns=1$' "$T/echo.err" || fail "upstream connections: $(cat "$T/echo.err"), want 1"
