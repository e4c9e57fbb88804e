#!/bin/sh
# SPDX-License-Identifier: MIT
# --proxy-protocol: each upstream connection starts with a PROXY v2 header.
# With --trust-forwarded it carries the first X-Forwarded-For address (or
# Meek-IP), which egress (trusted listener) reports as the stream source in
# its events; without it the source is the TCP peer of meek-server.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

pw_httpd 1000
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock,trusted" --events - \
	--allow "127.0.0.1:$httpd_port"

# through LABEL HEADERS-JSON: a SOCKS5 CONNECT to the httpd inside one meek session.
through() {
	sid=$(meeks_sid)
	connect=$(printf '05010001%s' "$(printf '7f000001%04x' "$httpd_port")")
	meeks_req "$1" '{"poll":{"sid":"'"$sid"'","seq":0,"body":"050100","headers":'"$2"'},"until":"0500"}' \
		'{"poll":{"sid":"'"$sid"'","seq":100,"body":"'"$connect"'","headers":'"$2"'},"until":"050000"}'
}

meeks_start -u "unix:$T/egress.sock" --proxy-protocol --trust-forwarded
through xff '{"X-Forwarded-For":"203.0.113.77, 10.9.9.9"}'
through meek-ip '{"Meek-IP":"198.51.100.23"}'
through xff-v6 '{"X-Forwarded-For":"[2001:db8::42]:1234"}'
through garbage '{"X-Forwarded-For":"not-an-address"}'
pw_stop meeks
meeks_start -u "unix:$T/egress.sock" --proxy-protocol
through untrusted '{"X-Forwarded-For":"192.0.2.99"}'
pw_stop meeks
pw_stop egress

python3 - "$T/egress.out" <<'PY' || fail "event sources"
import json, sys
src = [json.loads(l)["source"] for l in open(sys.argv[1]) if '"accept"' in l]
print("# accept sources: %r" % src)
want = ["203.0.113.77", "198.51.100.23", "2001:db8::42", "127.0.0.1", "127.0.0.1"]
if len(src) != len(want):
    sys.exit("want %d accepts" % len(want))
for s, w in zip(src, want):
    if w not in str(s):
        sys.exit("source %r, want %s" % (s, w))
PY
