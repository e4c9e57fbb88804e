#!/bin/sh
# SPDX-License-Identifier: MIT
# The TURN half of lanturn-client (stun/turnpath, driven by the
# turn-path helper) against coturn with REST credentials from a
# credentials file and short lifetimes (allocation 6 s, permission 5 s,
# channel 7 s): one path held 14 s keeps its channel to turnutils_peer
# through refreshes that coturn answers, and every echo comes back;
# the Refresh 0 at the end is answered too.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanc_turn a --max-allocate-lifetime=6 --permission-lifetime=5 --channel-lifetime=7
a_port=$turn_port
turn_peer_start
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"
"$PW_HELPERS/turn-path" --turn "turn:127.0.0.1:$a_port" --credentials-file "$T/cred" \
	--peer "127.0.0.1:$peer_port" --perm-lifetime 5 --chan-lifetime 7 -d 14 -i 100 \
	>"$T/path.out" 2>"$T/path.err" &
hp=$!
pw_track "$hp"
pw_wait "$hp" 40
cat "$T/path.out"
[ "$pw_rc" = 0 ] || fail "turn-path exit $pw_rc: $(cat "$T/path.err")"
grep -q '^ready 1 turn:127.0.0.1:[0-9]* tls=0 fell_back=0' "$T/path.out" || fail "not ready over UDP"
rel=$(grep '^released 1 ' "$T/path.out") || fail "not released"
# 14 s held: allocation refreshes every 3 s, permission and channel every 2.5 s.
printf '%s\n' "$rel" | awk '{
	for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["refreshes"] < 3 || v["perm_refreshes"] < 3 || v["chan_refreshes"] < 3) exit 1
	if (v["sent"] < 50 || v["echoed"] + 1 < v["sent"]) exit 1
}' || fail "refreshes or echoes short: $rel"
note "$rel"
# coturn's side: the refreshes it answered, and the allocation deleted by Refresh 0.
nref=$(grep -c 'REFRESH processed, success' "$T/a/turn.log")
[ "$nref" -ge 4 ] || fail "coturn logged $nref successful refreshes, want >= 4 (3 + the final one)"
note "coturn answered $nref refreshes"
grep -q Sanitizer "$T/path.err" && fail "sanitizer: $(cat "$T/path.err")"
exit 0
