#!/bin/sh
# SPDX-License-Identifier: MIT
# peerconn-watch on synthetic event streams (t/data/watch/*.jsonl) fed
# through stdin: the exact findings and summary for each rule, JSON
# output, garbage counted and skipped, one-byte drip, eviction at the
# bucket cap, and usage errors.
. "$PW_TOP/t/lib.sh"

W=$PW_BIN/peerconn-watch
D=$PW_TOP/t/data/watch

# replay NAME [ARG…]: NAME.jsonl through stdin must print NAME.out exactly.
replay() {
	_n=$1
	shift
	"$W" "$@" <"$D/$_n.jsonl" >"$T/$_n.got" 2>"$T/$_n.err" || fail "$_n: exit $?"
	cmp -s "$D/$_n.out" "$T/$_n.got" ||
		fail "$_n: output differs: $(diff "$D/$_n.out" "$T/$_n.got" | head -n 20)"
	note "$_n: $(grep -vc '^#' "$T/$_n.got") finding(s) as expected"
}

for n in smtp credstuff dnstunnel scan garbage; do
	replay "$n"
done
replay rate --rules "$D/rate.rules"
# Each rule fired on the bucket it was built for, and on no other.
grep -q '	smtp	198.51.100.25	' "$D/smtp.out" || fail "smtp.out lacks the spammer"
grep -q '	credstuff	203.0.113.50	' "$D/credstuff.out" || fail "credstuff.out lacks the stuffer"
grep -q '	dnstunnel	session:0123456789abcdef	' "$D/dnstunnel.out" ||
	fail "dnstunnel.out lacks the session"
[ "$(grep -c '	scan	' "$D/scan.out")" -eq 2 ] || fail "scan.out: want 2 scans"
grep -q 'garbage=9 unknown=1 late=1 findings=0' "$D/garbage.out" || fail "garbage.out counters"

# JSON: the same findings, every line one JSON object.
"$W" -j <"$D/scan.jsonl" >"$T/scan.json.got" || fail "-j: exit $?"
cmp -s "$D/scan.json.out" "$T/scan.json.got" || fail "-j output differs"
python3 - "$T/scan.json.got" <<'PY' || fail "-j output is not JSON lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["rule"] for l in lines[:-1]] == ["scan", "scan"], lines
assert lines[-1]["summary"]["findings"] == 2, lines[-1]
PY

# One byte at a time through a pipe: the same output.
python3 -c 'import os, sys
d = open(sys.argv[1], "rb").read()
for i in range(len(d)):
    os.write(1, d[i:i + 1])' "$D/smtp.jsonl" | "$W" >"$T/drip.got" || fail "drip: exit"
cmp -s "$D/smtp.out" "$T/drip.got" || fail "drip: output differs"
note "drip: same output"

# Memory bound: with room for 1 bucket, the others are evicted and counted.
"$W" --max-buckets 1 <"$D/scan.jsonl" >"$T/evict.got" 2>"$T/evict.err" || fail "evict: exit"
grep -q 'buckets=1 cap=1 evicted=[1-9]' "$T/evict.got" || fail "evict: $(head -n 3 "$T/evict.got")"
grep -q 'evicting the least recently seen' "$T/evict.err" || fail "evict: no warning"
note "evict: $(sed -n 's/.*\(evicted=[0-9]*\).*/\1/p' "$T/evict.got")"

# Usage errors exit 100 and say why; -h exits 0 with the man page's synopsis.
usage_err() {
	"$W" "$@" </dev/null >/dev/null 2>"$T/usage.err"
	_rc=$?
	[ "$_rc" -eq 100 ] || fail "$*: exit $_rc, want 100"
	note "$*: $(head -n 1 "$T/usage.err")"
}
usage_err --window 0
usage_err --window x
usage_err --max-buckets 0
usage_err -l tcp:127.0.0.1:0
usage_err --rules "$T/nonexistent"
printf 'scan hosts=5\nscan hots=5\n' >"$T/bad.rules"
usage_err --rules "$T/bad.rules"
grep -q 'line 2' "$T/usage.err" || fail "rules error without its line number"
usage_err extra
"$W" -h >"$T/help" || fail "-h: exit $?"
grep -q '^usage: peerconn-watch \[-hjqv\] \[-l ENDPOINT\]' "$T/help" || fail "-h: $(cat "$T/help")"
