#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/peers.sh — peer-client and peer-proxy, in a network namespace of
# their own (a veth pair with TEST-NET-1 addresses, coturn as STUN), with
# our rendezvous and an egress ws:// listener (secure session):
#   - goodput of one stream (curl, PW_BENCH_PEERS_BYTES, 50 MB, best of
#     PW_BENCH_RUNS, 3) through one volunteer (socks-client -C peer-client
#     → peer-proxy → egress) against the same egress through a plain
#     WebSocket carrier (-C ws://); goal >= 0.5x;
#   - the same download with snowflake-client → snowflake-proxy (Debian's
#     2.5.1) through the same broker to the egress's upstream= listener,
#     when both are installed; goal: ours >= 2x;
#   - CPU seconds per GB of each process on the path through the
#     volunteer during those downloads (utime + stime from /proc);
#   - time from a fresh socks-client (its peer-client starting) to the
#     first byte of a response (curl's time_starttransfer), median;
#   - peer-proxy memory per client: RSS with PW_BENCH_PEERS_CLIENTS (5)
#     held clients, minus RSS before, divided by the clients;
#   - the longest stall of a download paced at its source (2 MB/s) when
#     its volunteer is SIGKILLed while a second one polls; goal < 3 s.
# PW_BENCH_ONLY=goodput measures the goodput and CPU figures alone;
# PW_BENCH_PERF=DIR records perf profiles (-g) and counts (syscalls,
# context switches, CPU time: perf stat) of peer-proxy and peer-client
# during the first download through the volunteer into DIR (other
# events for perf stat: PW_BENCH_PERF_EVENTS);
# PW_BENCH_PEERS_BIN=DIR takes peer-proxy and peer-client from DIR.
# Needs root (unshare -n), PW_BIN and PW_HELPERS. Exits 0 unless a
# measurement failed.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
export PW_TOP
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

BYTES=${PW_BENCH_PEERS_BYTES:-50000000}
RUNS=${PW_BENCH_RUNS:-3}
CLIENTS=${PW_BENCH_PEERS_CLIENTS:-5}
ONLY=${PW_BENCH_ONLY:-}
PERF=${PW_BENCH_PERF:-}
PERF_EV=${PW_BENCH_PERF_EVENTS:-raw_syscalls:sys_enter,context-switches,task-clock}
PB=${PW_BENCH_PEERS_BIN:-$PW_BIN} # where peer-proxy and peer-client come from (another build, to compare)
median() {
	sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
waiting() {
	_i=0
	until [ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_proxies_waiting)" -ge "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 600 ] || fail "proxies_waiting never reached $1"
		python3 -c 'import time; time.sleep(0.1)'
	done
}

sf_netns_setup
turn_start
pw_httpd 1000
H=$httpd_port
pw_start slow 1 python3 "$PW_TOP/t/helpers/tcpcut.py" "127.0.0.1:$H" 2000000
S=$pw_port
pw_start egress 2 pw_egress -q -l "ws://127.0.0.1:0/,trusted" \
	-l "ws://127.0.0.1:0/,trusted,upstream=tcp:127.0.0.1:$H" --allow "127.0.0.1:$H" --allow "127.0.0.1:$S"
relay=$pw_ep relay_up=$pw_ep2
egress_pid=$pw_pid
pw_start rdv 2 "$PW_BIN/rendezvous" -q -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
B="http://127.0.0.1:$pw_port/"
STUN="stun:127.0.0.1:$turn_port"
proxy() {
	pw_start_bg "$1" "$PB/peer-proxy" -v --broker "$B" --relay "$2" --stun "$STUN" \
		--nat unrestricted --capacity "$3" --poll-interval 1
}
proxy proxy1 "$relay" 20
proxy1=$pw_pid
waiting 1
PC="$PB/peer-client -q --broker $B --stun $STUN"

# once PORT: MB/s of one download.
once() {
	out=$(curl -sS --max-time 300 -o /dev/null -w '%{size_download} %{speed_download}' \
		--socks5-hostname "127.0.0.1:$1" "http://127.0.0.1:$H/zero/$BYTES") || fail "download through $1" >&2
	[ "${out% *}" = "$BYTES" ] || fail "got ${out% *} of $BYTES bytes"
	awk -v s="${out#* }" 'BEGIN { printf "%.1f\n", s / 1e6 }'
}
best() {
	sort -n | tail -n 1
}

