#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/rtc.sh — the WebRTC stack (common/rtc through t/helpers/rtc-peer)
# in a network namespace of its own, two peers over a veth pair:
#   - goodput of one data channel, PW_BENCH_RTC_BYTES (100 MB) one way,
#     best of PW_BENCH_RUNS (3), in MB/s, and the sender's peak RSS;
#   - time from the answerer's start to its open channel (gathering,
#     answer, ICE, DTLS, SCTP, DCEP), median of the runs (rtc-peer's
#     own clock: open-ms, received-ms, peak-rss-kb lines), and the CPU
#     time each peer used for the transfer (cpu-ms);
#   - time for the sender to notice a receiver SIGKILLed mid-transfer
#     (--loss-ms 1000), median of the runs; goal < 2000 ms (Snowflake's
#     client: 20 s); and for a peer killed while the channel was idle,
#     the time from the next send to the loss (idle, nothing is probed);
#   - memory per open connection with PW_BENCH_RTC_PAIRS (50) pairs in one
#     process (t/helpers/rtc-many), what a volunteer pays per client.
# Needs root (unshare -n), PW_BIN and PW_HELPERS. Exits 0 unless a
# measurement failed.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
export PW_TOP
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
rtc_veth

BYTES=${PW_BENCH_RTC_BYTES:-100000000}
RUNS=${PW_BENCH_RUNS:-3}
head -c "$BYTES" /dev/urandom >"$T/src" || fail "urandom"
truncate -s 1000000000 "$T/big" || fail "truncate"

median() {
	sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

i=0
best=0
: >"$T/open.ms"
: >"$T/loss.ms"
: >"$T/idle.ms"
: >"$T/cpu.ms"
: >"$T/rss.kb"
while [ "$i" -lt "$RUNS" ]; do
	i=$((i + 1))
	rtc_fifos
	rtc_offer --send "$T/src" --timeout 300
	rtc_answer --expect "$BYTES" --timeout 300
	pw_wait "$rtc_ans_pid" 300
	[ "$pw_rc" = 0 ] || fail "answerer exit $pw_rc"
	pw_wait "$rtc_off_pid" 30
	[ "$pw_rc" = 0 ] || fail "offerer exit $pw_rc"
	sed -n 's/^open-ms //p' "$T/ans.out" >>"$T/open.ms"
	sed -n 's/^peak-rss-kb //p' "$T/off.out" >>"$T/rss.kb"
	echo "$(sed -n 's/^cpu-ms //p' "$T/off.out") $(sed -n 's/^cpu-ms //p' "$T/ans.out")" >>"$T/cpu.ms"
	ms=$(sed -n 's/^received-ms //p' "$T/ans.out")
	mbs=$(awk -v b="$BYTES" -v ms="$ms" 'BEGIN { printf "%.1f", b / 1e6 / (ms / 1000) }')
	best=$(awk -v a="$best" -v b="$mbs" 'BEGIN { print (b > a) ? b : a }')

	# A receiver killed mid-transfer: the sender notices (busy).
	rtc_fifos
	rtc_offer --send "$T/big" --hold --loss-ms 1000 --timeout 60
	rtc_answer --hold --loss-ms 1000 --timeout 60
	rtc_wait_open 30
	t0=$(rtc_ms)
	kill -KILL "$rtc_ans_pid"
	pw_wait "$rtc_off_pid" 10
	t1=$(rtc_ms)
	pw_wait "$rtc_ans_pid" 5
	echo $((t1 - t0)) >>"$T/loss.ms"
	# A peer killed while idle: noticed once there is data to send.
	rtc_fifos
	rtc_offer --send "$T/src" --send-after-ms 3000 --hold --loss-ms 1000 --timeout 60
	rtc_answer --hold --loss-ms 1000 --timeout 60
	rtc_wait_open 30
	kill -KILL "$rtc_ans_pid"
	pw_wait "$rtc_off_pid" 10
	pw_wait "$rtc_ans_pid" 5
	awk '/^sending-ms/ { s = $2 } /^closed-ms/ { c = $2 } END { print c - s }' "$T/off.out" >>"$T/idle.ms"
done
pairs=${PW_BENCH_RTC_PAIRS:-50}
"$PW_HELPERS/rtc-many" --pairs "$pairs" --msgs 10 >"$T/many.out" 2>"$T/many.err" || fail "rtc-many"
loss=$(median <"$T/loss.ms")
echo "rtc: data channel goodput, $BYTES bytes one way: $best MB/s (best of $RUNS)"
echo "rtc: CPU for the transfer, sender and receiver: $(sort -n "$T/cpu.ms" | head -n 1) ms (least of $RUNS)"
echo "rtc: sender peak RSS: $(sort -n "$T/rss.kb" | tail -n 1) kB"
echo "rtc: start to open channel: $(median <"$T/open.ms") ms (median)"
echo "rtc: receiver killed mid-transfer, noticed after: $loss ms (median; goal < 2000)"
echo "rtc: peer killed while idle, noticed after the next send by: $(median <"$T/idle.ms") ms (median)"
echo "rtc: memory per open connection, $((pairs * 2)) in one process:" \
	"$(sed -n 's/^per-connection-kb //p' "$T/many.out") kB"
exit 0
