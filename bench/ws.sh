#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/ws.sh — a secure session's goodput over a WebSocket carrier
# against the same over a TCP carrier, in one run on loopback: one egress
# with both listeners (-l tcp: and -l ws://), one socks-client per
# carrier kind (-C tcp:… and -C ws://…), one stream each (curl,
# PW_BENCH_WS_BYTES from httpd's /zero), best of PW_BENCH_RUNS, rounds
# alternating between the two so the machine's load weighs on both; and
# CPU seconds per GB of socks-client + egress for each. The WebSocket
# path adds framing, masking and one socketpair copy on each side. Then
# the egress's memory per idle WebSocket carrier: RSS before and with
# PW_BENCH_WS_IDLE upgraded WebSockets that send nothing more (each one a
# ws bridge, a socketpair and a carrier waiting for its preamble).
# Goal: ws goodput >= 0.7x tcp.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"

BYTES=${PW_BENCH_WS_BYTES:-500000000}
RUNS=${PW_BENCH_RUNS:-3}

pw_httpd 1024
H=$httpd_port
pw_start egress 2 pw_egress -q -l tcp:127.0.0.1:0 -l ws://127.0.0.1:0/ --allow "127.0.0.1:$H"
egress_pid=$pw_pid tcp_ep=$pw_ep ws_ep=$pw_ep2
pw_start ctcp 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$tcp_ep"
tcp_pid=$pw_pid tcp_port=$pw_port
pw_start cws 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$ws_ep"
ws_pid=$pw_pid ws_port=$pw_port

ticks() {
	_t=0
	for _p in "$@"; do
		_t=$((_t + $(awk '{print $14 + $15}' "/proc/$_p/stat")))
	done
	echo "$_t"
}

# once PORT PID: "MB/s CPU-s/GB" of one download.
once() {
	t0=$(ticks "$2" "$egress_pid")
	out=$(curl -sS --max-time 300 -o /dev/null -w '%{size_download} %{speed_download}' \
		--socks5-hostname "127.0.0.1:$1" "http://127.0.0.1:$H/zero/$BYTES") ||
		fail "download through port $1 failed"
	t1=$(ticks "$2" "$egress_pid")
	[ "${out% *}" = "$BYTES" ] || fail "got ${out% *} of $BYTES bytes"
	awk -v s="${out#* }" -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v b="$BYTES" \
		'BEGIN { printf "%.1f %.2f\n", s / 1e6, d / hz / (b / 1e9) }'
}

best_tcp=0 cpu_tcp=0 best_ws=0 cpu_ws=0
r=0
while [ "$r" -lt "$RUNS" ]; do
	o=$(once "$tcp_port" "$tcp_pid")
	if awk -v a="${o% *}" -v b="$best_tcp" 'BEGIN { exit !(a > b) }'; then
		best_tcp=${o% *} cpu_tcp=${o#* }
	fi
	o=$(once "$ws_port" "$ws_pid")
	if awk -v a="${o% *}" -v b="$best_ws" 'BEGIN { exit !(a > b) }'; then
		best_ws=${o% *} cpu_ws=${o#* }
	fi
	r=$((r + 1))
done

echo "ws bench: one stream of a secure session, $BYTES bytes, best of $RUNS, loopback," \
	"$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %12s\n' "" "MB/s" "CPU s/GB"
printf '%-44s %10s %12s\n' "tcp carrier (-C tcp:, -l tcp:)" "$best_tcp" "$cpu_tcp"
printf '%-44s %10s %12s\n' "WebSocket carrier (-C ws://, -l ws://)" "$best_ws" "$cpu_ws"
v=$(awk -v a="$best_ws" -v b="$best_tcp" 'BEGIN { printf "%.2f", a / b }')
if awk -v v="$v" 'BEGIN { exit !(v >= 0.7) }'; then
	verdict=met
else
	verdict="NOT met"
fi
printf 'goodput ws/tcp %s   goal >= 0.7 %s\n' "$v" "$verdict"
pw_stop cws
pw_stop ctcp
pw_stop egress

IDLE=${PW_BENCH_WS_IDLE:-500}
pw_start idle_eg 1 pw_egress -q -l ws://127.0.0.1:0/ --handshake-timeout 300 --max-per-source 0 \
	--max-conns 100000
idle_pid=$pw_pid
hp=${pw_ep#ws://}
hp=${hp%/}
rss0=$(pw_rss "$idle_pid")
pw_start idle 1 python3 "$PW_PY/ws-attack.py" -w 20 upgraded "$hp" "$IDLE"
[ "$pw_ep" = "$IDLE" ] || fail "only $pw_ep of $IDLE WebSockets upgraded"
rss1=$(pw_rss "$idle_pid")
echo "egress memory per idle WebSocket carrier: $(( (rss1 - rss0) * 1024 / IDLE )) bytes" \
	"($IDLE upgraded, RSS $rss0 -> $rss1 kB)"
pw_stop idle_eg
