#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client's standard input is the session's carrier stream:
# anything but a Turbo Tunnel preamble (an HTTP request, a few random
# bytes), or a bad encapsulation after a good preamble, ends it at once
# with a one-line reason and exit 100, the allocation it was making
# released; the same one byte at a time; an empty stdin ends it cleanly
# (0).
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanturn_up 1000
lanc_turn a
a_port=$turn_port
lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"
# feed NAME DRIP HEX: HEX on lanturn-client's stdin (one byte at a time with
# DRIP=1), which stays open; sets rc and ms.
feed() {
	t0=$(date +%s%N)
	rc=$(python3 -c '
import subprocess, sys, time
p = subprocess.Popen(sys.argv[4:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                     stderr=open(sys.argv[1], "wb"))
data = bytes.fromhex(sys.argv[3])
try:
    for i in range(0, len(data), 1 if sys.argv[2] == "1" else len(data) or 1):
        p.stdin.write(data[i:i + (1 if sys.argv[2] == "1" else len(data))])
        p.stdin.flush()
        if sys.argv[2] == "1":
            time.sleep(0.01)
except BrokenPipeError:
    pass
if sys.argv[3] == "":
    p.stdin.close()
try:
    print(p.wait(timeout=20))
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("timeout")' "$T/$1.err" "$2" "$3" "$PW_BIN/lanturn-client" -v --turn "turn:127.0.0.1:$a_port" \
		--credentials-file "$T/cred" --peer "127.0.0.1:$lt_port" --egress-fingerprint "$lt_fp")
	ms=$((($(date +%s%N) - t0) / 1000000))
	note "$1: exit $rc after $ms ms: $(tail -n 1 "$T/$1.err")"
}

http=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | od -An -tx1 | tr -d ' \n')
for drip in 0 1; do
	feed "http$drip" "$drip" "$http"
	[ "$rc" = 100 ] || fail "HTTP on stdin (drip $drip): exit $rc, want 100"
	grep -q 'stdin: not a Turbo Tunnel preamble' "$T/http$drip.err" || fail "HTTP (drip $drip): no reason"
done
feed random 0 "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | sed "s/^12/13/; s/^bb/bc/")"
[ "$rc" = 100 ] || fail "random bytes: exit $rc, want 100"
# A good preamble, then an encapsulation prefix with a fourth length byte.
feed frame 0 "1293605d278175f50102030405060708c0c0c0c001"
[ "$rc" = 100 ] || fail "bad encapsulation: exit $rc, want 100"
grep -q 'stdin: bad encapsulation' "$T/frame.err" || fail "bad encapsulation: no reason"
feed empty 0 ""
[ "$rc" = 0 ] || fail "empty stdin: exit $rc, want 0"
grep -q 'done: stdin closed' "$T/empty.err" || fail "empty stdin: $(cat "$T/empty.err")"
grep -q Sanitizer "$T"/*.err && fail "sanitizer"
exit 0
