#!/bin/sh
# SPDX-License-Identifier: MIT
# A hostile signalling path. The offer's fingerprint changed by one
# byte: the answerer's DTLS refuses the offerer's certificate, neither
# side opens the channel, both exit 111 within the loss bound. An offer
# claiming setup:passive is refused before any packet is sent (exit 100,
# one line). 200 bogus candidates: 16 kept, the channel still opens;
# 2000: refused like malformed JSON and SDP (exit 100, one line).
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

# rtc_tampered MODE ARG…: offerer -> sdp-tamper.py MODE -> answerer.
rtc_tampered() {
	_mode=$1
	shift
	rm -f "$T/o2a" "$T/o2t" "$T/a2o"
	mkfifo "$T/o2a" "$T/o2t" "$T/a2o" || fail "mkfifo"
	python3 "$PW_PY/sdp-tamper.py" "$_mode" <"$T/o2t" >"$T/o2a" 2>"$T/tamper-$_mode.err" &
	pw_track "$!"
	pw_start_bg off "$RTC_PEER" --offer --in "$T/a2o" --out "$T/o2t" "$@"
	rtc_off_pid=$pw_pid
	rtc_answer "$@"
}

rtc_tampered fingerprint --loss-ms 1000 --timeout 30
pw_wait "$rtc_ans_pid" 40
[ "$pw_rc" = 111 ] || fail "answerer with a wrong pin: exit $pw_rc"
pw_wait "$rtc_off_pid" 40
[ "$pw_rc" = 111 ] || fail "offerer: exit $pw_rc"
cat "$T/ans.out" "$T/off.out"
grep -q '^open' "$T/ans.out" "$T/off.out" && fail "a channel opened despite the wrong fingerprint"
grep -q '^closed DTLS: .*fingerprint' "$T/ans.out" || fail "answerer: reason does not name the fingerprint"

rtc_tampered setup --timeout 30
pw_wait "$rtc_ans_pid" 10
[ "$pw_rc" = 100 ] || fail "setup:passive offer: exit $pw_rc, want 100"
grep -q 'setup:passive' "$T/ans.err" || fail "reason: $(cat "$T/ans.err")"
kill -TERM "$rtc_off_pid" 2>/dev/null
pw_wait "$rtc_off_pid" 10

# 200 bogus candidates after the real ones: the first 16 are kept, the
# channel opens all the same.
rtc_tampered many --timeout 30
rtc_wait_open 20
kill -TERM "$rtc_off_pid" "$rtc_ans_pid"
pw_wait "$rtc_off_pid" 10
pw_wait "$rtc_ans_pid" 10

rtc_tampered huge --timeout 30
pw_wait "$rtc_ans_pid" 10
[ "$pw_rc" = 100 ] || fail "oversized offer: exit $pw_rc, want 100"
grep -q 'description over' "$T/ans.err" || fail "reason: $(cat "$T/ans.err")"
kill -TERM "$rtc_off_pid" 2>/dev/null
pw_wait "$rtc_off_pid" 10

printf '{"type":"offer","sdp":"v=0\\r\\nm=audio 9 RTP/AVP 0\\r\\n"}\n' >"$T/bad1"
printf '{"type":"offer","sdp":' >"$T/bad2"
printf '{"type":"answer","sdp":"v=0\\r\\n"}\n' >"$T/bad3"
for b in bad1 bad2 bad3; do
	"$RTC_PEER" --answer --in "$T/$b" --out /dev/null >"$T/$b.out" 2>"$T/$b.err"
	rc=$?
	[ "$rc" = 100 ] || fail "$b: exit $rc, want 100"
	[ "$(wc -l <"$T/$b.err")" -eq 1 ] || fail "$b: not one line: $(cat "$T/$b.err")"
	note "$b: $(cat "$T/$b.err")"
done
grep -q Sanitizer "$T"/*.err && fail "sanitizer report"
exit 0
