#!/bin/sh
# SPDX-License-Identifier: MIT
# stun-prober --nat against coturn with two addresses and an alternate
# port (RFC 5780): on loopback there is no NAT, so both mapping and
# filtering are endpoint-independent, as Debian's stun client also says
# ("Open"). A server without OTHER-ADDRESS (coturn with --no-rfc5780) is
# reported unsupported.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

turn_start
P=$turn_port
"$PW_BIN/stun-prober" --nat -t 1000 "stun:127.0.0.1:$P" >"$T/out" 2>"$T/prober.err" ||
	fail "exit $?: $(cat "$T/out")"
cat "$T/out"
awk -F'\t' 'NF != 10 { exit 1 }' "$T/out" || fail "want 10 columns"
[ "$(cut -f8 "$T/out")" = endpoint-independent ] || fail "mapping: $(cut -f8 "$T/out")"
[ "$(cut -f9 "$T/out")" = endpoint-independent ] || fail "filtering: $(cut -f9 "$T/out")"
stun "127.0.0.1:$P" >"$T/stun.out" 2>&1
grep -q 'Open' "$T/stun.out" || fail "stun client disagrees: $(cat "$T/stun.out")"
note "stun client: $(grep Primary "$T/stun.out")"

"$PW_BIN/stun-prober" --nat -j -t 1000 "stun:127.0.0.2:$P" >"$T/json" 2>>"$T/prober.err" || fail "-j"
grep -q '"mapping":"endpoint-independent","filtering":"endpoint-independent"' "$T/json" ||
	fail "json: $(cat "$T/json")"

pw_stop_turn() {
	kill -TERM "$turn_pid"
	pw_wait "$turn_pid" 10
}
pw_stop_turn
turn_start --no-rfc5780
"$PW_BIN/stun-prober" --nat -t 1000 "stun:127.0.0.1:$turn_port" >"$T/out2" 2>>"$T/prober.err" ||
	fail "--no-rfc5780: exit $?"
cat "$T/out2"
[ "$(cut -f6 "$T/out2")" = - ] || fail "OTHER-ADDRESS without RFC 5780?"
[ "$(cut -f8 "$T/out2")" = unsupported ] || fail "mapping: $(cut -f8 "$T/out2")"
[ "$(cut -f9 "$T/out2")" = unsupported ] || fail "filtering: $(cut -f9 "$T/out2")"
grep -q Sanitizer "$T/prober.err" && fail "sanitizer: $(cat "$T/prober.err")"
exit 0
