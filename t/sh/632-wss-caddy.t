#!/bin/sh
# SPDX-License-Identifier: MIT
# wss:// carriers through a real Caddy (TLS with its own CA, reverse_proxy
# passing the WebSocket upgrade) to the egress's ws listener: socks-client
# -C 'wss://meek.test:PORT/ws/,front=127.0.0.1,ca=CADDY-CA' (TCP to the
# front, SNI and verified name meek.test) downloads sha256-exact; a wrong
# verify= name is refused with the certificate error and the next -C
# serves; the egress sees Caddy's connection as the carrier's source
# (Caddy is not a trusted listener's peer here).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_httpd 10000000
H=$httpd_port
pw_start egress 1 pw_egress -l ws://127.0.0.1:0/ --allow "127.0.0.1:$H"
ws=$pw_ep
hp=${ws#ws://}
hp=${hp%/}
pw_caddy "tcp:$hp" /ws/
note "caddy on 127.0.0.1:$caddy_port ($caddy_host) -> $ws"

url="wss://$caddy_host:$caddy_port/ws/snowflake"
pw_start client 1 pw_socks_client -v -l tcp:127.0.0.1:0 -C "$url,front=127.0.0.1,ca=$caddy_ca"
pw_fetch wss big.bin --max-time 60 --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/big.bin"

pw_start bad 1 pw_socks_client -v -l tcp:127.0.0.1:0 \
	-C "$url,front=127.0.0.1,verify=other.test,ca=$caddy_ca" \
	-C "$url,front=127.0.0.1,ca=$caddy_ca"
pw_fetch wss-next 1k.bin --max-time 60 --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$H/1k.bin"
grep -q "certificate name mismatch" "$T/bad.err" ||
	fail "no certificate error for verify=other.test: $(tail -n 5 "$T/bad.err")"
note "verify=other.test refused: $(grep -m 1 'certificate name mismatch' "$T/bad.err")"

grep -q "TLSv1.3" "$T/client.err" || fail "no TLS line in the client log: $(tail -n 5 "$T/client.err")"
pw_stop bad
pw_stop client
pw_stop egress
