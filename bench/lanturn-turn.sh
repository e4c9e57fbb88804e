#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/lanturn-turn.sh — lanturn-client through coturn on loopback, each
# figure with its baseline in the same run (best of PW_BENCH_RUNS, 3):
#
#   pump       coturn's relay rate: ChannelData of 1200 bytes, 64 in flight,
#              to turnutils_peer and back (t/helpers/turn-path --flood),
#              payload bytes echoed per second; every byte crosses coturn
#              twice, so coturn relays twice this
#   uclient    turnutils_uclient (8 clients, 1200-byte messages, -z 0), bytes
#              received per second: coturn's own tool, paced by its timers,
#              for reference
#   lanturn    a PW_BENCH_LANTURN_BYTES (50 MB) download, bulk profile:
#              curl -> socks-client -> lanturn-client -> coturn ->
#              lanturn-egress -> egress -> httpd
#   direct     the same download and chain without coturn (the call
#              straight over UDP, t/helpers/lanturn-call): the ceiling of
#              the chain itself on this machine
#
# Goal: lanturn >= 0.7 x pump. Each run's figures are printed too (the
# spread of the baseline and of lanturn), with, per lanturn download, the
# share of its time the bulk window kept lanturn-egress waiting, the mean
# round trip (a packet sent to its receiver report) and the CPU of coturn,
# lanturn-client and lanturn-egress (% of one core, from /proc). Also
# printed: lanturn / direct, and the
# datagrams coturn's relay socket dropped (its receive buffer full, the
# kernel's count for the socket) per lanturn download, which the bulk
# pacer is there to keep low. Then one idle call of each profile held
# PW_BENCH_IDLE_SECONDS (30) after one small fetch: datagrams and bytes per
# minute, each way (lanturn-client's own counts, from the first connection
# to the stop, the handshake and the fetch included). Needs PW_BIN and
# PW_HELPERS; exits 0 unless a measurement failed.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-lanturn.sh"
. "$PW_TOP/t/lib-lanclient.sh"

RUNS=${PW_BENCH_RUNS:-3}
BYTES=${PW_BENCH_LANTURN_BYTES:-50000000}
IDLE=${PW_BENCH_IDLE_SECONDS:-30}
command -v turnutils_uclient >/dev/null || fail "coturn not installed (scripts/install-deps)"

lanturn_up "$BYTES" -q
lanc_turn a --no-stdout-log
P=$turn_port
turn_peer_start
lanc_cred "turn:127.0.0.1:$P" >"$T/cred"

max() {
	awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'
}

pump() {
	"$PW_HELPERS/turn-path" --turn "turn:127.0.0.1:$P" --credentials-file "$T/cred" \
		--peer "127.0.0.1:$peer_port" --flood 64 -d 5 >"$T/pump.out" 2>"$T/pump.err" ||
		fail "pump: $(cat "$T/pump.out" "$T/pump.err")"
	sed -n 's/^flood echoed=\([0-9]*\) secs=\([0-9.]*\)$/\1 \2/p' "$T/pump.out" |
		awk '{ print $1 / $2 / 1e6 }'
}

uclient() {
	_u="$(($(date +%s) + 600)):bench"
	_t0=$(date +%s.%N)
	timeout 120 turnutils_uclient -p "$P" -e 127.0.0.1 -r "$peer_port" -u "$_u" \
		-w "$(turn_rest_pass "$_u")" -n 3000 -l 1200 -z 0 -m 8 -c -X 127.0.0.1 >"$T/uc.out" 2>&1 ||
		fail "turnutils_uclient: $(tail -n 3 "$T/uc.out")"
	_t1=$(date +%s.%N)
	sed -n 's/.*tot_recv_bytes ~ \([0-9]*\)$/\1/p' "$T/uc.out" | tail -n 1 |
		awk -v t0="$_t0" -v t1="$_t1" '{ print $1 / (t1 - t0) / 1e6 }'
}

# ticks PID: user + system CPU ticks so far.
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# lanturn_client_pid: the carrier socks-client runs (a child of its sh -c).
lanturn_client_pid() {
	cat /proc/"$client_pid"/task/*/children 2>/dev/null | tr ' ' '\n' | while read -r _c; do
		[ -n "$_c" ] && cat /proc/"$_c"/task/*/children 2>/dev/null
	done | tr ' ' '\n' | grep . | head -n 1
}