# --- first byte, then goodput ---------------------------------------------------
: >"$T/ttfb"
r=0
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	waiting 1
	pw_start "pc$r" 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$PC"
	curl -sS --max-time 60 -o /dev/null -w '%{time_starttransfer}\n' --socks5-hostname "127.0.0.1:$pw_port" \
		"http://127.0.0.1:$H/1k.bin" >>"$T/ttfb" || fail "first fetch"
	pc_port=$pw_port sc_pid=$pw_pid
	[ "$r" = "$RUNS" ] || pw_stop "pc$r"
done
ttfb=$(awk '{ printf "%.0f\n", $1 * 1000 }' "$T/ttfb" | median)
r=0
: >"$T/peer.mbs"
: >"$T/ws.mbs"
pw_start cws 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$relay"
ws_port=$pw_port
# The peer-client socks-client started (its child, through sh -c; ours by its broker URL).
pc_pid=$(pgrep -n -f "^$PB/peer-client .*--broker $B") || fail "no peer-client found"
ticks() {
	for _p in "$egress_pid" "$proxy1" "$pc_pid" "$sc_pid"; do
		awk '{ printf "%d ", $14 + $15 }' "/proc/$_p/stat"
	done
	echo
}
: >"$T/ticks"
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	ticks >>"$T/ticks"
	if [ -n "$PERF" ] && [ "$r" = 1 ]; then
		perf record -q -g -o "$PERF/peer-proxy.data" -p "$proxy1" 2>/dev/null &
		perf1=$!
		perf record -q -g -o "$PERF/peer-client.data" -p "$pc_pid" 2>/dev/null &
		perf2=$!
		perf stat -e "$PERF_EV" -o "$PERF/peer-proxy.stat" \
			-p "$proxy1" 2>/dev/null &
		perf3=$!
		perf stat -e "$PERF_EV" -o "$PERF/peer-client.stat" \
			-p "$pc_pid" 2>/dev/null &
		perf4=$!
	fi
	once "$pc_port" >>"$T/peer.mbs"
	if [ -n "$PERF" ] && [ "$r" = 1 ]; then
		kill -INT "$perf1" "$perf2" "$perf3" "$perf4"
		wait "$perf1" "$perf2" "$perf3" "$perf4"
	fi
	ticks >>"$T/ticks"
	once "$ws_port" >>"$T/ws.mbs"
