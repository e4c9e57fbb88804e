#!/bin/sh
# SPDX-License-Identifier: MIT
# What meek-client --tls firefox looks like to a censor: its ClientHello
# to Caddy, captured on lo, against Firefox ESR 153's HTTPS hello, fronted
# with SNI (tls-firefox-sni; Caddy serves the reference's name, cover.test)
# and Akamai style without SNI (tls-firefox). As in t/sh/405, with
# Debian's NSS 3.87 the only differences allowed are X25519MLKEM768 (group
# and key share) and compress_certificate, which 3.87 cannot send, the
# fields computed from them (lengths, JA3, JA4's extension hash), and the
# ServerHello, which is Caddy's, not the reference server's. On Firefox's
# own NSS copy (3.125, firefox-esr installed; the version meek-client logs
# decides) ML-KEM and certificate compression (zlib, brotli, zstd) are
# sent as Firefox sends them and only the ServerHello may differ. For
# contrast, the default wolfSSL hello's score is printed, not asserted.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"
. "$PW_TOP/t/lib-meekc.sh"
. "$PW_TOP/t/lib-caddy.sh"

nss_need_capture
old_nss="handshake_len extensions supported_groups key_shares cert_compression"
old_nss="$old_nss JA3 JA3_string JA4 JA4_R JA4_O JA4_RO server_hello"
pw_start echo 1 python3 "$PW_PY/meek-echo.py" "unix:$T/echo.sock"
pw_start meeks 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/echo.sock" --path /meek/
CADDY_HOSTS=cover.test
pw_caddy "$pw_ep" /meek/

# hello LABEL REFERENCE FRONT [ARG…]: one meek-client session, its hello
# compared; the report in $T/LABEL.cmp.
hello() {
	_l=$1 _ref=$2 _front=$3
	shift 3
	head -c 1000 /dev/urandom >"$T/$_l.in"
	nss_capture_start "tcp port $caddy_port"
	meekc_run "$_l" 0 30 --url "https://$caddy_host:$caddy_port/meek/" --front "$_front" \
		--ca "$caddy_ca" "$@"
	nss_capture_stop 8
	"$HELLO_COMPARE" --report "$T/cap.pcap" "$COVER/$_ref.txt" >"$T/$_l.cmp" 2>&1 ||
		fail "$_l: hello-compare: $(cat "$T/$_l.cmp")"
	note "$_l against $_ref: $(grep '^equal' "$T/$_l.cmp"), $(grep '^JA4 ' "$T/$_l.cmp")"
}

# sys: Debian's NSS forced (--nss-lib system) even where Firefox's is installed.
for case in sni nosni sys; do
	lib=auto
	if [ "$case" != nosni ]; then
		ref=tls-firefox-sni front=127.0.0.1:$caddy_port,sni=$caddy_host
		[ "$case" = sys ] && lib=system
	else
		ref=tls-firefox front=127.0.0.1:$caddy_port,sni=,verify=$caddy_host
	fi
	hello "ff-$case" "$ref" "$front" --tls firefox --nss-lib "$lib" -vv
	ver=$(sed -n 's/.*TLS: NSS \([0-9.]*\) as Firefox.*/\1/p' "$T/ff-$case.err" | head -n 1)
	[ -n "$ver" ] || fail "$case: meek-client logged no NSS version"
	if [ "$(echo "$ver" | cut -d. -f2)" -ge 125 ]; then
		derived=server_hello
		grep -q '^= cert_compression' "$T/ff-$case.cmp" ||
			fail "$case: NSS $ver: compress_certificate differs: $(grep cert_compression "$T/ff-$case.cmp")"
	else
		derived=$old_nss
		grep -q 'hello without compress_certificate' "$T/ff-$case.err" ||
			fail "$case: NSS $ver: no word that certificate compression is unavailable"
	fi
	note "$case: NSS $ver, allowed to differ: $derived"
	grep '^!' "$T/ff-$case.cmp" | cut -c1-160
	grep '^!' "$T/ff-$case.cmp" | sed 's/^! \([^:]*\):.*/\1/' | tr ' ' _ | while read -r f; do
		case " $derived " in
		*" $f "*) ;;
		*) echo "$f" ;;
		esac
	done >"$T/unexpected"
	[ -s "$T/unexpected" ] &&
		fail "$case: NSS $ver: fields differ beyond those allowed: $(cat "$T/unexpected")"
	grep -q '^= alpn' "$T/ff-$case.cmp" || fail "$case: ALPN differs or is missing"
	grep -q '^= ciphers' "$T/ff-$case.cmp" || fail "$case: cipher suites differ or missing"
done

# The default backend, for contrast only.
hello wolf tls-firefox-sni "127.0.0.1:$caddy_port,sni=$caddy_host"
pw_stop meeks
pw_stop echo
exit 0
