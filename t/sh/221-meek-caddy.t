#!/bin/sh
# SPDX-License-Identifier: MIT
# The meek deployment through a real Caddy with TLS ("tls internal", its
# own CA): curl -> socks-client -> meek-client (fronted: TCP to 127.0.0.1,
# SNI meek.test, Caddy's CA) -> Caddy -> meek-server -> egress (UNIX
# socket, PROXY v2) -> httpd. A 20 MB file arrives byte for byte (SOCKS5
# and HTTP CONNECT, and two at once on one session); the far side sees a
# loopback client; Caddy's cover site and meek-server's probe answers are
# what a plain web server would say.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_meek_stack 20000000
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$meek_carrier"
px=127.0.0.1:$pw_port
url=http://127.0.0.1:$httpd_port

pw_fetch meek-socks5 big.bin --max-time 120 --socks5-hostname "$px" "$url/big.bin"
pw_fetch meek-connect 1k.bin -p -x "http://$px" "$url/1k.bin"

# Two transfers at once share the one meek session.
cp "$T/www/big.bin" "$T/www/big2.bin"
curl -sS --max-time 120 -o "$T/par1" --socks5-hostname "$px" "$url/big.bin" 2>"$T/par1.cerr" &
p1=$!
pw_track "$p1"
curl -sS --max-time 120 -o "$T/par2" --socks5-hostname "$px" "$url/big2.bin" 2>"$T/par2.cerr" &
p2=$!
pw_track "$p2"
pw_wait "$p1" 150
[ "$pw_rc" = 0 ] || fail "parallel 1: curl $pw_rc: $(cat "$T/par1.cerr")"
pw_wait "$p2" 150
[ "$pw_rc" = 0 ] || fail "parallel 2: curl $pw_rc: $(cat "$T/par2.cerr")"
[ "$(pw_sha "$T/par1")" = "$(pw_sha "$T/www/big.bin")" ] || fail "parallel 1: sha256 mismatch"
[ "$(pw_sha "$T/par2")" = "$(pw_sha "$T/www/big2.bin")" ] || fail "parallel 2: sha256 mismatch"
note "two 20 MB transfers at once: ok"

got=$(curl -sS --max-time 30 --socks5-hostname "$px" "$url/echo-ip") || fail "echo-ip through meek failed"
[ "$got" = 127.0.0.1 ] || fail "echo-ip: the web server saw '$got'"
note "the web server saw the egress at $got"

# The public side, as a prober sees it through Caddy.
site=https://$caddy_host:$caddy_port
c() {
	curl -sS --max-time 10 --cacert "$caddy_ca" --resolve "$caddy_host:$caddy_port:127.0.0.1" \
		-o "$T/probe.body" -w '%{http_code}' "$@"
}
st=$(c "$site/") || fail "cover site: curl failed"
{ [ "$st" = 200 ] && grep -q "It works" "$T/probe.body"; } || fail "cover site: HTTP $st"
st=$(c "$site/meek/") || fail "GET meek path: curl failed"
[ "$st" = 404 ] || fail "GET on the meek path: HTTP $st, want 404 (nothing there)"
st=$(c -X PUT "$site/meek/") || fail "PUT meek path: curl failed"
[ "$st" = 405 ] || fail "PUT on the meek path: HTTP $st, want 405"
st=$(c -X POST -H 'X-Session-Id: 0123456789abcdef' "$site/meek/") || fail "POST without token: curl failed"
[ "$st" = 403 ] || fail "POST without the token: HTTP $st, want 403"
st=$(c -X POST -H "X-Meek-Auth: $(cat "$T/token")" "$site/meek/") || fail "POST without id: curl failed"
[ "$st" = 400 ] || fail "POST without X-Session-Id: HTTP $st, want 400"
note "probes through Caddy: cover 200, GET 404, PUT 405, no token 403, no session id 400"

pw_stop client
pw_stop meek
pw_stop egress
