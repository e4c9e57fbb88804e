#!/bin/sh
# SPDX-License-Identifier: MIT
# Bulk pacing through coturn: a 20 MB download, sha256-exact, while
# coturn's relay socket (a 128 KiB receive buffer, coturn's default)
# drops few of the datagrams lanturn-egress sends it. Unpaced, the
# download burst into that buffer and it dropped about 8 in 10 (70,000
# of 84,000 for two 50 MB downloads); paced, a few in 100. The bound
# asserted is 1 in 4. Receiver reports flow both ways (the client's
# upstream is paced by the egress's reports), the SRTCP they ride in is
# authenticated (no bad datagram at either end).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

# relay_drops: datagrams coturn's UDP sockets dropped (receive buffer full).
relay_drops() {
	ss -uamnp 2>/dev/null | awk -v pid="pid=$turn_pid," '
		index($0, pid) { want = 1; seen = 1; next }
		want && match($0, /,d[0-9]+\)/) { n += substr($0, RSTART + 2, RLENGTH - 3) }
		{ want = 0 }
		END { if (seen) print n + 0 }'
}

lanturn_up 20000000
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"
lanc_client client bulk "turn:127.0.0.1:$a_port"
pw_fetch warm 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
d0=$(relay_drops)
[ -n "$d0" ] || fail "cannot read coturn's sockets (ss -uamp)"
o0=$(lt_metric lanturn_datagrams_out_total)
pw_fetch bulk big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
drops=$(($(relay_drops) - d0))
sent=$(($(lt_metric lanturn_datagrams_out_total) - o0))
rr_in=$(lt_metric lanturn_receiver_reports_in)
cuts=$(lt_metric lanturn_pace_cuts)
rate=$(lt_metric lanturn_pace_rate_bytes)
note "20 MB: lanturn-egress sent $sent datagrams, coturn's relay dropped $drops;" \
	"$rr_in receiver reports in, $cuts rate cuts, rate now $rate bytes/s"
[ "$sent" -gt 16000 ] || fail "only $sent datagrams for 20 MB"
[ $((drops * 4)) -lt "$sent" ] || fail "coturn dropped $drops of $sent datagrams"
[ "$rr_in" -gt 0 ] || fail "lanturn-egress took no receiver report"
[ "$(lt_metric lanturn_send_dropped_total)" = 0 ] || fail "lanturn-egress's own socket refused datagrams"
pw_stop client
python3 "$PW_PY/wait-for.py" "$T/client.err" "lanturn-client: done:" 10 || fail "lanturn-client did not end"
line=$(grep 'call 1: paced at' "$T/client.err") || fail "lanturn-client logged no pacing"
note "client: ${line#*: call 1: }"
in=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) reports in.*/\1/p')
[ "${in:-0}" -gt 0 ] || fail "lanturn-client took no receiver report"
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
