#!/bin/sh
# SPDX-License-Identifier: MIT
# Domain fronting through a real Caddy: the site answers for meek.test and
# front.test (both certified by Caddy's local CA). meek-client's URL host
# (the Host header) is meek.test while TCP goes to 127.0.0.1 and the TLS
# SNI is front.test (CloudFront style), or no SNI at all with the
# certificate checked against verify= (Akamai style; Caddy's default SNI
# answers). Without Caddy's CA, or checking for a name the certificate
# does not carry, no byte goes through.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

CADDY_HOSTS="meek.test front.test"
pw_meek_stack 1000000
base="exec $PW_BIN/meek-client --url $meek_url --auth-token-file $T/token"
url=http://127.0.0.1:$httpd_port

# via NAME FRONT [MEEK-CLIENT-ARG…]: a socks-client with that carrier; sets px.
via() {
	_n=$1
	_f=$2
	shift 2
	pw_start "$_n" 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$base --front $_f $*"
	px=127.0.0.1:$pw_port
}

via sni "127.0.0.1:$caddy_port,sni=front.test" --ca "$caddy_ca"
pw_fetch front-sni big.bin --socks5-hostname "$px" "$url/big.bin"
pw_stop sni

via nosni "127.0.0.1:$caddy_port,sni=,verify=meek.test" --ca "$caddy_ca"
pw_fetch front-no-sni big.bin --socks5-hostname "$px" "$url/big.bin"
pw_stop nosni

# refused LABEL: a fetch through px must not succeed.
refused() {
	curl -sS --max-time 15 -o "$T/$1.got" --socks5-hostname "$px" "$url/1k.bin" 2>"$T/$1.cerr" &&
		fail "$1: the fetch went through"
	[ ! -s "$T/$1.got" ] || fail "$1: bytes arrived"
	note "$1: refused ($(head -n 1 "$T/$1.cerr"))"
}
via noca "127.0.0.1:$caddy_port,sni=front.test"
refused "no-caddy-ca"
via wrongname "127.0.0.1:$caddy_port,sni=front.test,verify=other.test" --ca "$caddy_ca"
refused "wrong-verify-name"
