#!/bin/sh
# SPDX-License-Identifier: MIT
# lanturn-client's one-line reasons and exit codes (DESIGN.md §4): refused
# credentials end it within a few seconds with "credentials refused"
# (exit 100: retrying the same file cannot help); a fleet where nothing
# answers ends it after 3 failures per server (exit 111); a wrong
# --egress-fingerprint fails the call, not silently; usage errors are 100
# before anything is sent. stdin holds a preamble and stays open.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

lanturn_up 1000
lanc_turn a
a_port=$turn_port
run() {
	_name=$1
	shift
	t0=$(date +%s%N)
	# A preamble on a stdin that stays open; the exit status, or "timeout".
	rc=$(python3 -c '
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                     stderr=open(sys.argv[1], "wb"))
p.stdin.write(bytes.fromhex("1293605d278175f5") + os.urandom(8))
p.stdin.flush()
try:
    print(p.wait(timeout=40))
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("timeout")' "$T/$_name.err" "$PW_BIN/lanturn-client" "$@")
	ms=$((($(date +%s%N) - t0) / 1000000))
	note "$_name: exit $rc after $ms ms: $(tail -n 1 "$T/$_name.err")"
}
common="--peer 127.0.0.1:$lt_port --egress-fingerprint $lt_fp --credentials-file $T/cred"

u="$(($(date +%s) + 600)):lanc"
printf 'turn:127.0.0.1:%s %s bm9wZQ==\n' "$a_port" "$u" >"$T/cred"
# shellcheck disable=SC2086 # $common is split on purpose
run wrong --turn "turn:127.0.0.1:$a_port" $common
[ "$rc" = 100 ] || fail "wrong credentials: exit $rc, want 100"
[ "$ms" -lt 5000 ] || fail "wrong credentials: $ms ms"
grep -q 'credentials refused: Allocate: 401' "$T/wrong.err" || fail "wrong credentials: no reason"

dead1=$(lanc_free_udp)
dead2=$(lanc_free_udp)
{
	lanc_cred "turn:127.0.0.1:$dead1"
	lanc_cred "turn:127.0.0.1:$dead2"
} >"$T/cred"
# shellcheck disable=SC2086
run dead --turn "turn:127.0.0.1:$dead1" --turn "turn:127.0.0.1:$dead2" $common
[ "$rc" = 111 ] || fail "dead fleet: exit $rc, want 111"
[ "$(grep -c '^lanturn-client: call [0-9]*: turn:.*Allocate: refused' "$T/dead.err")" = 6 ] || fail "dead fleet: not 3 tries per server"
tail -n 1 "$T/dead.err" | grep -q 'no healthy TURN server' || fail "dead fleet: last line"

lanc_cred "turn:127.0.0.1:$a_port" >"$T/cred"
bad_fp=sha256:$(printf '%064d' 0)
# shellcheck disable=SC2086
run pin --turn "turn:127.0.0.1:$a_port" --peer "127.0.0.1:$lt_port" --egress-fingerprint "$bad_fp" \
	--credentials-file "$T/cred"
[ "$rc" = 111 ] || fail "wrong pin: exit $rc, want 111"
grep -q 'call through turn:127.0.0.1:[0-9]*: ' "$T/pin.err" || fail "wrong pin: the call did not fail"

# Usage errors: exit 100, nothing sent.
for args in "--peer 127.0.0.1:1 --egress-fingerprint $lt_fp --credentials-file $T/cred" \
	"--turn stun:127.0.0.1:$a_port $common" \
	"--turn turn:127.0.0.1:$a_port --peer 127.0.0.1 --egress-fingerprint $lt_fp --credentials-file $T/cred" \
	"--turn turn:127.0.0.1:$a_port $common --profile speech" \
	"--turn turn:127.0.0.1:$a_port $common --session-duration 9-3" \
	"--turn turn:127.0.0.1:$a_port --peer 127.0.0.1:1 --egress-fingerprint sha256:12 --credentials-file $T/cred" \
	"--turn turn:127.0.0.2:$a_port $common"; do
	# shellcheck disable=SC2086
	"$PW_BIN/lanturn-client" $args </dev/null >/dev/null 2>"$T/usage.err"
	rc=$?
	[ "$rc" = 100 ] || fail "usage ($args): exit $rc: $(cat "$T/usage.err")"
	[ "$(grep -c . "$T/usage.err")" -ge 1 ] || fail "usage ($args): no message"
done
grep -q 'no line for turn:127.0.0.2' "$T/usage.err" || fail "missing credentials line: $(cat "$T/usage.err")"
grep -q Sanitizer "$T"/*.err && fail "sanitizer"
exit 0
