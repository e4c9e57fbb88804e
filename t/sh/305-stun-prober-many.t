#!/bin/sh
# SPDX-License-Identifier: MIT
# A list of 1,000 servers of which most time out: 600 UDP sockets that
# take datagrams and never answer, 390 addresses in 127.0.0.0/8 with
# nothing behind them (ICMP port unreachable: refused, or timeout if the
# kernel rate-limits ICMP), and 10 coturn addresses. With -c 200 -t 400
# the run completes: every server gets exactly one line with the right
# status, and the output holds nothing else. No time is asserted.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

turn_start
cd "$T" || exit 1
pw_start sinks 1 python3 "$PW_PY/udp-sinks.py"
dead=$(turn_free_port)
{
	cat "$T/sinks.txt"
	i=0
	while [ "$i" -lt 390 ]; do
		printf 'stun:127.0.%d.%d:%s\n' $((i / 200 + 3)) $((i % 200 + 1)) "$dead"
		i=$((i + 1))
	done
	i=0
	while [ "$i" -lt 10 ]; do
		printf 'stun:127.0.0.%d:%s\n' $((i % 2 + 1)) "$turn_port"
		i=$((i + 1))
	done
} | sort -R >"$T/list"
[ "$(wc -l <"$T/list")" -eq 1000 ] || fail "list"
"$PW_BIN/stun-prober" -c 200 -t 400 <"$T/list" >"$T/out" 2>"$T/prober.err"
rc=$?
[ "$rc" -eq 0 ] || fail "exit $rc"
[ "$(wc -l <"$T/out")" -eq 1000 ] || fail "$(wc -l <"$T/out") lines, want 1000"
cut -f1 "$T/out" | sort >"$T/got"
sort "$T/list" >"$T/want"
cmp -s "$T/got" "$T/want" || fail "servers in the output differ from the list"
awk -F'\t' -v tp=":$turn_port" -v dp=":$dead" '
	index($1, tp) { if ($2 != "ok") bad++; ok++; next }
	index($1, dp) { if ($2 != "refused" && $2 != "timeout") bad++; if ($2 == "refused") ref++; next }
	{ if ($2 != "timeout") bad++; to++ }
	END { printf "ok=%d timeout(sinks)=%d refused=%d bad=%d\n", ok, to, ref, bad; exit bad > 0 }
' "$T/out" >"$T/sum" || fail "wrong statuses: $(cat "$T/sum")"
note "$(cat "$T/sum")"
grep -q Sanitizer "$T/prober.err" && fail "sanitizer: $(cat "$T/prober.err")"
exit 0
