#!/bin/sh
# SPDX-License-Identifier: MIT
# An idle channel is quiet on the wire, as a browser's: no heartbeat of
# ours (a browser's usrsctp sends one every 30 s; ICE consent checks go
# every ~5 s). Over 3 s of idleness the two peers send at most a handful
# of datagrams between them (consent; measured: 0-4), where a heartbeat
# pair every 250 ms each would be about 48. Then the answerer is killed
# while idle; the offerer notices nothing until it has data to send
# (--send-after-ms), and from then within about --loss-ms.
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

head -c 1000000 /dev/zero >"$T/small" || fail "zero"
udp_out() {
	awk '/^Udp: [0-9]/ { print $5 }' /proc/net/snmp
}
rtc_fifos
rtc_offer --hold --send "$T/small" --send-after-ms 6000 --loss-ms 1000 --timeout 60
rtc_answer --hold --loss-ms 1000 --timeout 60
rtc_wait_open 20
# The handshake's last datagrams (DCEP, SACKs) settle first.
python3 -c 'import time; time.sleep(0.5)'
n0=$(udp_out)
python3 -c 'import time; time.sleep(3)'
n1=$(udp_out)
note "datagrams sent in 3 s of idleness, both peers: $((n1 - n0))"
[ $((n1 - n0)) -le 12 ] || fail "an idle channel sent $((n1 - n0)) datagrams in 3 s"
kill -KILL "$rtc_ans_pid"
pw_wait "$rtc_off_pid" 20
rc=$pw_rc
pw_wait "$rtc_ans_pid" 5
[ "$rc" = 111 ] || fail "offerer exit $rc, want 111: $(cat "$T/off.out")"
grep -q '^closed peer silent for [0-9]* ms$' "$T/off.out" || fail "reason: $(grep "^closed " "$T/off.out")"
s=$(sed -n 's/^sending-ms //p' "$T/off.out")
c=$(sed -n 's/^closed-ms //p' "$T/off.out")
[ -n "$s" ] || fail "the loss was declared before there was data to send: $(grep "^closed" "$T/off.out")"
note "killed while idle; noticed $((c - s)) ms after data was sent ($(grep "^closed " "$T/off.out"))"
[ $((c - s)) -lt 3000 ] || fail "loss noticed $((c - s)) ms after sending began"
[ $((c - s)) -ge 500 ] || fail "loss declared $((c - s)) ms after sending began"
grep -q Sanitizer "$T/off.err" "$T/ans.err" && fail "sanitizer report"
exit 0
