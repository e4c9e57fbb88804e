#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client rotation during a download: --session-duration 3-5 s
# makes a fresh call (allocation, credentials read again, certificate,
# DTLS, SSRC) every few seconds while a 6 MB download (read at 0.4 MB/s)
# runs on the same Turbo Tunnel session. lanturn-egress sees the session
# arrive from several relayed addresses; every old call is released
# (Refresh 0) after the overlap; the download is sha256-exact. The
# credentials file is rewritten between calls, as an operator's refresher
# would: later calls use the new line.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanturn_up 6000000 -v -v
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" 600 first >"$T/cred"
lanc_client client bulk "turn:127.0.0.1:$a_port" -- --session-duration 3-5
t0=$(date +%s%N)
lanc_paced dl big.bin 0.4
python3 "$PW_PY/wait-for.py" --re "$T/client.err" 'call 1 up through' 20 || fail "no call"
lanc_cred "turn:127.0.0.1:$a_port" 600 second >"$T/cred.new"
mv "$T/cred.new" "$T/cred"
lanc_paced_check dl big.bin
ms=$((($(date +%s%N) - t0) / 1000000))
calls=$(grep -c 'call [0-9]* up through' "$T/client.err")
rot=$(grep -c 'rotating: a new call' "$T/client.err")
rel=$(grep -c 'call [0-9]* released' "$T/client.err")
note "6 MB in $ms ms over $calls calls ($rot rotations, $rel released)"
if [ "$calls" -lt 3 ] || [ "$rot" -lt 2 ] || [ "$rel" -lt 2 ]; then
	fail "too few rotations: $(grep lanturn-client "$T/client.err")"
fi
srcs=$(sed -n 's/.*debug: call from \(127.0.0.1:[0-9]*\): session .*/\1/p' "$T/lt.err" | sort -u | wc -l)
[ "$srcs" -ge 3 ] || fail "lanturn-egress saw the session from $srcs relayed addresses"
# coturn saw both usernames: the file is read for every call.
grep -q 'user <[0-9]*:first>' "$T/a/turn.log" || fail "the first credentials were not used"
grep -q 'user <[0-9]*:second>' "$T/a/turn.log" || fail "the rewritten credentials were not used"
pw_stop client
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
