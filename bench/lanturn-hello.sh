#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/lanturn-hello.sh — the ClientHello comparison of issue 15: the
# DTLS ClientHello lanturn-client sends through coturn (captured with
# tshark on lo, on the relayed leg coturn -> lanturn-egress, where the
# hello is the datagram itself; inside coturn's ChannelData on the
# client's leg the bytes are the same) against Firefox's WebRTC hello,
# field by field with
# t/helpers/hello-compare (JA3/JA4 included). lanturn-client runs on
# Firefox's NSS when firefox-esr is installed and then sends Firefox's
# whole hello (t/data/cover/webrtc-firefox, DTLS 1.3 and ML-KEM); on
# Debian's NSS alone it is capped at DTLS 1.2 (webrtc-firefox-dtls12max)
# (common/nss/README.md, "Personas"). Prints the fields that
# of the ClientHello that differ (expected none), whether lanturn-egress's
# ServerHello equals the reference's, and our JA4. Needs root and tshark (otherwise it
# says so and exits 0), PW_BIN and PW_HELPERS; exits 0 unless the
# capture failed.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

if ! command -v tshark >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
	echo "bench lanturn-hello: skipped (needs tshark and root to capture on lo)"
	exit 0
fi
lanturn_up 1000 -q
lanc_turn a --no-stdout-log
lanc_cred "turn:127.0.0.1:$turn_port" >"$T/cred"
nss_capture_start "udp port $lt_port"
lanc_client client opus "turn:127.0.0.1:$turn_port"
curl -sS --max-time 30 -o /dev/null --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin" ||
	fail "the fetch through the call failed"
pw_stop client
nss_capture_stop 10
n=$(tshark -r "$T/cap.pcap" -Y 'dtls.handshake.type == 1' -T fields -e frame.number 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || fail "no DTLS ClientHello captured"

echo "bench lanturn-hello: lanturn-client's DTLS ClientHello against Firefox's (t/helpers/hello-compare)"
if [ -e /usr/lib/firefox-esr/libnss3.so ]; then
	refs="webrtc-firefox nss3125-firefox"
else
	refs="webrtc-firefox-dtls12max nss-firefox-dtls12"
fi
# The references spell a DTLS 1.3 JA4's version d12 (the oldest offered),
# hello-compare dd3 (the newest; t/data/cover/README.md): a JA4 line that
# differs only there is equal. The ServerHello (lanturn-egress's answer,
# not the client's hello) is counted apart.
for ref in $refs; do
	"$HELLO_COMPARE" --report "$T/cap.pcap" "$COVER/$ref.txt" >"$T/cmp-$ref" 2>&1 ||
		fail "hello-compare: $(cat "$T/cmp-$ref")"
	awk '/^[!+] / {
		key = $0; sub(/^[!+] /, "", key); sub(/:.*/, "", key)
		if (key == "server hello") { print "S " $0; next }
		if (key ~ /^JA4/ && match($0, /: ours [^ ]* \/ ref [^ ]*$/)) {
			split(substr($0, RSTART + 7), v, " / ref ")
			if (substr(v[1], 4) == substr(v[2], 4)) next
		}
		print "D " $0
	}' "$T/cmp-$ref" >"$T/diff-$ref"
	total=$(sed -n 's/^equal [0-9]* of \([0-9]*\)$/\1/p' "$T/cmp-$ref")
	printf '%-66s %3s of %s   goal 0\n' "ClientHello fields that differ from $ref" \
		"$(grep -c '^D ' "$T/diff-$ref")" "$((total - 1))"
	sed -n 's/^D /    /p' "$T/diff-$ref"
	if grep -q '^S ' "$T/diff-$ref"; then
		printf '%-66s %s\n' "  its ServerHello (lanturn-egress's answer)" "differs:"
		sed -n 's/^S /    /p' "$T/diff-$ref"
	else
		printf '%-66s %s\n' "  its ServerHello (lanturn-egress's answer)" "equal"
	fi
done
printf '%-66s %s\n' "our JA4" "$(sed -n 's/^JA4 //p' "$T/cmp-${refs%% *}")"
exit 0
