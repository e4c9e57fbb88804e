#!/bin/sh
# SPDX-License-Identifier: MIT
# The bulk window on a long path: a call to lanturn-egress through a relay
# that holds every datagram 40 ms each way (t/helpers/udp-delay.py, an
# 80 ms round trip). A window fixed at 48 packets would hold the download
# to 48 x 1,200 bytes a round trip (about 0.7 MB/s); the window grows to
# two BDPs (common/call/pace.h): lanturn-egress's largest window is above
# 48 packets, and the least round trip it measured is the path's. A 4 MB
# download, sha256-exact; its time is printed, not asserted.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-lanturn.sh"

lanturn_up 4000000
pw_start delay 1 python3 "$PW_PY/udp-delay.py" 40 "127.0.0.1:$lt_port"
delay_port=${pw_ep##*:}
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 \
	-C "$PW_HELPERS/lanturn-call -p 127.0.0.1:$delay_port -f $lt_fp --profile bulk"
client_port=$pw_port
pw_fetch warm 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
t0=$(date +%s%N)
pw_fetch long big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
ms=$((($(date +%s%N) - t0) / 1000000))
top=$(lt_metric lanturn_pace_window_max_packets)
min=$(lt_metric lanturn_pace_rtt_min_seconds)
note "4 MB over an 80 ms round trip in $ms ms; window up to $top packets; least round trip $min s;" \
	"window closed $(lt_metric lanturn_pace_window_closed_seconds) s"
[ "${top:-0}" -gt 48 ] || fail "the window never grew past 48 packets (largest ${top:-none})"
awk -v m="$min" 'BEGIN { exit !(m >= 0.079 && m < 1) }' || fail "least round trip $min s on an 80 ms path"
exit 0
