#!/bin/sh
# SPDX-License-Identifier: MIT
# meek-client pointed at something that is not meek: a web page (200
# text/html), a redirect (301), a 404 page and a status no meek server
# sends (418) each end it within 5 s with exit 111 and one line saying
# what the far end is, after one request; and over TLS, a certificate
# for another name ends it the same way, without a request.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meekc.sh"

for mode in html redirect page404 teapot; do
	meekc_fake "$mode" "$mode"
	echo hello >"$T/$mode.in"
	meekc_run "$mode" 111 5 --url "http://127.0.0.1:$meekc_fake_port/wrong/path" \
		--insecure-plaintext
	[ "$(wc -l <"$T/$mode.err")" -le 3 ] || fail "$mode: $(cat "$T/$mode.err")"
	[ "$(wc -l <"$T/$mode.log")" -eq 1 ] || fail "$mode: $(wc -l <"$T/$mode.log") requests"
	[ -s "$T/$mode.got" ] && fail "$mode: the page was taken as session data"
	pw_stop "$mode"
done
grep -q 'not a meek server: 200 OK, a web page (text/html' "$T/html.err" ||
	fail "html: $(cat "$T/html.err")"
grep -q 'not a meek server: 301 Moved Permanently to https://www.example.com/' "$T/redirect.err" ||
	fail "redirect: $(cat "$T/redirect.err")"
grep -q 'not a meek server: 404 Not Found, a web page (text/html)' "$T/page404.err" ||
	fail "page404: $(cat "$T/page404.err")"
grep -q 'not a meek server: it answered 418' "$T/teapot.err" || fail "teapot: $(cat "$T/teapot.err")"
note "html: $(grep 'not a meek' "$T/html.err")"
note "redirect: $(grep 'not a meek' "$T/redirect.err")"

# TLS: the front's certificate is for another name.
meekc_certs "$T/pki" other.example
meekc_fake tlsname echo --tls "$T/pki/srv.crt" "$T/pki/srv.key"
meekc_run tlsname 111 5 --url "https://meek.example:$meekc_fake_port/" \
	--front "127.0.0.1:$meekc_fake_port,sni=meek.example" --ca "$T/pki/ca.crt"
grep -q 'TLS: ' "$T/tlsname.err" || fail "tlsname: $(cat "$T/tlsname.err")"
[ "$(wc -l <"$T/tlsname.log")" -eq 0 ] || fail "tlsname: a request went out"
note "tls: $(grep 'TLS' "$T/tlsname.err")"
pw_stop tlsname
exit 0
