#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/meek-idle.sh — meek-server memory per idle meek session, on
# loopback: meek-server with a one-process echo upstream, then
# PW_BENCH_MEEK_SESSIONS (1,000) sessions opened at once over 8 keep-alive
# connections, each one POST with a 16-byte echo round trip and then left
# idle. meek-server's RSS before and after, in KiB per session.
# Goal: <= 64 KiB per idle session.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"

N=${PW_BENCH_MEEK_SESSIONS:-1000}
pw_start echo 1 python3 "$PW_TOP/t/meek-echo.py" "unix:$T/echo.sock"
pw_start meeks 1 "$PW_BIN/meek-server" -q -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" \
	--max-sessions "$N"
meeks_pid=$pw_pid meeks_port=$pw_port
rss0=$(pw_rss "$meeks_pid")
out=$(python3 "$PW_TOP/t/meek-many.py" "127.0.0.1:$meeks_port" "$N" 8) ||
	fail "$N sessions: $out"
rss1=$(pw_rss "$meeks_pid")
per=$(awk -v a="$rss0" -v b="$rss1" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / n }')
ok=$(awk -v p="$per" 'BEGIN { print (p <= 64) ? "met" : "NOT met" }')
printf '%-44s %10s   goal <= 64 KiB     %s\n' "meek-server KiB per idle session ($N)" "$per" "$ok"
printf '# meek-server RSS %s kB -> %s kB; %s\n' "$rss0" "$rss1" "$out"
pw_stop meeks
