#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack: one address (127.0.0.2) opens 3,000 new meek sessions as fast as
# it can, each a POST with a SOCKS5 greeting that never goes on, while a
# legitimate client (127.0.0.1) does 20 fetches through meek-server ->
# egress. Each new session that reaches the egress holds one of its
# connections until egress's handshake timeout; the per-address
# new-session rate keeps the flood from taking them all. Bound: at least
# 19 of the 20 fetches succeed, and the refusals are counted by reason.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"
# shellcheck disable=SC3045 # dash and bash both have ulimit -n
ulimit -n 8192 2>/dev/null || true

pw_httpd 1024
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock" --allow "127.0.0.1:$httpd_port"
meeks_start -u "unix:$T/egress.sock" --admin "unix:$T/admin.sock"

pw_start_bg flood python3 "$PW_PY/meek-attack.py" flood "127.0.0.1:$meeks_port" 3000 \
	--src 127.0.0.2
flood_pid=$pw_pid
ok=0
i=0
while [ "$i" -lt 20 ]; do
	i=$((i + 1))
	if python3 "$PW_PY/meek-fetch.py" "127.0.0.1:$meeks_port" "$httpd_port" 1k.bin \
		>"$T/fetch.out" 2>&1; then
		ok=$((ok + 1))
	else
		note "fetch $i: $(tr '\n' ' ' <"$T/fetch.out" | cut -c1-200)"
	fi
done
wait "$flood_pid" || true
pw_untrack "$flood_pid"
note "flood: $(tr '\n' ' ' <"$T/flood.out")"
note "legitimate fetches: $ok of 20"
note "refusals: $(python3 "$MEEK_REQ" "$meeks_admin" '{"method":"GET","path":"/metrics","text":true}' |
	grep '^meek_refused' | tr '\n' ' ')"
[ "$ok" -ge 19 ] || fail "only $ok of 20 legitimate fetches succeeded during the flood"
