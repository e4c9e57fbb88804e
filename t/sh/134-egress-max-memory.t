#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: out-of-order KCP floods against a small --max-memory. The
# sessions together stay within the process budget (RSS grows by about
# the budget, not by 8 MB a session), out-of-order segments never take
# the share kept for in-order traffic (what does not fit is dropped and
# counted on /metrics), and a legitimate download through
# the same egress completes during the flood.
. "$PW_TOP/t/lib.sh"

# Growth measured: 29 MB, 41 MB under ASan (its redzones round every KCP
# segment up). 64 MB leaves ASan half again; twelve sessions of holes
# without the budget would take 96 MB and more. (A 48 MiB budget under an
# 80 MB bound left ASan's 61 MB a quarter.)
BUDGET=$((32 << 20))
LIMIT_KB=$((64 * 1024)) # the budget, plus allocator slack and the download's buffers
pw_httpd 20000000
H=$httpd_port
pw_start egress 2 pw_egress -l tcp:127.0.0.1:0 --max-memory "$BUDGET" \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid egress_ep=$pw_ep
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_port=$pw_port
pw_fetch warm 1k.bin --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$H/1k.bin"
base=$(pw_rss "$egress_pid")

# Twelve sessions of holes would hold 8 MiB each, 96 MiB in all, without the budget.
pw_start flood 1 "$PW_HELPERS/kcp-ooo-flood" -n 12 -l 5600 -s 1376 -t 120 "$egress_ep"
rss=$(pw_rss "$egress_pid")
held=$(pw_metric "$T/admin.sock" egress_memory_bytes)
note "twelve flood sessions: egress VmRSS ${base} kB -> ${rss} kB, budget holds $held bytes"
[ "$held" -le "$BUDGET" ] || fail "sessions hold $held bytes, over the budget of $BUDGET"
[ $((rss - base)) -lt "$LIMIT_KB" ] ||
	fail "the flood grew the egress by $((rss - base)) kB (limit $LIMIT_KB)"
# Holes may take all but an eighth of the budget: the flood reached that.
[ "$held" -gt $((BUDGET * 3 / 4)) ] || fail "the flood holds only $held bytes: it never reached the budget"
# What did not fit was dropped, and /metrics counts it.
drops=$(pw_metric "$T/admin.sock" egress_kcp_memory_drops_total)
note "segments dropped for the budget: $drops"
[ "$drops" -gt 0 ] || fail "egress_kcp_memory_drops_total is $drops after a flood past the budget"

pw_fetch during big.bin --max-time 60 --socks5-hostname "127.0.0.1:$client_port" \
	"http://127.0.0.1:$H/big.bin"
pw_stop flood
pw_alive egress
pw_stop client
pw_stop egress
