#!/bin/sh
# SPDX-License-Identifier: MIT
# Where lanturn-egress answers use_srtp (RFC 5764) as a DTLS server: under
# DTLS 1.3 in the encrypted EncryptedExtensions, never in the ServerHello
# (RFC 8446 4.2; Firefox, whose NSS handles use_srtp itself, aborts with
# illegal_parameter on a DTLS 1.3 ServerHello that carries it); under
# DTLS 1.2 in the ServerHello. tshark on lo reads the handshake on the
# relayed leg (coturn -> lanturn-egress) of a lanturn-client call that
# then carries a download, so SRTP was agreed. lanturn-client offers
# DTLS 1.3 when it runs on Firefox's NSS (firefox-esr installed), DTLS 1.2
# only otherwise: the test checks whichever the ServerHello picked.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

nss_need_capture
lanturn_up 100000
lanc_turn a
lanc_cred "turn:127.0.0.1:$turn_port" >"$T/cred"
nss_capture_start "udp port $lt_port"
lanc_client c bulk "turn:127.0.0.1:$turn_port"
lanc_fetch c big.bin 30
pw_stop c
nss_capture_stop 20

# hello TYPE: "extension types;supported versions" of each handshake
# message of that type (1 ClientHello, 2 ServerHello) on the wire, once
# whole (the first fragment of a hello too long for one datagram shows
# no extensions: tshark decodes the message where it is reassembled).
hello() {
	tshark -r "$T/cap.pcap" -d "udp.port==$lt_port,dtls" -Y "dtls.handshake.type == $1" -T fields \
		-E separator=';' -e dtls.handshake.extension.type -e dtls.handshake.extensions.supported_version \
		>"$T/hello.raw" 2>"$T/tshark-read.err" || fail "tshark read: $(cat "$T/tshark-read.err")"
	grep -v '^;' "$T/hello.raw"
}

# has_ext FILE TYPE: some line's extension list holds TYPE.
has_ext() {
	awk -F';' -v t="$2" '{ n = split($1, a, ","); for (i = 1; i <= n; i++) if (a[i] == t) f = 1 }
		END { exit !f }' "$1"
}

hello 1 >"$T/ch"
hello 2 >"$T/sh"
note "ClientHello (extensions;versions): $(head -n 1 "$T/ch")"
note "ServerHello (extensions;version): $(head -n 1 "$T/sh")"
[ -s "$T/ch" ] || fail "no ClientHello in the capture"
[ -s "$T/sh" ] || fail "no ServerHello in the capture"
has_ext "$T/ch" 14 || fail "the ClientHello offers no use_srtp"
if [ -e /usr/lib/firefox-esr/libnss3.so ]; then
	awk -F';' '$2 ~ /0xfefc/ { f = 1 } END { exit !f }' "$T/ch" ||
		fail "on Firefox's NSS, the ClientHello offers no DTLS 1.3"
fi
if awk -F';' '$2 != "0xfefc" { exit 1 }' "$T/sh"; then
	note "DTLS 1.3: use_srtp must be in EncryptedExtensions"
	if has_ext "$T/sh" 14; then
		fail "use_srtp in the clear in a DTLS 1.3 ServerHello: $(cat "$T/sh")"
	fi
else
	note "DTLS 1.2: use_srtp must be in the ServerHello"
	has_ext "$T/sh" 14 || fail "no use_srtp in a DTLS 1.2 ServerHello: $(cat "$T/sh")"
fi
