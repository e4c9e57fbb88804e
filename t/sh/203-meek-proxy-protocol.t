#!/bin/sh
# SPDX-License-Identifier: MIT
# --proxy-protocol: each upstream connection starts with a PROXY v2 header.
# With --trust-forwarded it carries the right-most X-Forwarded-For address
# (the one the front added; or Meek-IP with --trust-meek-ip), which egress
# (trusted listener) reports as the stream source in its events; without
# it the source is the TCP peer of meek-server.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"
# shellcheck disable=SC1091 # a helper, linted on its own
. "$PW_TOP/t/helpers/meek-sources.sh"

pw_httpd 1000
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock,trusted" --events - \
	--allow "127.0.0.1:$httpd_port"

meeks_start -u "unix:$T/egress.sock" --proxy-protocol --trust-forwarded --trust-meek-ip
meeks_through xff '{"X-Forwarded-For":"203.0.113.77, 10.9.9.9"}'
meeks_through meek-ip '{"Meek-IP":"198.51.100.23"}'
meeks_through xff-v6 '{"X-Forwarded-For":"[2001:db8::42]:1234"}'
meeks_through garbage '{"X-Forwarded-For":"not-an-address"}'
pw_stop meeks
meeks_start -u "unix:$T/egress.sock" --proxy-protocol
meeks_through untrusted '{"X-Forwarded-For":"192.0.2.99"}'
pw_stop meeks
pw_stop egress

meeks_want_sources "$T/egress.out" 10.9.9.9 198.51.100.23 2001:db8::42 127.0.0.1 127.0.0.1
