#!/bin/sh
# SPDX-License-Identifier: MIT
# common/nss: our DTLS client and server (Firefox's WebRTC persona) on
# loopback: the handshake completes, both sides agree on the SRTP profile
# (AEAD_AES_128_GCM, the client's first), ALPN (webrtc), the RFC 5705
# exporter output, and each sees the other's certificate fingerprint;
# pinning the right fingerprint on both sides still connects.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"

nss_server srv
srv_pid=$nss_pid
srv_cat=$nss_cat
"$PEER" --client "127.0.0.1:$nss_port" --message hello >"$T/cli.out" 2>"$T/cli.err" ||
	fail "client exit $?: $(cat "$T/cli.out")"
pw_wait "$srv_pid" 10
[ "$pw_rc" = 0 ] || fail "server exit $pw_rc"
pw_wait "$srv_cat" 5
cat "$T/cli.out" "$T/srv.out"

[ "$(nss_field "$T/cli.out" srtp)" = SRTP_AEAD_AES_128_GCM ] || fail "client srtp"
[ "$(nss_field "$T/srv.out" srtp)" = SRTP_AEAD_AES_128_GCM ] || fail "server srtp"
[ "$(nss_field "$T/cli.out" alpn)" = webrtc ] || fail "client alpn"
[ "$(nss_field "$T/srv.out" alpn)" = webrtc ] || fail "server alpn"
[ "$(nss_field "$T/cli.out" echo)" = hello ] || fail "no echo"
[ "$(nss_field "$T/srv.out" data)" = hello ] || fail "server did not get the message"
ek=$(nss_field "$T/cli.out" export)
[ ${#ek} -eq 112 ] || fail "exporter: want 56 bytes for AEAD_AES_128_GCM, got '$ek'"
[ "$ek" = "$(nss_field "$T/srv.out" export)" ] || fail "exporter outputs differ"
[ "$(nss_field "$T/cli.out" peer)" = "$nss_fp" ] || fail "client saw another server certificate"
[ "$(nss_field "$T/srv.out" peer)" = "$(nss_field "$T/cli.out" fingerprint)" ] ||
	fail "server saw another client certificate"
case $(nss_field "$T/cli.out" connected) in
"DTLSv1.2 cipher=0xc02b "*) ;;
*) fail "want DTLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256" ;;
esac

# Pinned: the client pins the server's fingerprint (as SDP would carry it).
nss_server srv2
"$PEER" --client "127.0.0.1:$nss_port" --fingerprint "$nss_fp" >"$T/cli2.out" 2>"$T/cli2.err" ||
	fail "pinned client exit $?"
pw_wait "$nss_pid" 10
[ "$pw_rc" = 0 ] || fail "server exit $pw_rc"
grep -q Sanitizer "$T"/*.err && fail "sanitizer report"
exit 0
