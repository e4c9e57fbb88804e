#!/bin/sh
# SPDX-License-Identifier: MIT
# stun-prober --turn against coturn with REST credentials (use-auth-secret):
# allocations over UDP and TCP with --secret-file and with --username and
# --password-file, each released at once (Refresh LIFETIME 0, seen in
# coturn's log); wrong credentials fail cleanly with the 401, exit 111.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

turn_start
P=$turn_port
check_ok() {
	[ "$(wc -l <"$1")" -eq "$2" ] || fail "$1: want $2 lines: $(cat "$1")"
	awk -F'\t' 'NF != 10 || $2 != "ok" || $9 == "-" || $10 != "-" { exit 1 }' "$1" ||
		fail "$1: not all ok with a relayed address: $(cat "$1")"
	awk -F'\t' '{ split($9, a, ":"); if (a[1] != "127.0.0.1") exit 1 }' "$1" ||
		fail "$1: relayed address not on the relay IP"
}

"$PW_BIN/stun-prober" --turn --secret-file "$T/turn.secret" \
	"turn:127.0.0.1:$P" "turn:127.0.0.1:$P?transport=tcp" "stun:127.0.0.2:$P" \
	>"$T/rest" 2>"$T/prober.err" || fail "--secret-file: exit $?: $(cat "$T/rest" "$T/prober.err")"
cat "$T/rest"
check_ok "$T/rest" 3

user="$(($(date +%s) + 600)):tester"
turn_rest_pass "$user" >"$T/pass"
"$PW_BIN/stun-prober" -j --turn --username "$user" --password-file "$T/pass" "turn:127.0.0.1:$P" \
	>"$T/lt.json" 2>>"$T/prober.err" || fail "--password-file: exit $?"
cat "$T/lt.json"
grep -q '"status":"ok"' "$T/lt.json" || fail "json: not ok"
grep -q '"relayed":"127.0.0.1:' "$T/lt.json" || fail "json: no relayed address"
grep -Eq '"alloc_ms":[0-9.]+' "$T/lt.json" || fail "json: no alloc_ms"

# Each allocation was deleted by our Refresh, not by a timeout. coturn
# logs the 0-lifetime refresh before the prober exits; the log is read
# by a bounded wait for that line, not a sleep.
# shellcheck disable=SC2016 # expanded by the child sh
timeout 10 sh -c 'until [ "$(grep -c "refreshed, .*lifetime=0" "$1")" -ge 4 ]; do :; done' \
	sh "$T/turn.log" ||
	fail "coturn logged $(grep -c 'refreshed, .*lifetime=0' "$T/turn.log") zero-lifetime refreshes, want 4"
note "coturn: $(grep -c 'refreshed, .*lifetime=0' "$T/turn.log") allocations released by Refresh LIFETIME 0"

# Wrong password and wrong secret: a 401, status error, exit 111.
echo wrong >"$T/badpass"
"$PW_BIN/stun-prober" --turn --username "$user" --password-file "$T/badpass" "turn:127.0.0.1:$P" \
	>"$T/bad" 2>>"$T/prober.err"
rc=$?
cat "$T/bad"
[ "$rc" -eq 111 ] || fail "wrong password: exit $rc, want 111"
[ "$(cut -f2 "$T/bad")" = error ] || fail "wrong password: status $(cut -f2 "$T/bad")"
cut -f10 "$T/bad" | grep -q '401' || fail "wrong password: no 401 in the reason"
echo not-the-secret >"$T/badsecret"
"$PW_BIN/stun-prober" --turn --secret-file "$T/badsecret" "turn:127.0.0.1:$P?transport=tcp" \
	>"$T/bad2" 2>>"$T/prober.err"
[ $? -eq 111 ] || fail "wrong secret: want 111"
cut -f10 "$T/bad2" | grep -q '401' || fail "wrong secret: $(cat "$T/bad2")"
"$PW_BIN/stun-prober" --turn --secret-file "$T/nonexistent" "turn:127.0.0.1:$P" >/dev/null 2>&1
[ $? -eq 100 ] || fail "missing secret file: want 100"
grep -q Sanitizer "$T/prober.err" && fail "sanitizer: $(cat "$T/prober.err")"
exit 0
