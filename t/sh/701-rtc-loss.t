#!/bin/sh
# SPDX-License-Identifier: MIT
# Loss detection: with the data channel open and idle, one peer is
# killed (SIGKILL: nothing said on the wire); the other notices within
# about --loss-ms (1 s: demanded SCTP heartbeats go unanswered) and exits
# 111 saying why. ICE consent alone would take 30 s, Snowflake's client
# 20 s. Then a peer that exits on SIGTERM aborts the association, and
# its peer closes at once.
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

rtc_fifos
rtc_offer --hold --loss-ms 1000 --timeout 60
rtc_answer --hold --loss-ms 1000 --timeout 60
rtc_wait_open 20
t0=$(rtc_ms)
kill -KILL "$rtc_ans_pid"
pw_wait "$rtc_off_pid" 10
t1=$(rtc_ms)
rc=$pw_rc
pw_wait "$rtc_ans_pid" 5
[ "$rc" = 111 ] || fail "offerer exit $pw_rc, want 111: $(cat "$T/off.out")"
grep -q '^closed peer silent for [0-9]* ms$' "$T/off.out" || fail "reason: $(grep closed "$T/off.out")"
note "killed peer noticed after $((t1 - t0)) ms ($(grep closed "$T/off.out"))"
# 1 s of silence is the rule, counted from the last heartbeat answer (up
# to ~0.5 s before the kill); 3 s leaves room for a loaded machine.
[ $((t1 - t0)) -lt 3000 ] || fail "loss noticed after $((t1 - t0)) ms"
[ $((t1 - t0)) -ge 300 ] || fail "loss declared after only $((t1 - t0)) ms"

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
