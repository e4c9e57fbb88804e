#!/bin/sh
# SPDX-License-Identifier: MIT
# 1,000 meek sessions at once over 8 keep-alive connections (pipelined),
# each a round trip through an echo upstream; all stay open, the admin
# counters agree, and --max-sessions is enforced right at its limit.
# The clients all come from 127.0.0.1 here, so the per-address limits
# (t/sh/240) are lifted to let one address stand for many.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
meeks_start -u "unix:$T/echo.sock" --max-sessions 1000 --admin "unix:$T/admin.sock" \
	--session-rate 100000 --session-burst 100000 --max-sessions-per-addr 100000
out=$(python3 "$PW_PY/meek-many.py" "127.0.0.1:$meeks_port" 1000 8) || fail "1000 sessions: $out"
note "$out"
[ "$(meeks_metric sessions_open)" = 1000 ] || fail "want 1000 sessions open, $(meeks_metric sessions_open)"
[ "$(meeks_metric sessions_created)" = 1000 ] || fail "want 1000 sessions created"
meeks_req one-more '{"sid":"'"$(meeks_sid)"'","seq":0,"body":"00"}'
meeks_want one-more 'status=503'
pw_alive meeks
pw_stop meeks
pw_stop echo
grep -q '^conns=1000$' "$T/echo.err" || fail "echo saw $(cat "$T/echo.err")"
