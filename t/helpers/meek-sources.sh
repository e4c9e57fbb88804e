# SPDX-License-Identifier: MIT
# t/helpers/meek-sources.sh — for the tests of the client address meek-server
# passes upstream (t/sh/203, t/sh/243), sourced after t/lib-meeks.sh:
#
#   meeks_through LABEL HEADERS-JSON  a SOCKS5 CONNECT to the httpd inside one
#                                     meek session, each request with HEADERS
#   meeks_want_sources FILE SRC…      egress's accept events in FILE name
#                                     these sources, in order
# shellcheck disable=SC2154 # httpd_port and PW_* come from t/lib.sh

meeks_through() {
	_sid=$(meeks_sid)
	_connect=$(printf '05010001%s' "$(printf '7f000001%04x' "$httpd_port")")
	meeks_req "$1" '{"poll":{"sid":"'"$_sid"'","seq":0,"body":"050100","headers":'"$2"'},"until":"0500"}' \
		'{"poll":{"sid":"'"$_sid"'","seq":100,"body":"'"$_connect"'","headers":'"$2"'},"until":"050000"}'
}

meeks_want_sources() {
	python3 - "$@" <<'PY' || fail "event sources"
import json, sys
src = [json.loads(l)["source"] for l in open(sys.argv[1]) if '"accept"' in l]
want = sys.argv[2:]
print("# accept sources: %r" % src)
if len(src) != len(want):
    sys.exit("want %d accepts" % len(want))
for s, w in zip(src, want):
    if w not in str(s):
        sys.exit("source %r, want %s" % (s, w))
PY
}
