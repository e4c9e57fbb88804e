#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: silent connections and carriers that send only the
# preamble hold an inbound slot each, and no more than --handshake-timeout:
# 400 of them are all closed in time, the egress's descriptors return to
# their baseline, a legitimate client is served while they are held, and
# every one is counted. Then one source over --max-per-source is refused
# at once while another source is served.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000000
H=$httpd_port
pw_start egress 2 pw_egress -l tcp:127.0.0.1:0 --handshake-timeout 2 \
	--max-per-source 1000 --admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid egress_ep=$pw_ep
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_port=$pw_port

# attack_done NAME SECONDS: wait for an attacker and its stdout drain.
attack_done() {
	_p="" _c=""
	eval "_p=\$_pw_pid_$1 _c=\$_pw_cat_$1"
	pw_wait "$_p" "$2"
	[ "$pw_rc" = 0 ] || fail "$1: rc=$pw_rc"
	pw_wait "$_c" 5
}

nfd() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

fetch() {
	pw_fetch "$1" big.bin --max-time 10 --socks5-hostname "127.0.0.1:$client_port" \
		"http://127.0.0.1:$H/big.bin"
}

# The session and its carrier are up before the baseline is taken.
fetch warm
base=$(nfd "$egress_pid")

# 1. 200 silent connections and 200 preamble-only carriers, held.
pw_start silent 1 "$PW_HELPERS/tt-attack" -w 10 silent "$egress_ep" 200
pw_start preamble 1 "$PW_HELPERS/tt-attack" -w 10 preamble "$egress_ep" 200
held=$(pw_metric "$T/admin.sock" egress_inbound)
[ "$held" -ge 401 ] || fail "egress_inbound $held while 400 are held"
fetch during
attack_done silent 15
attack_done preamble 15
for a in silent preamble; do
	line=$(grep '^closed' "$T/$a.out")
	note "$a: $line"
	# All 200, at 2 s after accept; 1.5 s of margin for a loaded machine.
	echo "$line" | awk '{ exit !($2 == 200 && $6 <= 3.5) }' || fail "$a: $line"
done
now=$(nfd "$egress_pid")
[ "$now" -eq "$base" ] || fail "egress descriptors: $now after the attack, $base before"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="handshake_timeout"}')
[ "$n" -ge 400 ] || fail "handshake_timeout counted $n, want >= 400"
# Preamble-only carriers started no session: they hold no session slot.
s=$(pw_metric "$T/admin.sock" egress_sessions)
[ "$s" -le 1 ] || fail "egress_sessions $s after the attack: preambles hold session slots"
note "descriptors back to $base; handshake_timeout $n; sessions $s"
fetch after
pw_stop egress

# 2. Default --max-per-source (64): 127.0.0.2 opens 100, 36 are closed
# at once, 64 held; a client from 127.0.0.1 is served meanwhile.
pw_start egress2 2 pw_egress -l tcp:127.0.0.1:0 \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress2_ep=$pw_ep
pw_start client2 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress2_ep"
client_port=$pw_port
pw_start flood 1 "$PW_HELPERS/tt-attack" -s 127.0.0.2 -w 4 silent "$egress2_ep" 100
fetch other-source
attack_done flood 10
line=$(grep '^closed' "$T/flood.out")
note "flood: $line; $(grep '^open' "$T/flood.out")"
echo "$line" | awk '{ exit !($2 == 36 && $6 < 1) }' ||
	fail "flood from one source: $line, want 36 closed at once"
grep -q '^open 64 ' "$T/flood.out" || fail "flood: $(cat "$T/flood.out")"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="max_per_source"}')
[ "$n" -ge 36 ] || fail "max_per_source counted $n, want >= 36"
pw_stop client2
pw_stop egress2
pw_stop client
pw_stop httpd
