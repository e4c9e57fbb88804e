#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack: a client writes its own X-Forwarded-For (and Meek-IP) to choose
# the source address egress reports. With --trust-forwarded meek-server
# takes the element the front added: the right-most one, or with
# --trusted-hops N the N-th from the right (a chain of N trusted fronts).
# Anything the client put to the left is ignored; a header with fewer
# elements than hops is ignored; Meek-IP only with --trust-meek-ip.
# Bound: egress's accept events show the address the fronts added.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"
# shellcheck disable=SC1091 # a helper, linted on its own
. "$PW_TOP/t/helpers/meek-sources.sh"

pw_httpd 1000
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock,trusted" --events - \
	--allow "127.0.0.1:$httpd_port"

meeks_start -u "unix:$T/egress.sock" --proxy-protocol --trust-forwarded
meeks_through spoofed-left '{"X-Forwarded-For":"192.0.2.66, 203.0.113.77"}'
meeks_through meek-ip-ignored '{"Meek-IP":"198.51.100.23","X-Forwarded-For":"garbage"}'
pw_stop meeks
meeks_start -u "unix:$T/egress.sock" --proxy-protocol --trust-forwarded --trusted-hops 2 \
	--trust-meek-ip
meeks_through two-hops '{"X-Forwarded-For":"192.0.2.66, 198.51.100.5, 10.1.1.1"}'
meeks_through too-few '{"X-Forwarded-For":"10.1.1.1"}'
meeks_through meek-ip '{"Meek-IP":"198.51.100.23"}'
pw_stop meeks
pw_stop egress

meeks_want_sources "$T/egress.out" 203.0.113.77 127.0.0.1 198.51.100.5 127.0.0.1 198.51.100.23