done
cpu=$(awk -v gb="$((BYTES * RUNS))" -v hz="$(getconf CLK_TCK)" '
	NR % 2 == 1 { for (i = 1; i <= 4; i++) a[i] = $i; next }
	{ for (i = 1; i <= 4; i++) d[i] += $i - a[i] }
	END { printf "egress %.2f, peer-proxy %.2f, peer-client %.2f, socks-client %.2f",
	      d[1] / hz / (gb / 1e9), d[2] / hz / (gb / 1e9), d[3] / hz / (gb / 1e9), d[4] / hz / (gb / 1e9) }' "$T/ticks")
peer=$(best <"$T/peer.mbs")
ws=$(best <"$T/ws.mbs")

if [ "$ONLY" = goodput ]; then
	echo "peers bench (goodput only): $BYTES bytes, best of $RUNS, $(nproc) cores," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "runs, MB/s: peer $(tr '\n' ' ' <"$T/peer.mbs"), ws $(tr '\n' ' ' <"$T/ws.mbs")"
	echo "best: peer $peer, ws $ws; ratio ours/ws $(awk -v a="$peer" -v b="$ws" 'BEGIN { printf "%.2f", a / b }')"
	echo "CPU seconds per GB through the volunteer: $cpu"
	exit 0
fi

# --- snowflake-client → snowflake-proxy ------------------------------------------
sf="n/a"
if command -v snowflake-client >/dev/null && command -v snowflake-proxy >/dev/null; then
	kill -TERM "$proxy1"
	pw_wait "$proxy1" 10
	# A broker of their own, whose relay is the egress's upstream= listener.
	pw_start rdv2 2 "$PW_BIN/rendezvous" -q -l tcp:127.0.0.1:0 --relay "$relay_up" \
		--admin "unix:$T/rdv2-admin.sock" --client-wait 10
	B2="http://127.0.0.1:$pw_port/"
	sf_proxy_start sfproxy "$B2" "$relay_up"
	sf_proxy_pid=$pw_pid
	_i=0
	until [ "$(rdv_metric "$T/rdv2-admin.sock" rendezvous_proxies_waiting)" = 1 ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 600 ] || fail "snowflake-proxy never polled"
		python3 -c 'import time; time.sleep(0.1)'
	done
	# shellcheck disable=SC2119 # no environment to add
	sf_client_start
	mkdir -p "$T/www"
	head -c "$BYTES" /dev/zero >"$T/www/big.bin"
	: >"$T/sf.mbs"
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		r=$((r + 1))
		t0=$(date +%s%N)
		sf_fetch "sf$r" "url=$B2;ice=$STUN" || fail "snowflake download: $(cat "$T/sf$r.err")"
		t1=$(date +%s%N)
		awk -v b="$BYTES" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f\n", b / 1e6 / (ns / 1e9) }' >>"$T/sf.mbs"
	done
	sf=$(best <"$T/sf.mbs")
	exec 7>&-
	pw_wait "$sf_pt_pid" 20
	kill -KILL "$sf_proxy_pid"
	pw_wait "$sf_proxy_pid" 10
	pw_stop rdv2
	proxy proxy1 "$relay" 20
	proxy1=$pw_pid
fi

# --- memory per client --------------------------------------------------------------
waiting 1
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$proxy1/status")
i=0
while [ "$i" -lt "$CLIENTS" ]; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # PC is a command line
	PEER_ECHO_HOLD="$T/release" python3 "$PW_PY/peer-echo.py" 100000 120 $PC >"$T/held$i.res" 2>&1 &
	pw_track "$!"
	waiting 1
done
until [ "$(grep -c "relay .* open" "$T/proxy1.err")" -ge "$CLIENTS" ]; do
	python3 -c 'import time; time.sleep(0.2)'
done
rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$proxy1/status")
: >"$T/release"
per=$(( (rss1 - rss0) / CLIENTS ))

# --- stall when the volunteer dies --------------------------------------------------
proxy proxy2 "$relay" 1
proxy2=$pw_pid
waiting 2
pw_start stall 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$PC"
curl -sS --max-time 120 -o "$T/stall.got" --socks5-hostname "127.0.0.1:$pw_port" \
	"http://127.0.0.1:$S/zero/20000000" 2>"$T/curl.err" &
curl_pid=$!
pw_track "$curl_pid"
until [ "$(stat -c %s "$T/stall.got" 2>/dev/null || echo 0)" -ge 4000000 ]; do
	python3 -c 'import time; time.sleep(0.1)'
done
python3 - "$T/stall.got" "$T/stall.ms" <<'PY' &
import os, sys, time
last, since, worst, end = -1, time.monotonic(), 0.0, time.monotonic() + 20
while time.monotonic() < end:
    s = os.path.getsize(sys.argv[1])
    now = time.monotonic()
    if s != last:
        worst = max(worst, now - since)
        last, since = s, now
    time.sleep(0.02)
open(sys.argv[2], "w").write("%.0f\n" % (worst * 1000))
PY
stall_pid=$!
pw_track "$stall_pid"
if grep -q "relay .* open" "$T/proxy2.err"; then victim=$proxy2; else victim=$proxy1; fi
kill -KILL "$victim"
pw_wait "$curl_pid" 120
[ "$pw_rc" = 0 ] || fail "the download did not survive the volunteer: $(cat "$T/curl.err")"
pw_wait "$stall_pid" 30
stall=$(cat "$T/stall.ms")

echo "peers bench: $BYTES bytes, best of $RUNS, loopback and a veth pair, $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-58s %10s\n' "" "MB/s"
printf '%-58s %10s\n' "peer-client → peer-proxy → egress (one volunteer)" "$peer"
printf '%-58s %10s\n' "plain WebSocket carrier (-C ws://) to the same egress" "$ws"
printf '%-58s %10s\n' "snowflake-client → snowflake-proxy → egress" "$sf"
echo "ratio ours/ws $(awk -v a="$peer" -v b="$ws" 'BEGIN { printf "%.2f", a / b }') (goal >= 0.5)"
[ "$sf" = "n/a" ] || echo "ratio ours/snowflake $(awk -v a="$peer" -v b="$sf" 'BEGIN { printf "%.2f", a / b }') (goal >= 2)"
echo "CPU seconds per GB through the volunteer: $cpu"
echo "first byte after socks-client start (median of $RUNS): $ttfb ms"
echo "peer-proxy memory per held client ($CLIENTS clients): $per KiB"
echo "longest stall when the volunteer is killed (download paced at 2 MB/s, second volunteer polling): $stall ms (goal < 3000)"
