#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client asks its TURN server whether it is alive (a STUN Binding
# request, turnpath_probe) when it has sent to the peer and heard nothing
# back for a second. Two coturns in the fleet, bulk downloads read at
# 2 MB/s:
#  1. lanturn-egress stopped (SIGSTOP) mid-download: the TURN server
#     answers, so the path stands (no probe failure); lanturn-egress
#     continued, the download completes sha256-exact.
#  2. the coturn carrying the call killed mid-download: the probe finds
#     it gone (an ICMP refusal or no answer), a new call goes up through
#     the other coturn well before ICE consent would have noticed (4-6 s
#     between checks, 2 s of wait), the download completes sha256-exact.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanc_two_turns 8000000

# 1. A quiet peer behind a live TURN server.
lanc_paced dl1 big.bin 2 1000000
python3 "$PW_PY/wait-for.py" --re "$T/client.err" 'call 1 up through' 20 || fail "no call"
first=$(sed -n 's/.*call 1 up through turn:127.0.0.1:\([0-9]*\).*/\1/p' "$T/client.err")
python3 "$PW_PY/wait-for.py" "$T/dl1.out" mark 30 || fail "the download did not start: $(cat "$T/dl1.out")"
kill -STOP "$lt_pid"
note "lanturn-egress stopped 1 MB into the download"
# Consent requests (every 4-6 s) go unanswered: a probe within about 7 s.
if ! python3 "$PW_PY/wait-for.py" "$T/client.err" "turn:127.0.0.1:$first: answers a Binding request" 20; then
	kill -CONT "$lt_pid"
	fail "no probe answered while the peer was quiet: $(tail -n 5 "$T/client.err")"
fi
kill -CONT "$lt_pid"
note "probe: $(grep 'answers a Binding request' "$T/client.err" | head -n 1)"
lanc_paced_check dl1 big.bin
grep -q "turn:127.0.0.1:$first: no answer to a Binding request" "$T/client.err" &&
	fail "a live TURN server failed its probe: $(grep 'no answer' "$T/client.err")"
if grep -q 'ICE consent' "$T/client.err"; then
	grep 'ICE consent' "$T/client.err" | grep -qv 'the TURN server answers' &&
		fail "the live TURN server was blamed for a quiet peer: $(grep 'ICE consent' "$T/client.err")"
fi

# 2. The TURN server in use dies.
cur=$(sed -n 's/.*call [0-9]* up through turn:127.0.0.1:\([0-9]*\).*/\1/p' "$T/client.err" | tail -n 1)
if [ "$cur" = "$a_port" ]; then victim=$a_pid other=$b_port; else victim=$b_pid other=$a_port; fi
lanc_paced dl2 big.bin 2 1000000
python3 "$PW_PY/wait-for.py" "$T/dl2.out" mark 30 || fail "the download did not start: $(cat "$T/dl2.out")"
t0=$(date +%s%N)
off=$(wc -c <"$T/client.err")
kill -KILL "$victim"
note "killed the coturn on $cur 1 MB into the download"
python3 "$PW_PY/wait-for.py" "$T/client.err" "turn:127.0.0.1:$cur: no answer to a Binding request" 20 ||
	fail "the probe did not find the dead server: $(tail -n 5 "$T/client.err")"
python3 "$PW_PY/wait-for.py" --from "$off" "$T/client.err" "up through turn:127.0.0.1:$other" 30 ||
	fail "no call through the other coturn: $(tail -n 5 "$T/client.err")"
ms=$((($(date +%s%N) - t0) / 1000000))
note "a new call through the other coturn $ms ms after the kill"
lanc_paced_check dl2 big.bin
pw_stop client
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
