#!/bin/sh
# SPDX-License-Identifier: MIT
# Two WebRTC peers (common/rtc through t/helpers/rtc-peer) in a network
# namespace with a veth pair: offer and answer as Snowflake's JSON, ICE
# on host candidates, DTLS with pinned fingerprints, SCTP, one DCEP data
# channel; 20 MiB each way at once, sha256-exact, then a graceful
# SCTP shutdown on both sides.
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

N=20971520
head -c "$N" /dev/urandom >"$T/a" || fail "urandom"
head -c "$N" /dev/urandom >"$T/b" || fail "urandom"
rtc_fifos
t0=$(rtc_ms)
rtc_offer --send "$T/a" --expect "$N" --save "$T/b.got" --label snowflake --timeout 120
rtc_answer --send "$T/b" --expect "$N" --save "$T/a.got" --timeout 120
pw_wait "$rtc_off_pid" 150
[ "$pw_rc" = 0 ] || fail "offerer exit $pw_rc: $(cat "$T/off.out")"
pw_wait "$rtc_ans_pid" 30
[ "$pw_rc" = 0 ] || fail "answerer exit $pw_rc: $(cat "$T/ans.out")"
t1=$(rtc_ms)
cat "$T/off.out" "$T/ans.out"
[ "$(pw_sha "$T/a")" = "$(pw_sha "$T/a.got")" ] || fail "offerer -> answerer differs"
[ "$(pw_sha "$T/b")" = "$(pw_sha "$T/b.got")" ] || fail "answerer -> offerer differs"
grep -qx 'open snowflake' "$T/ans.out" || fail "the answerer did not get the label"
grep -q '^path ice host 192\.0\.2\.[12]:[0-9]* -> host 192\.0\.2\.[12]:[0-9]*; DTLSv1\.[23] ' \
	"$T/off.out" || fail "path: $(grep path "$T/off.out")"
grep -qx 'closed SCTP .*' "$T/off.out" || fail "offerer did not close by SCTP shutdown"
grep -q Sanitizer "$T/off.err" "$T/ans.err" && fail "sanitizer report"
note "2 x 20 MiB in $((t1 - t0)) ms, from start to both exits"
exit 0
