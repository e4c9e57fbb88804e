#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-egress, bulk profile: a 5 MB download through socks-client ->
# a call (t/helpers/lanturn-call: DTLS, SRTP, record framing over UDP) ->
# lanturn-egress -> egress (PROXY v2 on a trusted listener) -> httpd,
# sha256-exact.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-lanturn.sh"

lanturn_up 5000000
lanturn_client client bulk
pw_fetch bulk big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
pw_fetch bulk-small 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
grep -q "call up" "$T/client.err" || fail "the carrier never brought a call up"
note "calls: $(grep -c 'call up' "$T/client.err")"
