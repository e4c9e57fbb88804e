#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client --tls firefox: the certificate checks and HTTP/1.1. Against a
# scripted TLS server with a test CA (it offers only http/1.1, so the
# Firefox hello's "h2,http/1.1" ends on HTTP/1.1 keep-alive connections):
# --ca verifies; fronting sends the front's SNI and the URL host in Host:;
# an empty sni= sends none while verify= still checks the name; a wrong
# name, an unknown CA (the system store does not hold the test CA) and a
# self-signed server end meek-client within seconds with exit 111 and one
# clear line, and nothing is sent over an unverified connection; a --ca
# without certificates is a usage error. Then through Caddy with --http1
# (ALPN http/1.1 alone, HTTP/1.1 connections) and Caddy with a wrong name.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"
. "$PW_TOP/t/lib-caddy.sh"

command -v openssl >/dev/null || fail "openssl not installed (scripts/install-deps)"
meekc_certs "$T/pki" meek.test front.test
ca=$T/pki/ca.crt
meekc_fake tls echo --tls "$T/pki/srv.crt" "$T/pki/srv.key"
p=$meekc_fake_port
head -c 300000 /dev/urandom >"$T/data"
ff="--tls firefox"

check() {
	_l=$(tail -n 1 "$T/tls.log")
	case $_l in
	*" sni=$2 host=$3 "*) note "$1: sni=$2 host=$3" ;;
	*) fail "$1: want sni=$2 host=$3, logged: $_l" ;;
	esac
}

cp "$T/data" "$T/plain.in"
# shellcheck disable=SC2086 # $ff is two words
meekc_run plain 0 30 $ff --url "https://meek.test:$p/" --front "127.0.0.1:$p,sni=meek.test" \
	--ca "$ca" -v -v
[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/plain.got")" ] || fail "plain: output differs"
check plain meek.test "meek.test:$p"
grep -q 'TLS (NSS, Firefox): TLSv1.3, ALPN http/1.1' "$T/plain.err" ||
	fail "plain: not NSS with ALPN http/1.1: $(grep TLS "$T/plain.err" | head -n 3)"
grep -q 'the front does not speak HTTP/2 (ALPN http/1.1)' "$T/plain.err" ||
	fail "plain: no fallback to HTTP/1.1 logged"

cp "$T/data" "$T/fronted.in"
# shellcheck disable=SC2086
meekc_run fronted 0 30 $ff --url "https://inner.example:$p/" \
	--front "127.0.0.1:$p,sni=front.test" --ca "$ca"
[ "$(pw_sha "$T/data")" = "$(pw_sha "$T/fronted.got")" ] || fail "fronted: output differs"
check fronted front.test "inner.example:$p"

# shellcheck disable=SC2086
meekc_run nosni 0 30 $ff --url "https://inner.example:$p/" \
	--front "127.0.0.1:$p,sni=,verify=meek.test" --ca "$ca"
check nosni - "inner.example:$p"

# Verification failures: one line, 111, within seconds, nothing sent.
n0=$(wc -l <"$T/tls.log")
t0=$(date +%s)
# shellcheck disable=SC2086
meekc_run wrongname 111 30 $ff --url "https://meek.test:$p/" \
	--front "127.0.0.1:$p,sni=meek.test,verify=wrong.test" --ca "$ca"
grep -q 'certificate name mismatch (want wrong.test)' "$T/wrongname.err" ||
	fail "wrongname: $(cat "$T/wrongname.err")"
# shellcheck disable=SC2086
meekc_run unknownca 111 30 $ff --url "https://meek.test:$p/" --front "127.0.0.1:$p,sni=meek.test"
grep -q 'certificate signed by an unknown CA' "$T/unknownca.err" ||
	fail "unknownca: $(cat "$T/unknownca.err")"
# A server certificate that is its own (unknown) issuer.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=meek.test \
	-addext subjectAltName=DNS:meek.test -keyout "$T/self.key" -out "$T/self.crt" \
	>/dev/null 2>&1 || fail "openssl req failed"
meekc_fake selfsrv echo --tls "$T/self.crt" "$T/self.key"
# shellcheck disable=SC2086
meekc_run selfsigned 111 30 $ff --url "https://meek.test:$meekc_fake_port/" \
	--front "127.0.0.1:$meekc_fake_port,sni=meek.test" --ca "$ca"
grep -q 'unknown CA' "$T/selfsigned.err" || fail "selfsigned: $(cat "$T/selfsigned.err")"
t1=$(date +%s)
[ "$(wc -l <"$T/tls.log")" -eq "$n0" ] || fail "a request went out over an unverified connection"
[ -s "$T/selfsrv.log" ] && fail "a request went out to the self-signed server"
for l in wrongname unknownca selfsigned; do
	[ "$(grep -c . "$T/$l.err")" -eq 1 ] || fail "$l: more than one line: $(cat "$T/$l.err")"
	note "$l: $(cat "$T/$l.err")"
done
note "three refusals in $((t1 - t0)) s"
# shellcheck disable=SC2086
meekc_run notaca 100 30 $ff --url "https://meek.test:$p/" --front "127.0.0.1:$p" --ca "$T/data"
grep -q 'no PEM certificate' "$T/notaca.err" || fail "notaca: $(cat "$T/notaca.err")"
meekc_run badtls 100 10 --tls chrome --url "https://meek.test:$p/"
meekc_run nsslib 100 10 --nss-lib /nonexistent --url "https://meek.test:$p/"

# Caddy with --http1: ALPN http/1.1 alone, keep-alive HTTP/1.1.
pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" --path /meek/
pw_caddy "$pw_ep" /meek/
head -c 3000000 /dev/urandom >"$T/caddyh1.in"
# shellcheck disable=SC2086
meekc_run caddyh1 0 60 $ff --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host" --ca "$caddy_ca" --http1 -v -v
[ "$(pw_sha "$T/caddyh1.in")" = "$(pw_sha "$T/caddyh1.got")" ] || fail "caddyh1: output differs"
grep -q 'TLS (NSS, Firefox): TLSv1.3, ALPN http/1.1' "$T/caddyh1.err" ||
	fail "caddyh1: not ALPN http/1.1: $(grep TLS "$T/caddyh1.err" | head -n 2)"
grep -q 'HTTP/2' "$T/caddyh1.err" && fail "caddyh1: HTTP/2 with --http1"
note "caddyh1: $(tail -n 1 "$T/caddyh1.err" | sed 's/^meek-client: //')"
# shellcheck disable=SC2086
meekc_run caddywrong 111 30 $ff --url "https://$caddy_host:$caddy_port/meek/" \
	--front "127.0.0.1:$caddy_port,sni=$caddy_host,verify=other.test" --ca "$caddy_ca"
grep -q 'certificate name mismatch (want other.test)' "$T/caddywrong.err" ||
	fail "caddywrong: $(cat "$T/caddywrong.err")"

pw_stop tls
pw_stop selfsrv
pw_stop meeks
pw_stop echo
exit 0
