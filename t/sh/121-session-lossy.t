#!/bin/sh
# SPDX-License-Identifier: MIT
# Session mode over a lossy, reordering carrier: a carrier command that
# parses the encapsulation both ways and drops 1 % then 5 % of the
# packets (and swaps some neighbours). KCP repairs it: every byte
# arrives, in order.
. "$PW_TOP/t/lib.sh"

pw_httpd 10000000
H=$httpd_port
sock="$T/egress.sock"
pw_start egress 1 pw_egress -l "unix:$sock" --allow "127.0.0.1:$H"
for pct in 1 5; do
	pw_start "c$pct" 1 pw_socks_client -l tcp:127.0.0.1:0 \
		-C "exec python3 $PW_PY/lossy.py 0.0$pct 0.02 $sock 7"
	pw_fetch "lossy-$pct" big.bin --max-time 120 --socks5-hostname "127.0.0.1:$pw_port" \
		"http://127.0.0.1:$H/big.bin"
	grep -q "lossy: dropped 50" "$T/c$pct.err" || fail "$pct %: the carrier dropped nothing"
	note "$pct % loss: 10 MB intact, $(grep -c 'lossy: dropped' "$T/c$pct.err")x50 packets dropped"
	pw_stop "c$pct"
done
pw_stop egress
