#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: TCP carriers are charged to --max-memory from their
# preamble to their end, as WebSockets are (642). 40 carriers that send
# only the preamble raise egress_memory_bytes by at least their output
# buffers (40 x 64 KiB) while held, and it returns to where it was once
# their handshake time closes them. With a budget those carriers fill,
# a new session is refused for memory (counted) instead of admitted on
# memory that is not there, and is served again once they are gone.
. "$PW_TOP/t/lib.sh"

N=40
BUF=65536
pw_httpd 1000000
H=$httpd_port
start_egress() {
	_n=$1
	shift
	pw_start "$_n" 2 pw_egress -l tcp:127.0.0.1:0 --max-per-source 1000 \
		--admin "unix:$T/$_n.sock" --allow "127.0.0.1:$H" "$@"
}
metric() {
	pw_metric "$T/$1.sock" "$2"
}
fetch() {
	pw_fetch "$1" big.bin --max-time 20 --socks5-hostname "127.0.0.1:$2" "http://127.0.0.1:$H/big.bin"
}

# 1. The charge, held and given back.
start_egress eg1 --handshake-timeout 3
ep1=$pw_ep
pw_start client1 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$ep1"
fetch warm "$pw_port"
mem0=$(metric eg1 egress_memory_bytes)
pw_start held 1 "$PW_HELPERS/tt-attack" -w 10 preamble "$ep1" "$N"
held_pid=$pw_pid
mem1=$(metric eg1 egress_memory_bytes)
note "egress_memory_bytes $mem0 before, $mem1 with $N preamble-only carriers ($(((mem1 - mem0) / N)) each)"
[ "$mem1" -ge $((mem0 + N * BUF)) ] || fail "the carriers are not charged: $mem0 -> $mem1"
pw_wait "$held_pid" 15
[ "$pw_rc" = 0 ] || fail "tt-attack: rc=$pw_rc"
mem2=$(metric eg1 egress_memory_bytes)
note "after their handshake time: $mem2"
[ "$mem2" -le $((mem0 + BUF)) ] || fail "the charge was not given back: $mem0 before, $mem2 after"
pw_stop client1
pw_stop eg1

# 2. A budget the carriers fill: a new session is refused for memory.
budget=4194304 # the least --max-memory: under what 80 carriers hold (about 66 KiB each)
# The carriers outlive curl's try (handshake time 30 s; tt-attack closes them after 10 s).
start_egress eg2 --max-memory "$budget" --handshake-timeout 30
ep2=$pw_ep
pw_start held2 1 "$PW_HELPERS/tt-attack" -w 10 preamble "$ep2" $((2 * N))
held2_pid=$pw_pid
pw_start client2 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$ep2"
port2=$pw_port
curl -sS --max-time 4 -o /dev/null --socks5-hostname "127.0.0.1:$port2" "http://127.0.0.1:$H/big.bin" \
	2>"$T/refused.cerr" && fail "a session was admitted over the budget the carriers hold"
refused=$(metric eg2 'egress_refused_total{reason="max_memory"}')
note "budget $budget: $(metric eg2 egress_memory_bytes) held; memory refusals $refused"
[ "$refused" -ge 1 ] || fail "no refusal for memory counted"
pw_wait "$held2_pid" 15
fetch after "$port2"
pw_stop client2
pw_stop eg2
exit 0
