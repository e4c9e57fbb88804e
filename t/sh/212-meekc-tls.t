#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client over TLS. Against a scripted TLS server with a test CA: the
# certificate verifies with --ca; domain fronting sends the front's SNI
# and the URL host in Host:; an empty sni= sends no SNI at all (Akamai
# style) while verify= still pins the name; a wrong verify= name and an
# unknown CA fail with a clear message and 111; a --ca that holds no
# certificate is a usage error (100). Then through a real Caddy with
# "tls internal" in front of meek-server: a 3 MB echo, SNI sent and not,
# over one HTTP/2 connection (ALPN h2, several streams in flight) and
# with --http1 over HTTP/1.1; the scripted server offers only http/1.1,
# so there meek-client falls back to HTTP/1.1 connections.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"
. "$PW_TOP/t/lib-caddy.sh"

command -v openssl >/dev/null || fail "openssl not installed (scripts/install-deps)"
meekc_certs "$T/pki" meek.test front.test
ca=$T/pki/ca.crt
meekc_fake tls echo --tls "$T/pki/srv.crt" "$T/pki/srv.key"
p=$meekc_fake_port
head -c 200000 /dev/urandom >"$T/data"

# check LABEL SNI HOST: the last request logged had this SNI and Host.
check() {
	_l=$(tail -n 1 "$T/tls.log")
	case $_l in
	*" sni=$2 host=$3 "*) note "$1: sni=$2 host=$3" ;;
	*) fail "$1: want sni=$2 host=$3, logged: $_l" ;;
	esac
}

cp "$T/data" "$T/plain.in"
meekc_run plain 0 30 --url "https://meek.test:$p/" --front "127.0.0.1:$p,sni=meek.test" --ca "$ca"
[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/plain.got")" ] || fail "plain: output differs"
check plain meek.test "meek.test:$p"

# Fronting: TCP to the front, SNI front.test, Host: the URL host.
cp "$T/data" "$T/fronted.in"
meekc_run fronted 0 30 --url "https://inner.example:$p/" --front "127.0.0.1:$p,sni=front.test" \
	--ca "$ca"
[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/fronted.got")" ] || fail "fronted: output differs"
check fronted front.test "inner.example:$p"

# No SNI at all; the certificate is still checked against verify=.
meekc_run nosni 0 30 --url "https://inner.example:$p/" \
	--front "127.0.0.1:$p,sni=,verify=meek.test" --ca "$ca"
check nosni - "inner.example:$p"

# Several fronts: each connection picks one; all of them work.
meekc_run fronts 0 30 --url "https://meek.test:$p/" --ca "$ca" \
	--front "127.0.0.1:$p,sni=front.test" --front "127.0.0.1:$p,sni=,verify=meek.test"

# Verification failures: clear message, 111, nothing sent.
n0=$(wc -l <"$T/tls.log")
meekc_run wrongname 111 30 --url "https://meek.test:$p/" \
	--front "127.0.0.1:$p,sni=meek.test,verify=wrong.test" --ca "$ca"
grep -q 'certificate name mismatch (want wrong.test)' "$T/wrongname.err" ||
	fail "wrongname: $(cat "$T/wrongname.err")"
meekc_run unknownca 111 30 --url "https://meek.test:$p/" --front "127.0.0.1:$p,sni=meek.test"
grep -q 'unknown CA' "$T/unknownca.err" || fail "unknownca: $(cat "$T/unknownca.err")"
[ "$(wc -l <"$T/tls.log")" -eq "$n0" ] || fail "a request went out over an unverified connection"
meekc_run notaca 100 30 --url "https://meek.test:$p/" --front "127.0.0.1:$p" --ca "$T/data"
grep -q 'no usable CA' "$T/notaca.err" || fail "notaca: $(cat "$T/notaca.err")"
# http:// needs --insecure-plaintext; --front needs https.
meekc_run plainurl 100 10 --url "http://127.0.0.1:$p/"
meekc_run plainfront 100 10 --url "http://127.0.0.1:$p/" --insecure-plaintext --front 127.0.0.1

# The real thing: Caddy (tls internal) -> meek-server -> echo.
pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" --path /meek/
pw_caddy "$pw_ep" /meek/
curl -sS --max-time 10 --cacert "$caddy_ca" --resolve "$caddy_host:$caddy_port:127.0.0.1" \
	"https://$caddy_host:$caddy_port/" >/dev/null 2>"$T/curl.err" ||
	fail "caddy cover site: $(cat "$T/curl.err")"
head -c 3000000 /dev/urandom >"$T/caddy.in"
meekc_run caddy 0 60 --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host" --ca "$caddy_ca" -v -v
[ "$(pw_sha "$T/caddy.in")" = "$(pw_sha "$T/caddy.got")" ] ||
	fail "caddy: $(wc -c <"$T/caddy.got") of 3000000 bytes back, or different bytes"
# The session rides one HTTP/2 connection, several streams at once.
grep -q 'TLS: TLSv1.3, ALPN h2' "$T/caddy.err" ||
	fail "caddy: not TLS 1.3 with ALPN h2: $(grep TLS "$T/caddy.err" | head -n 2)"
grep -q 'HTTP/2 connection to the front' "$T/caddy.err" || fail "caddy: no HTTP/2 connection"
[ "$(grep -c 'TLS: TLSv1.3' "$T/caddy.err")" -eq 1 ] ||
	fail "caddy: $(grep -c 'TLS: TLSv1.3' "$T/caddy.err") TLS connections, want 1"
grep -q '([2-8] in flight at most)' "$T/caddy.err" || fail "caddy: $(tail -n 1 "$T/caddy.err")"
note "caddy: $(tail -n 1 "$T/caddy.err" | sed 's/^meek-client: //') over one h2 connection"
# --http1: keep-alive HTTP/1.1 connections, ALPN http/1.1.
cp "$T/caddy.in" "$T/caddyh1.in"
meekc_run caddyh1 0 60 --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host" --ca "$caddy_ca" --http1 -v -v
[ "$(pw_sha "$T/caddyh1.in")" = "$(pw_sha "$T/caddyh1.got")" ] || fail "caddyh1: output differs"
grep -q 'TLS: TLSv1.3, ALPN http/1.1' "$T/caddyh1.err" ||
	fail "caddyh1: not ALPN http/1.1: $(grep TLS "$T/caddyh1.err" | head -n 2)"
grep -q 'HTTP/2' "$T/caddyh1.err" && fail "caddyh1: HTTP/2 with --http1"
cp "$T/data" "$T/caddynosni.in"
meekc_run caddynosni 0 60 --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=,verify=$caddy_host" --ca "$caddy_ca"
[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/caddynosni.got")" ] || fail "caddynosni: output differs"
meekc_run caddywrong 111 30 --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host,verify=other.test" --ca "$caddy_ca"

pw_stop tls
pw_stop meeks
pw_stop echo
exit 0
