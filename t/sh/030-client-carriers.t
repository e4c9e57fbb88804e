#!/bin/sh
# SPDX-License-Identifier: MIT
# socks-client with a unix: carrier to an egress unix listener, with a
# command carrier (a pipe program on stdin/stdout), and with a dead first
# carrier followed by a good one (-C tried in order).
. "$PW_TOP/t/lib.sh"

pw_httpd 50000000
sock="$T/egress.sock"
pw_start egress 2 pw_egress -l "unix:$sock" -l tcp:127.0.0.1:0 \
	--allow "127.0.0.1:$httpd_port"
egress_ep=$pw_ep egress_ep2=$pw_ep2
case "$egress_ep $egress_ep2" in
*"unix:$sock"*) ;;
*) fail "egress ready lines: '$egress_ep' '$egress_ep2', want unix:$sock among them" ;;
esac
case $egress_ep2 in
tcp:*) tcp_ep=${egress_ep2#tcp:} ;;
*) tcp_ep=${egress_ep#tcp:} ;;
esac
[ -S "$sock" ] || fail "no socket at $sock"
url="http://127.0.0.1:$httpd_port"

pw_start cu 1 pw_socks_client -l tcp:127.0.0.1:0 -C "unix:$sock"
cu_port=$pw_port
pw_fetch unix-carrier big.bin --socks5-hostname "127.0.0.1:$cu_port" "$url/big.bin"

# Command carriers: socat, and a python3 pipe to the TCP listener.
command -v socat >/dev/null || fail "socat not installed (scripts/install-deps)"
pw_start cc 1 pw_socks_client -l tcp:127.0.0.1:0 -C "socat - UNIX-CONNECT:$sock"
cc_port=$pw_port
pw_fetch command-carrier big.bin --socks5-hostname "127.0.0.1:$cc_port" "$url/big.bin"
pw_fetch command-carrier-http big.bin -p -x "http://127.0.0.1:$cc_port" "$url/big.bin"
pw_start cp 1 pw_socks_client -l tcp:127.0.0.1:0 -C "python3 $PW_PY/relay.py $tcp_ep"
cp_port=$pw_port
pw_fetch python-carrier big.bin --socks5-hostname "127.0.0.1:$cp_port" "$url/big.bin"

pw_start cf 1 pw_socks_client -l tcp:127.0.0.1:0 \
	-C "unix:$T/nothing-here.sock" -C "exit 3" -C "unix:$sock"
cf_port=$pw_port
pw_fetch fallback big.bin --socks5-hostname "127.0.0.1:$cf_port" "$url/big.bin"
pw_fetch fallback-again 1k.bin --socks5-hostname "127.0.0.1:$cf_port" "$url/1k.bin"

pw_stop cu
pw_stop cc
pw_stop cp
pw_stop cf
pw_stop egress
[ -e "$sock" ] && fail "egress left its socket $sock behind"
exit 0
