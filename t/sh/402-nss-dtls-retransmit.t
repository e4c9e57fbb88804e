#!/bin/sh
# SPDX-License-Identifier: MIT
# common/nss retransmission: the client loses its first two datagrams
# (its ClientHello, then the first retransmission); the timer from
# DTLS_GetHandshakeTimeout, run on libev, sends it again and the handshake
# completes, later than the first timeout (NSS starts at 50 ms for WebRTC
# and doubles).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"

nss_server srv
"$PEER" --client "127.0.0.1:$nss_port" --drop 2 -v >"$T/cli.out" 2>"$T/cli.err" ||
	fail "client exit $?"
cat "$T/cli.out" "$T/cli.err"
[ "$(grep -c 'dropped an outgoing datagram' "$T/cli.err")" -eq 2 ] || fail "did not drop two"
[ "$(nss_field "$T/cli.out" echo)" = ping ] || fail "no echo after retransmission"
pw_wait "$nss_pid" 10
[ "$pw_rc" = 0 ] || fail "server exit $pw_rc"
exit 0
