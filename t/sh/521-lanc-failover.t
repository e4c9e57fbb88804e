#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client fails over: two coturns in the fleet, a 20 MB download
# (bulk profile, read at 2 MB/s) and the coturn carrying the call killed
# in the middle. A Binding request to the dead coturn (lanturn-client's
# probe once the peer is quiet, t/sh/531) or the call's ICE consent checks
# (Binding requests to the peer through the relay) go unanswered, a new
# call goes up through the other
# coturn with the same session, and the download completes sha256-exact.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanc_two_turns 20000000
lanc_paced dl big.bin 2 4000000
python3 "$PW_PY/wait-for.py" --re "$T/client.err" 'call 1 up through' 20 || fail "no call"
first=$(sed -n 's/.*call 1 up through turn:127.0.0.1:\([0-9]*\).*/\1/p' "$T/client.err")
if [ "$first" = "$a_port" ]; then victim=$a_pid other=$b_port; else victim=$b_pid other=$a_port; fi
# Kill it 4 MB into the download.
python3 "$PW_PY/wait-for.py" "$T/dl.out" mark 30 || fail "the download did not start: $(cat "$T/dl.out")"
t0=$(date +%s%N)
kill -KILL "$victim"
note "killed the coturn on $first 4 MB into the download"
python3 "$PW_PY/wait-for.py" --re "$T/client.err" 'call 2 up through' 30 || fail "no second call"
ms=$((($(date +%s%N) - t0) / 1000000))
lanc_paced_check dl big.bin
grep -q "call 2 up through turn:127.0.0.1:$other" "$T/client.err" || fail "no call through the other coturn"
grep -q "no answer to a Binding request" "$T/client.err" || fail "the dead server was not found by consent checks"
note "call 2 up $ms ms after the kill: $(grep -E 'call [0-9]+:|call 2 up' "$T/client.err" | tr '\n' ' ')"
pw_stop client
grep -q Sanitizer "$T/client.err" && fail "sanitizer"
exit 0
