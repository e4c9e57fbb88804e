#!/bin/sh
# SPDX-License-Identifier: MIT
# Receive backpressure: the answerer stops reading for 1.5 s at the first
# message (rtc_pause, a slow consumer). The sender is held back once
# SCTP's buffers are full (its send buffer and the reader's window,
# 256 KiB each): it makes no progress for most of the pause, having sent
# less than 1 MiB of the 20 MB by then (measured: 480 KiB); after the
# pause the 20 MB arrive sha256-exact.
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

N=20000000
head -c "$N" /dev/urandom >"$T/a" || fail "urandom"
rtc_fifos
rtc_offer --send "$T/a" --timeout 90
rtc_answer --expect "$N" --save "$T/a.got" --pause-ms 1500 --timeout 90
pw_wait "$rtc_ans_pid" 100
[ "$pw_rc" = 0 ] || fail "answerer exit $pw_rc: $(cat "$T/ans.out")"
pw_wait "$rtc_off_pid" 30
[ "$pw_rc" = 0 ] || fail "offerer exit $pw_rc: $(cat "$T/off.out")"
cat "$T/off.out" "$T/ans.out"
[ "$(pw_sha "$T/a")" = "$(pw_sha "$T/a.got")" ] || fail "data differs"
grep -qx resumed "$T/ans.out" || fail "the reader never paused"
stall=$(sed -n 's/^first-stall-ms \([0-9]*\) after .*/\1/p' "$T/off.out")
at=$(sed -n 's/^first-stall-ms [0-9]* after \([0-9]*\)$/\1/p' "$T/off.out")
note "sender held back for $stall ms, after $at bytes"
[ "$stall" -ge 700 ] || fail "the sender was not held back ($stall ms)"
[ "$at" -le 1048576 ] || fail "the sender queued $at bytes before it was held back"
grep -q Sanitizer "$T/off.err" "$T/ans.err" && fail "sanitizer report"
exit 0