# lanturn_measured: lanturn with what the window and the CPU did meanwhile
# ("MB/s closed% rtt_ms cpu_coturn cpu_client cpu_egress").
lanturn_measured() {
	_lc=$(lanturn_client_pid)
	_w0=$(lt_metric lanturn_pace_window_closed_seconds)
	_n0=$(lt_metric lanturn_pace_rtt_samples)
	_s0=$(lt_metric lanturn_pace_rtt_mean_seconds)
	_c0="$(ticks "$turn_pid") $(ticks "${_lc:-0}") $(ticks "$lt_pid")"
	_t0=$(date +%s.%N)
	_mb=$(lanturn) || exit 1
	_t1=$(date +%s.%N)
	_c1="$(ticks "$turn_pid") $(ticks "${_lc:-0}") $(ticks "$lt_pid")"
	awk -v mb="$_mb" -v t0="$_t0" -v t1="$_t1" -v w0="$_w0" \
		-v w1="$(lt_metric lanturn_pace_window_closed_seconds)" \
		-v n0="$_n0" -v n1="$(lt_metric lanturn_pace_rtt_samples)" -v s0="$_s0" \
		-v s1="$(lt_metric lanturn_pace_rtt_mean_seconds)" -v c0="$_c0" -v c1="$_c1" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
		d = t1 - t0
		split(c0, a); split(c1, b)
		rtt = n1 > n0 ? (s1 * n1 - s0 * n0) / (n1 - n0) * 1000 : 0
		printf "%s %.0f %.2f %.0f %.0f %.0f\n", mb, 100 * (w1 - w0) / d, rtt,
		    100 * (b[1] - a[1]) / hz / d, 100 * (b[2] - a[2]) / hz / d, 100 * (b[3] - a[3]) / hz / d
	}'
}

lanturn() {
	_out=$(curl -sS --max-time 120 -o /dev/null -w '%{size_download} %{time_total}' \
		--socks5-hostname "127.0.0.1:$client_port" "$url/big.bin") || fail "lanturn: download failed"
	[ "${_out% *}" -eq "$BYTES" ] || fail "lanturn: downloaded ${_out% *} of $BYTES bytes"
	awk -v n="${_out% *}" -v t="${_out#* }" 'BEGIN { print n / t / 1e6 }'
}

# relay_drops FILE: datagrams dropped so far by each of coturn's UDP
# sockets (receive buffer full), "ADDRESS COUNT" lines into FILE.
relay_drops() {
	ss -uamnp 2>/dev/null | awk -v pid="pid=$turn_pid," '
		index($0, pid) { want = $4; next }
		want != "" && match($0, /,d[0-9]+\)/) { print want, substr($0, RSTART + 2, RLENGTH - 3) }
		{ want = "" }' >"$1"
}

# drops_since BEFORE AFTER: what the sockets in both dropped in between
# (the allocations of turnutils_uclient close meanwhile: their sockets
# leave the sum).
drops_since() {
	awk 'NR == FNR { d0[$1] = $2; next } ($1 in d0) { n += $2 - d0[$1] } END { print n + 0 }' "$1" "$2"
}

lanturn_client direct bulk
direct_port=$client_port
lanc_client client bulk "turn:127.0.0.1:$P"
mb_pump=0 mb_uc=0 mb_lt=0 mb_direct=0 drops=
r=0
# A first fetch: the call is up and its carrier running before the runs.
for _port in "$client_port" "$direct_port"; do
	curl -sS --max-time 30 -o /dev/null --socks5-hostname "127.0.0.1:$_port" "$url/1k.bin" ||
		fail "the first fetch failed"
