#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: one session opens 5000 streams and never sends a
# destination. Past --max-session-streams (512) they are refused at once,
# the 512 held end after --connect-timeout, and another session's fetch
# is served meanwhile without delay; every refusal is counted and the
# stream gauge returns to 0.
. "$PW_TOP/t/lib.sh"

pw_httpd 2000000
H=$httpd_port
pw_start egress 2 pw_egress -l tcp:127.0.0.1:0 --connect-timeout 2 \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_ep=$pw_ep
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_port=$pw_port

fetch() {
	pw_fetch "$1" big.bin --max-time 10 --socks5-hostname "127.0.0.1:$client_port" \
		"http://127.0.0.1:$H/big.bin"
}

fetch warm
# "ready" once the egress refused the first stream: the cap is reached.
pw_keys
pw_start attack 1 "$PW_HELPERS/tt-attack" -w 20 -F "$pw_fingerprint" -c "$T/credentials" \
	streams "$egress_ep" 5000
attack_pid=$pw_pid
attack_cat=""
eval "attack_cat=\$_pw_cat_attack"
t0=$(date +%s.%N)
fetch during
t1=$(date +%s.%N)
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
note "fetch during the attack took ${took}s"
awk -v t="$took" 'BEGIN { exit !(t < 5) }' || fail "fetch during the attack took ${took}s"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="max_session_streams"}')
[ "$n" -gt 0 ] || fail "max_session_streams counted $n"
pw_wait "$attack_pid" 25
[ "$pw_rc" = 0 ] || fail "attacker rc=$pw_rc: $(cat "$T/attack.err")"
pw_wait "$attack_cat" 5
note "attacker: $(tr '\n' ' ' <"$T/attack.out")"
grep -q '^closed 5000 of 5000 ' "$T/attack.out" || fail "attacker: $(cat "$T/attack.out")"
d=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="destination_timeout"}')
[ "$d" -gt 0 ] || fail "destination_timeout counted $d"
s=$(pw_metric "$T/admin.sock" egress_streams)
[ "$s" = 0 ] || fail "egress_streams $s after the attacker left"
note "max_session_streams $n, destination_timeout $d, streams $s"
fetch after
pw_stop client
pw_stop egress
pw_stop httpd
