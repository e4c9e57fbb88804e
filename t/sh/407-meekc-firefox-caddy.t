#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client --tls firefox through a real Caddy over HTTP/2: curl ->
# socks-client -> meek-client (NSS as Firefox: fronted to 127.0.0.1, SNI
# meek.test, Caddy's CA loaded as the only anchor) -> Caddy -> meek-server
# -> egress -> httpd. A 20 MB file arrives byte for byte; meek-client says
# it spoke HTTP/2 (ALPN h2) over TLS 1.3 and the answers were pipelined;
# Caddy logged HTTP/2 requests on the meek path.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_meek_stack 20000000
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$meek_carrier --tls firefox -v -v"
px=127.0.0.1:$pw_port
url=http://127.0.0.1:$httpd_port

pw_fetch ff-h2 big.bin --max-time 120 --socks5-hostname "$px" "$url/big.bin"
pw_fetch ff-h2-connect 1k.bin -p -x "http://$px" "$url/1k.bin"
pw_stop client
grep -q 'HTTP/2 connection to the front (ALPN h2, TLSv1.3)' "$T/client.err" ||
	fail "meek-client did not report HTTP/2 over TLS 1.3"
grep -q 'TLS (NSS, Firefox): TLSv1.3, ALPN h2' "$T/client.err" ||
	fail "the TLS session was not NSS's"
ended=$(grep 'session ended after' "$T/client.err" | tail -n 1)
note "meek-client: ${ended#*: }"
inflight=$(echo "$ended" | sed -n 's/.*(\([0-9]*\) in flight at most).*/\1/p')
[ "${inflight:-0}" -ge 2 ] || fail "no pipelined polls over HTTP/2: $ended"
pw_stop meek
pw_stop egress
exit 0
