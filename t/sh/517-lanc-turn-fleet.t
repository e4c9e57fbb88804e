#!/bin/sh
# SPDX-License-Identifier: MIT
# The fleet of the TURN half (stun/fleet, stun/turnpath): three coturns
# and an endpoint where nothing answers. Over 30 paths the dead one is
# tried exactly 3 times (ICMP refusals), then left alone as unhealthy;
# no endpoint is picked twice in a row; each live coturn gets a share of
# the picks. Then a coturn killed under a held path: the path is lost at
# its next refresh and the next path goes through the other coturn.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanc_turn a
a_port=$turn_port
lanc_turn b
b_port=$turn_port
lanc_turn c
c_port=$turn_port
turn_peer_start
dead=$(lanc_free_udp)
for p in "$a_port" "$b_port" "$dead" "$c_port"; do
	lanc_cred "turn:127.0.0.1:$p"
done >"$T/cred"
"$PW_HELPERS/turn-path" --turn "turn:127.0.0.1:$a_port" --turn "turn:127.0.0.1:$b_port" \
	--turn "turn:127.0.0.1:$dead" --turn "turn:127.0.0.1:$c_port" --credentials-file "$T/cred" \
	--peer "127.0.0.1:$peer_port" --paths 30 -d 0.3 -i 50 >"$T/fleet.out" 2>"$T/fleet.err" &
hp=$!
pw_track "$hp"
pw_wait "$hp" 120
[ "$pw_rc" = 1 ] || fail "fleet: exit $pw_rc, want 1 (3 failed paths): $(tail -n 5 "$T/fleet.out")"
sum=$(grep '^summary' "$T/fleet.out")
note "$sum"
case $sum in
*"attempts=30 ready=27 failed=3 auth=0 healthy=3 "*"picks=0:"*",1:"*",2:3,3:"*" bad=0") ;;
*) fail "fleet summary: $sum" ;;
esac
[ "$(grep -c "^failed [0-9]* auth=0 turn:127.0.0.1:$dead: " "$T/fleet.out")" = 3 ] ||
	fail "the 3 failures are not all the dead endpoint's: $(grep '^failed' "$T/fleet.out")"
# The URI of every pick, in order: never the same twice in a row.
sed -n 's/^ready [0-9]* \([^ ]*\) .*/\1/p; s/^failed [0-9]* auth=[01] \(turn:[^ ]*\): .*/\1/p' \
	"$T/fleet.out" >"$T/picks"
[ "$(wc -l <"$T/picks")" = 30 ] || fail "not 30 picks: $(cat "$T/picks")"
[ "$(uniq "$T/picks" | wc -l)" = 30 ] || fail "an endpoint picked twice in a row: $(tr '\n' ' ' <"$T/picks")"
for p in "$a_port" "$b_port" "$c_port"; do
	n=$(grep -c ":$p\$" "$T/picks")
	[ "$n" -ge 4 ] || fail "coturn on $p picked $n times of 27"
done
note "picks: $(sort "$T/picks" | uniq -c | tr -s ' \n' ' ')"

# A coturn killed under a held path (short lifetimes: a refresh every ~2.5 s).
lanc_turn d --max-allocate-lifetime=6 --permission-lifetime=5 --channel-lifetime=7
d_port=$turn_port d_pid=$turn_pid
lanc_turn e --max-allocate-lifetime=6 --permission-lifetime=5 --channel-lifetime=7
e_port=$turn_port e_pid=$turn_pid
{
	lanc_cred "turn:127.0.0.1:$d_port"
	lanc_cred "turn:127.0.0.1:$e_port"
} >"$T/cred2"
"$PW_HELPERS/turn-path" --turn "turn:127.0.0.1:$d_port" --turn "turn:127.0.0.1:$e_port" \
	--credentials-file "$T/cred2" --peer "127.0.0.1:$peer_port" --perm-lifetime 5 --chan-lifetime 7 \
	--paths 2 -d 10 -i 100 >"$T/kill.out" 2>"$T/kill.err" &
hp=$!
pw_track "$hp"
python3 "$PW_PY/wait-for.py" --re "$T/kill.out" '^ready 1 ' 20 || fail "first path not ready"
first=$(sed -n 's/^ready 1 turn:127.0.0.1:\([0-9]*\) .*/\1/p' "$T/kill.out")
if [ "$first" = "$d_port" ]; then victim=$d_pid other=$e_port; else victim=$e_pid other=$d_port; fi
kill -TERM "$victim"
t0=$(date +%s%N)
python3 "$PW_PY/wait-for.py" --re "$T/kill.out" '^failed 1 ' 15 || fail "loss not noticed: $(cat "$T/kill.out")"
ms=$((($(date +%s%N) - t0) / 1000000))
pw_wait "$hp" 40
cat "$T/kill.out"
grep -q "^ready 2 turn:127.0.0.1:$other " "$T/kill.out" || fail "second path not on the other coturn"
grep -q '^released 2 ' "$T/kill.out" || fail "second path not held to the end"
note "coturn killed: loss noticed after $ms ms: $(grep '^failed 1' "$T/kill.out")"
grep -q Sanitizer "$T/fleet.err" "$T/kill.err" && fail "sanitizer"
exit 0
