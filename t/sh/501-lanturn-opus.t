#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-egress, opus profile (50 pps, 110-169-byte payloads both ways,
# backpressure instead of loss): a 60 kB download, sha256-exact, and the
# goodput it had against the profile's capacity (about 6.8 kB/s).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-lanturn.sh"

lanturn_up 1000
head -c 60000 /dev/urandom >"$T/www/60k.bin"
lanturn_client client opus
t0=$(date +%s.%N)
pw_fetch opus 60k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/60k.bin"
t1=$(date +%s.%N)
note "opus: 60000 bytes in $(echo "$t1 - $t0" | bc) s"
grep -q "call up" "$T/client.err" || fail "the carrier never brought a call up"
