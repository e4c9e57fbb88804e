#!/bin/sh
# SPDX-License-Identifier: MIT
# A TURN allocation held past short coturn lifetimes (allocation 6 s,
# permission 5 s, channel 7 s) stays alive through refreshes while data
# flows through a channel to turnutils_peer, which echoes it: over UDP
# with REST credentials, then over TCP. turn-hold (t/helpers) checks
# every echo and prints its refresh counts. Then Send/Data indications
# instead of a channel. A control run that does not refresh in time loses
# its echoes.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"

# coturn takes these three only in the --name=value form.
turn_start --max-allocate-lifetime=6 --permission-lifetime=5 --channel-lifetime=7
turn_peer_start
hold() {
	"$PW_HELPERS/turn-hold" -s "127.0.0.1:$turn_port" -p "127.0.0.1:$peer_port" \
		--secret-file "$T/turn.secret" --perm-lifetime 5 --chan-lifetime 7 -d 15 -i 200 "$@"
}
for mode in udp tcp; do
	if [ "$mode" = tcp ]; then
		hold --tcp >"$T/$mode.out" 2>"$T/$mode.err" &
	else
		hold >"$T/$mode.out" 2>"$T/$mode.err" &
	fi
	hp=$!
	pw_track "$hp"
	pw_wait "$hp" 40
	cat "$T/$mode.out"
	[ "$pw_rc" = 0 ] || fail "$mode: turn-hold exit $pw_rc: $(cat "$T/$mode.err")"
	grep -q '^allocated 127\.0\.0\.1:[0-9]* lifetime 6$' "$T/$mode.out" ||
		fail "$mode: allocation lifetime not the shortened 6 s"
	sum=$(grep '^summary' "$T/$mode.out")
	# 15 s held: at least 2 allocation refreshes (every 3 s) and 2 channel
	# and permission refreshes (every 2.5 s), and the data never stopped.
	printf '%s\n' "$sum" | awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["refreshes"] < 2 || v["perm_refreshes"] < 2 || v["chan_refreshes"] < 2) exit 1
		if (v["sent"] < 20 || v["echoed"] + 1 < v["sent"] || v["bad"] != 0) exit 1
		if (v["channel"] < v["sent"] - 1) exit 1
	}' || fail "$mode: $sum"
	grep -q Sanitizer "$T/$mode.err" && fail "$mode: sanitizer: $(cat "$T/$mode.err")"
	note "$mode: $sum"
done

# Send and Data indications instead of a channel, past the permission
# lifetime (the first datagram may go out before the permission exists).
hold -d 8 --indication >"$T/ind.out" 2>"$T/ind.err" &
hp=$!
pw_track "$hp"
pw_wait "$hp" 40
cat "$T/ind.out"
[ "$pw_rc" = 0 ] || fail "indications: turn-hold exit $pw_rc: $(cat "$T/ind.err")"
grep '^summary' "$T/ind.out" | grep -q ' channel=0 ' || fail "indications: used a channel"
grep -q '^received channel=0 indication=[1-9]' "$T/ind.out" || fail "indications: no Data indication"
note "indications: $(grep '^summary' "$T/ind.out")"

# The control: told the RFC lifetimes, turn-hold refreshes nothing within
# 9 s, coturn drops the permission at 5 s, and the echoes stop.
hold -d 9 --perm-lifetime 300 --chan-lifetime 600 >"$T/ctl.out" 2>"$T/ctl.err" &
hp=$!
pw_track "$hp"
pw_wait "$hp" 40
cat "$T/ctl.out"
[ "$pw_rc" = 1 ] || fail "control: turn-hold exit $pw_rc, want 1 (echoes lost)"
grep '^summary' "$T/ctl.out" | grep -q 'perm_refreshes=0 chan_refreshes=0' || fail "control refreshed"
note "control without refreshes: $(grep '^summary' "$T/ctl.out")"
exit 0
