#!/bin/sh
# SPDX-License-Identifier: MIT
# Loss detection while data moves: one peer is killed (SIGKILL: nothing
# said on the wire) in the middle of a transfer; the other notices within
# about --loss-ms (1 s of silence while data is unacknowledged, or after
# data stopped arriving) and exits 111 saying why: first the sender
# noticing its receiver gone, then the receiver noticing its sender gone.
# ICE consent alone would take 30 s, Snowflake's client 20 s. (An idle
# channel is 727's.) Then a peer that exits on SIGTERM aborts the
# association, and its peer closes at once.
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

# A sparse gigabyte: more than goes through before the kill.
truncate -s 1000000000 "$T/big" || fail "truncate"

# killed VICTIM WATCHER: kill VICTIM (off or ans), WATCHER must notice.
killed() {
	eval "victim_pid=\$rtc_$1_pid watcher_pid=\$rtc_$2_pid"
	python3 "$PW_PY/wait-for.py" --re "$T/$2.out" '^path ' 20 || fail "no path line"
	t0=$(rtc_ms)
	# shellcheck disable=SC2154 # set by the eval above
	kill -KILL "$victim_pid"
	# shellcheck disable=SC2154
	pw_wait "$watcher_pid" 10
	t1=$(rtc_ms)
	rc=$pw_rc
	pw_wait "$victim_pid" 5
	[ "$rc" = 111 ] || fail "$2 exit $rc, want 111: $(cat "$T/$2.out")"
	grep -q '^closed peer silent for [0-9]* ms$' "$T/$2.out" || fail "reason: $(grep "^closed " "$T/$2.out")"
	note "$1 killed mid-transfer, $2 noticed after $((t1 - t0)) ms ($(grep "^closed " "$T/$2.out"))"
	# 1 s of silence is the rule; 3 s leaves room for a loaded machine.
	[ $((t1 - t0)) -lt 3000 ] || fail "loss noticed after $((t1 - t0)) ms"
	[ $((t1 - t0)) -ge 500 ] || fail "loss declared after only $((t1 - t0)) ms"
}

rtc_fifos
rtc_offer --send "$T/big" --hold --loss-ms 1000 --timeout 60
rtc_answer --hold --loss-ms 1000 --timeout 60
rtc_wait_open 20
killed ans off

rtc_fifos
rtc_offer --send "$T/big" --hold --loss-ms 1000 --timeout 60
rtc_answer --hold --loss-ms 1000 --timeout 60
rtc_wait_open 20
killed off ans

rtc_fifos
rtc_offer --hold --loss-ms 5000 --timeout 60
rtc_answer --hold --loss-ms 5000 --timeout 60
rtc_wait_open 20
t0=$(rtc_ms)
kill -TERM "$rtc_off_pid"
pw_wait "$rtc_ans_pid" 10
t1=$(rtc_ms)
[ "$pw_rc" = 111 ] || fail "answerer exit $pw_rc: $(cat "$T/ans.out")"
pw_wait "$rtc_off_pid" 10
[ "$pw_rc" = 0 ] || fail "offerer exit $pw_rc after SIGTERM"
grep -q '^closed SCTP association lost' "$T/ans.out" || fail "reason: $(grep closed "$T/ans.out")"
note "SIGTERM'd peer's abort seen after $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 2000 ] || fail "abort noticed after $((t1 - t0)) ms"
grep -q Sanitizer "$T/off.err" "$T/ans.err" && fail "sanitizer report"
exit 0
