#!/bin/sh
# SPDX-License-Identifier: MIT
# stun-prober against coturn on loopback: the mapped address, response
# origin and other address agree with Debian's stun client and coturn's
# turnutils_stunclient; one socket serves every UDP probe (same mapped
# port for both server addresses); TCP probes; a name from /etc/hosts
# resolved by c-ares; the JSON form; stdin input
# with comments and blank lines; the awk | sort pipeline; exit statuses.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

turn_start
P=$turn_port

"$PW_BIN/stun-prober" -t 3000 "stun:127.0.0.1:$P" "stun:127.0.0.2:$P" \
	"turn:127.0.0.1:$P?transport=tcp" >"$T/out" 2>"$T/prober.err"
rc=$?
cat "$T/out"
[ "$rc" -eq 0 ] || fail "exit $rc, want 0"
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "want 3 lines"
awk -F'\t' 'NF != 8 { exit 1 }' "$T/out" || fail "want 8 tab-separated columns"
line1=$(grep "^stun:127.0.0.1:$P	" "$T/out")
line2=$(grep "^stun:127.0.0.2:$P	" "$T/out")
linet=$(grep "^turn:127.0.0.1:$P?transport=tcp	" "$T/out")
for l in "$line1" "$line2" "$linet"; do
	[ "$(printf '%s' "$l" | cut -f2)" = ok ] || fail "not ok: $l"
	printf '%s' "$l" | cut -f3 | grep -Eq '^[0-9]+\.[0-9]{2}$' || fail "rtt not a number: $l"
	printf '%s' "$l" | cut -f7 | grep -q '^Coturn' || fail "no SOFTWARE: $l"
done
m1=$(printf '%s' "$line1" | cut -f4)
m2=$(printf '%s' "$line2" | cut -f4)
[ "${m1%:*}" = 127.0.0.1 ] || fail "mapped $m1, want 127.0.0.1:*"
[ "$m1" = "$m2" ] || fail "one socket for every UDP probe: mapped $m1 and $m2 differ"
[ "$(printf '%s' "$line1" | cut -f5)" = "127.0.0.1:$P" ] || fail "origin: $line1"
[ "$(printf '%s' "$line1" | cut -f6)" = "127.0.0.2:$turn_alt_port" ] || fail "other: $line1"
[ "$(printf '%s' "$line2" | cut -f5)" = "127.0.0.2:$P" ] || fail "origin: $line2"
note "mapped $m1 for both addresses, origin and other as configured"

# A name, resolved asynchronously (c-ares reads /etc/hosts: no DNS traffic).
if grep -Eq '^127\.0\.0\.1[[:space:]].*[[:space:]]localhost([[:space:]]|$)' /etc/hosts; then
	"$PW_BIN/stun-prober" "stun:localhost:$P" >"$T/name" 2>>"$T/prober.err" ||
		fail "stun:localhost: $(cat "$T/name")"
	[ "$(cut -f5 "$T/name")" = "127.0.0.1:$P" ] || fail "stun:localhost: $(cat "$T/name")"
fi

# Debian's stun client, from a source port we choose.
sport=$(turn_free_port)
stun "127.0.0.1:$P" -v -p "$sport" >"$T/stun.out" 2>&1
sm=$(sed -n 's/^MappedAddress = //p' "$T/stun.out" | head -n 1)
[ "$sm" = "127.0.0.1:$sport" ] || fail "stun client says $sm, want 127.0.0.1:$sport: $(head -n 20 "$T/stun.out")"
[ "${sm%:*}" = "${m1%:*}" ] || fail "stun client mapped IP ${sm%:*}, stun-prober ${m1%:*}"
note "stun client: mapped $sm"

# coturn's own client: reflexive address, response origin, other address.
turnutils_stunclient -p "$P" 127.0.0.1 >"$T/tu.out" 2>&1 || fail "turnutils_stunclient: $(cat "$T/tu.out")"
tm=$(sed -n 's/.*UDP reflexive addr: //p' "$T/tu.out" | head -n 1)
to=$(sed -n 's/.*Response origin: : //p' "$T/tu.out" | head -n 1)
tx=$(sed -n 's/.*Other addr: : //p' "$T/tu.out" | head -n 1)
[ "${tm%:*}" = "${m1%:*}" ] || fail "turnutils_stunclient mapped IP ${tm%:*}, stun-prober ${m1%:*}"
[ "$to" = "$(printf '%s' "$line1" | cut -f5)" ] || fail "origin: turnutils $to"
[ "$tx" = "$(printf '%s' "$line1" | cut -f6)" ] || fail "other: turnutils $tx"
note "turnutils_stunclient: mapped $tm, origin $to, other $tx"

# JSON lines, servers from stdin with comments and blanks.
printf '# a comment\n\n  stun:127.0.0.1:%s  \nstun:127.0.0.2:%s\n' "$P" "$P" |
	"$PW_BIN/stun-prober" -j >"$T/json" 2>>"$T/prober.err" || fail "-j from stdin: exit $?"
cat "$T/json"
python3 - "$T/json" "$P" <<'PY' || fail "JSON lines"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
keys = ["server", "status", "rtt_ms", "mapped", "origin", "other", "software", "reason"]
for l in lines:
    o = json.loads(l)
    assert list(o) == keys, list(o)
    assert o["status"] == "ok" and isinstance(o["rtt_ms"], float) and o["reason"] is None, o
    assert o["server"] in ("stun:127.0.0.1:" + sys.argv[2], "stun:127.0.0.2:" + sys.argv[2]), o
PY

# The pipeline of the man page: only ok lines, sorted by rtt.
dead=$(turn_free_port)
printf 'stun:127.0.0.1:%s\nstun:127.0.0.1:%s\nstun:127.0.0.2:%s\nnot-a-uri\n' "$P" "$dead" "$P" |
	"$PW_BIN/stun-prober" -t 1000 2>>"$T/prober.err" | awk -F'\t' '$2 == "ok"' |
	sort -t "$(printf '\t')" -k3n | head >"$T/pipe"
[ "$(wc -l <"$T/pipe")" -eq 2 ] || fail "pipeline: $(cat "$T/pipe")"
note "pipeline kept $(wc -l <"$T/pipe") ok lines"

# Exit statuses: none ok is 111, usage errors 100.
"$PW_BIN/stun-prober" -t 500 "stun:127.0.0.1:$dead" >/dev/null 2>&1
[ $? -eq 111 ] || fail "no server ok: want 111"
"$PW_BIN/stun-prober" -c 0 "stun:127.0.0.1:$P" >/dev/null 2>&1
[ $? -eq 100 ] || fail "-c 0: want 100"
"$PW_BIN/stun-prober" --turn "stun:127.0.0.1:$P" >/dev/null 2>&1
[ $? -eq 100 ] || fail "--turn without credentials: want 100"
"$PW_BIN/stun-prober" --help | head -n 1 | grep -q '^usage: stun-prober' || fail "--help"
grep -q Sanitizer "$T/prober.err" && fail "sanitizer: $(cat "$T/prober.err")"
exit 0
