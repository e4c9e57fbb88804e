#!/bin/sh
# SPDX-License-Identifier: MIT
# IPv6 on loopback: web server, egress and socks-client listening on
# [::1], an IPv6 destination (ATYP 4) allowed by a bracketed rule, and
# another port of [::1] refused.
. "$PW_TOP/t/lib.sh"

python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null || {
	note "no IPv6 loopback here: skipped"
	exit 0
}
mkdir -p "$T/www"
head -c 5000000 /dev/urandom >"$T/www/big.bin"
pw_start httpd 1 "$PW_HELPERS/httpd" -l "tcp:[::1]:0" -d "$T/www"
H=$pw_port
case $pw_ep in
"tcp:[::1]:"*) ;;
*) fail "httpd ready line '$pw_ep', want tcp:[::1]:PORT" ;;
esac
pw_start egress 1 pw_egress -l "tcp:[::1]:0" --allow "[::1]:$H"
egress_ep=$pw_ep egress_port=$pw_port
case $egress_ep in
"tcp:[::1]:"*) ;;
*) fail "egress ready line '$egress_ep', want tcp:[::1]:PORT" ;;
esac
pw_start client 1 pw_socks_client -l "tcp:[::1]:0" -C "$egress_ep"
client_port=$pw_port

pw_fetch v6-direct big.bin --socks5 "[::1]:$egress_port" "http://[::1]:$H/big.bin"
pw_fetch v6-client big.bin --socks5-hostname "[::1]:$client_port" "http://[::1]:$H/big.bin"
pw_fetch v6-connect big.bin -p -x "http://[::1]:$client_port" "http://[::1]:$H/big.bin"
# Not allowed: another IPv6 loopback port.
pw_refused v6-other-port 2 --socks5 "[::1]:$egress_port" "http://[::1]:$((H + 1))/"
pw_stop client
pw_stop egress
