#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client's liveness checks are what a browser in a TURN-relayed
# call sends: ICE consent freshness (RFC 7675), a STUN Binding request to
# the peer through the relay (ChannelData) every 4-6 s (Firefox's nICEr:
# 5 s +-20 %), with an ICE check's attributes (USERNAME of two 8-hex-digit
# ufrags, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY, FINGERPRINT),
# answered by lanturn-egress through coturn; and no STUN Binding to the
# TURN server itself, which browsers do not send (lanturn-client asked its
# server every 2 s when idle before). An idle bulk call, held until
# lanturn-egress has answered 4 checks; tshark on lo sees the client's leg
# (the capture part is skipped without tshark or root).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-nss.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

cap=0
if command -v tshark >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then cap=1; else note "no capture (tshark, root)"; fi
lanturn_up 1000
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"
[ "$cap" = 1 ] && nss_capture_start "udp port $a_port"
lanc_client client bulk "turn:127.0.0.1:$a_port"
pw_fetch warm 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
# 4 checks at 4-6 s each: about 20 s; allow 60.
lt_wait_metric lanturn_consent_answered -ge 4 60
pw_stop client
python3 "$PW_PY/wait-for.py" "$T/client.err" "lanturn-client: done:" 10 || fail "lanturn-client did not end"
line=$(grep 'call 1: [0-9]* consent checks sent' "$T/client.err") || fail "no consent counts"
note "${line#*: }"
sent=$(printf '%s\n' "$line" | sed -n 's/.*call 1: \([0-9]*\) consent checks sent, \([0-9]*\) answered.*/\1/p')
ok=$(printf '%s\n' "$line" | sed -n 's/.*call 1: \([0-9]*\) consent checks sent, \([0-9]*\) answered.*/\2/p')
[ "${ok:-0}" -ge 4 ] || fail "only ${ok:-0} consent checks answered"
[ $((sent - ok)) -le 1 ] || fail "$sent consent checks sent, $ok answered"
grep -q 'no answer to a Binding request' "$T/client.err" && fail "a healthy call was taken for dead"
# an idle bulk call owes nothing, so its quiet is no reason to probe the TURN server
grep -q 'answers a Binding request' "$T/client.err" && fail "an idle call probed its TURN server"
if [ "$cap" = 1 ]; then
	nss_capture_stop 10
	python3 "$PW_PY/lanturn-consent.py" "$T/cap.pcap" "$a_port" >"$T/consent.wire" || fail "lanturn-consent.py"
	while IFS= read -r l; do note "wire: $l"; done <"$T/consent.wire"
	[ "$(awk '$1 == "server_bindings" { print $2 }' "$T/consent.wire")" = 0 ] ||
		fail "Binding requests to the TURN server itself"
	grep -q '^consent [4-9][0-9]* \|^consent [1-9][0-9][0-9]* ' "$T/consent.wire" || fail "fewer than 4 consent checks on the wire"
	grep -q 'attrs=USERNAME,PRIORITY,ICE-CONTROLLING,MESSAGE-INTEGRITY,FINGERPRINT username_shape=8:8 ' \
		"$T/consent.wire" || fail "consent checks do not look like an ICE check"
	gaps=$(sed -n 's/^consent .* gaps=\(.*\)$/\1/p' "$T/consent.wire")
	# 4-6 s each, a margin for a loaded machine's late timers
	echo "$gaps" | tr ',' '\n' | awk '$1 < 3.9 || $1 > 6.6 { bad = 1 } END { exit bad }' ||
		fail "consent gaps outside 4-6 s: $gaps"
	[ "$(awk '$1 == "consent_answers" { print $2 }' "$T/consent.wire")" -ge 4 ] || fail "answers not seen on the wire"
fi
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
