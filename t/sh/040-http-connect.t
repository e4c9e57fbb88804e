#!/bin/sh
# SPDX-License-Identifier: MIT
# curl -p -x http:// (HTTP CONNECT) → socks-client → egress → httpd:
# 50 MB sha256 equal, on the same port that speaks SOCKS5.
. "$PW_TOP/t/lib.sh"

pw_tunnel 50000000

pw_fetch connect big.bin -p -x "http://127.0.0.1:$client_port" "$url/big.bin"
pw_fetch connect-small 1k.bin -p -x "http://127.0.0.1:$client_port" "$url/1k.bin"
pw_fetch then-socks5 big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"

# The CONNECT answer is a 2xx status line; curl reports it.
st=$(curl -sS --max-time 20 -o /dev/null -w '%{http_connect}' -p \
	-x "http://127.0.0.1:$client_port" "$url/1k.bin") || fail "CONNECT fetch failed"
[ "$st" = 200 ] || fail "CONNECT answered $st, want 200"

# Raw CONNECT with early data glued after the headers: the GET must not
# be dropped.
out=$(python3 "$PW_PY/raw.py" "127.0.0.1:$client_port" \
	"s:$(printf 'CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: x\r\n\r\nGET /1k.bin HTTP/1.0\r\n\r\n' "$httpd_port" | od -An -v -tx1 | tr -d ' \n')" \
	l) || fail "raw CONNECT: $out"
case $out in
"HTTP/1."?" 200"*) ;;
*) fail "raw CONNECT with early data: got '$out'" ;;
esac
pw_stop client
pw_stop egress
