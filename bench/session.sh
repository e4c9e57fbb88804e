#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/session.sh — the Turbo Tunnel session against per-connection mode,
# in one run on loopback: one stream's goodput (curl, PW_BENCH_SESSION_BYTES
# from httpd's /zero) through socks-client -> egress over a pipe carrier
# (socat on the egress's UNIX socket), best of PW_BENCH_RUNS; CPU seconds per
# GB of socks-client + carrier + egress; and egress memory for 1,000 idle
# sessions (each a carrier that sent its preamble and KCP segment 0).
# Goals: session goodput >= 300 MB/s and >= 0.5x per-connection; <= 32 KiB
# per idle session.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"

BYTES=${PW_BENCH_SESSION_BYTES:-1000000000}
RUNS=${PW_BENCH_RUNS:-3}
command -v socat >/dev/null || fail "socat not installed (scripts/install-deps)"

pw_httpd 1024
H=$httpd_port
sock="$T/egress.sock"
pw_start egress 1 pw_egress -q -l "unix:$sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid
pw_start sess 1 pw_socks_client -q -l tcp:127.0.0.1:0 \
	-C "exec socat - UNIX-CONNECT:$sock"
sess_pid=$pw_pid sess_port=$pw_port
pw_start perconn 1 pw_socks_client -q --per-connection -l tcp:127.0.0.1:0 \
	-C "exec socat - UNIX-CONNECT:$sock"
perconn_pid=$pw_pid perconn_port=$pw_port

# CPU ticks (utime + stime) of a process and its children that have ended,
# plus those of its live children (the carrier).
ticks() {
	_t=0
	for _p in "$@" $(pgrep -P "$1" 2>/dev/null); do
		[ -r "/proc/$_p/stat" ] || continue
		_t=$((_t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$_p/stat")))
	done
	echo "$_t"
}

# measure NAME PORT PID: best MB/s and its CPU s/GB.
measure() {
	best=0 cpu=0
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(ticks "$3" "$egress_pid")
		out=$(curl -sS --max-time 120 -o /dev/null -w '%{size_download} %{speed_download}' \
			--socks5-hostname "127.0.0.1:$2" "http://127.0.0.1:$H/zero/$BYTES") ||
			fail "$1: transfer failed"
		t1=$(ticks "$3" "$egress_pid")
		size=${out% *} speed=${out#* }
		[ "$size" = "$BYTES" ] || fail "$1: got $size of $BYTES bytes"
		mbs=$(awk -v s="$speed" 'BEGIN { printf "%.1f", s / 1e6 }')
		c=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v b="$BYTES" \
			'BEGIN { printf "%.2f", d / hz / (b / 1e9) }')
		if awk -v a="$mbs" -v b="$best" 'BEGIN { exit !(a > b) }'; then
			best=$mbs cpu=$c
		fi
		i=$((i + 1))
	done
	echo "$best $cpu"
}

r=$(measure session "$sess_port" "$sess_pid")
s_mbs=${r% *} s_cpu=${r#* }
r=$(measure per-connection "$perconn_port" "$perconn_pid")
p_mbs=${r% *} p_cpu=${r#* }

# 1,000 idle sessions: preamble + one KCP datagram with segment 0 each.
rss0=$(pw_rss "$egress_pid")
python3 - "$sock" 1000 <<'PY' >"$T/idle.out" 2>&1 &
import os, socket, struct, sys, time
path, n = sys.argv[1], int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    nop = bytes([2, 3, 0, 0, 0, 0, 0, 0])             # smux v2 NOP
    seg = struct.pack("<IBBHIIII", 0x1000 + i, 81, 0, 65535, 0, 0, 0, len(nop)) + nop
    pkt = bytes([0x80 | 0x40 | (len(seg) >> 7), len(seg) & 0x7f]) + seg
    s.sendall(bytes.fromhex("129360 5d278175f5".replace(" ", "")) + os.urandom(8) + pkt)
    socks.append(s)
for s in socks:
    s.recv(65536)                                      # the egress answered: session exists
print("ready", flush=True)
sys.stdin.read()
PY
idle_pid=$!
pw_track "$idle_pid"
n=0
until grep -q ready "$T/idle.out" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -lt 600 ] || fail "idle sessions not set up: $(cat "$T/idle.out")"
	pw_alive egress
	sleep 0.1
done
rss1=$(pw_rss "$egress_pid")
kill "$idle_pid" 2>/dev/null
per=$(awk -v a="$rss0" -v b="$rss1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')

# One stream over a carrier with a 100 ms round trip (bench/delay.py). The
# clients start here, not inside $( ), so the exit trap knows their PIDs.
SLOW=${PW_BENCH_SLOW_BYTES:-20000000}
for m in session perconn; do
	flag=
	[ "$m" = perconn ] && flag=--per-connection
	pw_start "slow$m" 1 pw_socks_client -q ${flag:+"$flag"} -l tcp:127.0.0.1:0 \
		-C "exec python3 $PW_TOP/bench/delay.py 50 $sock"
	eval "slowport_$m=\$pw_port"
done
slow() {
	out=$(curl -sS --max-time 300 -o /dev/null -w '%{size_download} %{speed_download}' \
		--socks5-hostname "127.0.0.1:$2" "http://127.0.0.1:$H/zero/$SLOW") ||
		fail "slow carrier ($1): transfer failed"
	[ "${out% *}" = "$SLOW" ] || fail "slow carrier ($1): got ${out% *} of $SLOW bytes"
	awk -v s="${out#* }" 'BEGIN { printf "%.1f", s / 1e6 }'
}
# shellcheck disable=SC2154 # set by eval above
{
	slow_s=$(slow session "$slowport_session")
	slow_p=$(slow per-connection "$slowport_perconn")
}

ratio=$(awk -v a="$s_mbs" -v b="$p_mbs" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
echo
echo "session bench: one stream, $BYTES bytes, best of $RUNS, pipe carrier (socat)"
printf '%-44s %10s %12s\n' "" "MB/s" "CPU s/GB"
printf '%-44s %10s %12s\n' "session mode (KCP + smux, one stream)" "$s_mbs" "$s_cpu"
printf '%-44s %10s %12s\n' "per-connection mode (SOCKS5 per carrier)" "$p_mbs" "$p_cpu"
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "NOT met" }'; }
printf '%-44s %10s   goal >= 300 MB/s  %s\n' "session goodput" "$s_mbs" "$(met "$s_mbs" 300)"
printf '%-44s %10s   goal >= 0.5        %s\n' "session / per-connection" "$ratio" "$(met "$ratio" 0.5)"
printf '%-44s %10s   goal <= 32 KiB     %s\n' "egress KiB per idle session (1,000)" "$per" \
	"$(awk -v a="$per" 'BEGIN { print (a <= 32) ? "met" : "NOT met" }')"
echo "one stream of $SLOW bytes over a carrier with a 100 ms round trip (MB/s):"
printf '%-44s %10s   (no goal)\n' "session mode" "$slow_s"
printf '%-44s %10s   (no goal; TCP inside an unbounded pipe)\n' "per-connection mode" "$slow_p"
