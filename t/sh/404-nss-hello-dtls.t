#!/bin/sh
# SPDX-License-Identifier: MIT
# What our DTLS client looks like on the wire: its ClientHello, captured
# with tshark on lo, equals field for field Firefox's WebRTC hello capped
# at DTLS 1.2 (t/data/cover: Firefox ESR 153's own capture, and NSS set
# up as Firefox), JA3 and JA4 included; our server's ServerHello answers
# with the same version, suite and extensions as Firefox's. With a
# system NSS that cannot send DTLS 1.3 by its final codepoint the
# adapter caps at 1.2 by itself: no --max12 here.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"

nss_need_capture
nss_server srv
nss_capture_start "udp port $nss_port"
"$PEER" --client "127.0.0.1:$nss_port" >"$T/cli.out" 2>"$T/cli.err" || fail "client exit $?"
pw_wait "$nss_pid" 10
nss_capture_stop 4
for ref in nss-firefox-dtls12 webrtc-firefox-dtls12max; do
	note "against $ref"
	"$HELLO_COMPARE" "$T/cap.pcap" "$COVER/$ref.txt" >"$T/cmp-$ref" 2>&1
	rc=$?
	cat "$T/cmp-$ref"
	[ "$rc" -eq 0 ] || fail "ClientHello differs from $ref"
done
grep -qx 'JA4 dd2i0808wc_c6c2b6ec87e0_06b1ae923e2a' "$T/cmp-nss-firefox-dtls12" || fail "JA4"
exit 0