done
: >"$T/runs"
while [ "$r" -lt "$RUNS" ]; do
	_p=$(pump)
	mb_pump=$(max "$mb_pump" "$_p")
	mb_uc=$(max "$mb_uc" "$(uclient)")
	relay_drops "$T/drops0"
	_m=$(lanturn_measured) || fail "lanturn: download failed"
	mb_lt=$(max "$mb_lt" "${_m%% *}")
	relay_drops "$T/drops1"
	_d=$(drops_since "$T/drops0" "$T/drops1")
	drops="$drops $_d"
	_x=$(client_port=$direct_port lanturn)
	mb_direct=$(max "$mb_direct" "$_x")
	# shellcheck disable=SC2086 # six numbers, split on purpose
	set -- $_m
	{
		printf 'run %d (load %s): pump %.1f MB/s, lanturn %.1f MB/s (%.2f x), direct %.1f MB/s\n' \
			$((r + 1)) "$(cut -d' ' -f1 /proc/loadavg)" "$_p" "$1" \
			"$(awk -v a="$1" -v b="$_p" 'BEGIN { print a / b }')" "$_x"
		printf '  lanturn: window closed %s %% of the time (at most %s packets), round trip %s ms,' \
			"$2" "$(lt_metric lanturn_pace_window_max_packets)" "$3"
		printf ' %s dropped by coturn\n' "$_d"
		printf '  CPU (%% of a core): coturn %s, lanturn-client %s, lanturn-egress %s\n' "$4" "$5" "$6"
	} >>"$T/runs"
	r=$((r + 1))
done
pw_stop client
pw_stop direct

echo "bench lanturn-turn: best of $RUNS, loopback, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$T/runs"
printf '%-66s %8.1f MB/s\n' "pump: ChannelData echo through coturn (turn-path --flood 64)" "$mb_pump"
printf '%-66s %8.1f MB/s\n' "turnutils_uclient -m 8 -z 0 (received; paced, for reference)" "$mb_uc"
printf '%-66s %8.1f MB/s\n' "lanturn-client bulk download ($BYTES bytes)" "$mb_lt"
printf '%-66s %8.1f MB/s\n' "the same without coturn (lanturn-call straight to lanturn-egress)" "$mb_direct"
printf '%-66s %s\n' "datagrams coturn's relay dropped, each lanturn download" "$drops"
printf '%-40s %6s\n' "lanturn bulk / direct" "$(awk -v a="$mb_lt" -v b="$mb_direct" 'BEGIN { printf "%.2f", a / b }')"
v=$(awk -v a="$mb_lt" -v b="$mb_pump" 'BEGIN { printf "%.2f", a / b }')
if awk -v v="$v" 'BEGIN { exit !(v >= 0.7) }'; then verdict=met; else verdict="NOT met"; fi
printf '%-40s %6s   goal >= 0.7 %s\n' "lanturn bulk / pump" "$v" "$verdict"

# One idle call of each profile: after a 1 kB fetch, IDLE seconds of nothing.
for prof in opus video bulk; do
	lanc_client "idle_$prof" "$prof" "turn:127.0.0.1:$P"
	# From the first connection (the carrier starts with it) to the stop.
	t0=$(date +%s.%N)
	curl -sS --max-time 30 -o /dev/null --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin" ||
		fail "$prof: the first fetch failed"
	python3 "$PW_PY/wait-for.py" "$T/idle_$prof.err" "call 1 up" 10 || fail "$prof: no call"
	# A measurement period, not a wait for an event.
	sleep "$IDLE"
	pw_stop "idle_$prof"
	t1=$(date +%s.%N)
	line=$(grep 'call 1: [0-9]* datagrams out' "$T/idle_$prof.err") || fail "$prof: no call counts"
	# shellcheck disable=SC2046 # four numbers, split on purpose
	set -- $(printf '%s\n' "$line" |
		sed -n 's/.*call 1: \([0-9]*\) datagrams out (\([0-9]*\) bytes), \([0-9]*\) in (\([0-9]*\) bytes).*/\1 \2 \3 \4/p')
	[ $# = 4 ] || fail "$prof: cannot read the counts: $line"
	awk -v t0="$t0" -v t1="$t1" -v p="$prof" -v po="$1" -v bo="$2" -v pi="$3" -v bi="$4" 'BEGIN {
		d = t1 - t0
		printf "idle %-5s call, per minute: %6.0f datagrams out (%8.0f bytes), %6.0f in (%8.0f bytes)\n",
		    p, po * 60 / d, bo * 60 / d, pi * 60 / d, bi * 60 / d
	}'
done
