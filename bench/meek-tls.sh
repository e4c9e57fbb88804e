#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/meek-tls.sh — meek-client's two TLS backends in one run, on
# loopback behind Caddy:
#   wolfssl  curl -> socks-client -> meek-client (wolfSSL, the default)
#            -> Caddy -> meek-server -> egress -> httpd
#   firefox  the same with meek-client --tls firefox (NSS as Firefox)
#   ceiling  curl -> Caddy (TLS, reverse_proxy) -> httpd, the same bytes
# one download of PW_BENCH_MEEK_BYTES (default 100 MB) each, best of
# PW_BENCH_RUNS (3), with the client's CPU seconds per GB (socks-client +
# meek-client); then an idle session of each for PW_BENCH_IDLE_S seconds
# (default 60) after one small fetch: polls per minute, and bytes per
# minute on the wire both ways (TCP payload of meek-client's connections
# to Caddy, TLS included, from ss). No goals: figures for issues 13 and 14.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

BYTES=${PW_BENCH_MEEK_BYTES:-100000000}
RUNS=${PW_BENCH_RUNS:-3}
IDLE_S=${PW_BENCH_IDLE_S:-60}

PW_MEEK_DIRECT=1
pw_meek_stack 1024 -q
H=$httpd_port
pw_start wolf 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$meek_carrier --tls wolfssl"
wolf_pid=$pw_pid wolf_port=$pw_port
pw_start ff 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$meek_carrier --tls firefox"
ff_pid=$pw_pid ff_port=$pw_port

# CPU ticks of a process and its live children (socks-client's meek-client).
ticks() {
	_t=0
	for _p in "$1" $(pgrep -P "$1" 2>/dev/null); do
		[ -r "/proc/$_p/stat" ] || continue
		_t=$((_t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$_p/stat")))
	done
	echo "$_t"
}

get() {
	_n=$1
	shift
	_out=$(curl -sS --max-time 300 -o /dev/null -w '%{size_download} %{speed_download}' "$@") ||
		fail "$_n: transfer failed"
	[ "${_out% *}" = "$BYTES" ] || fail "$_n: got ${_out% *} of $BYTES bytes"
	awk -v s="${_out#* }" 'BEGIN { printf "%.1f", s / 1e6 }'
}

gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
hz=$(getconf CLK_TCK)
cpu_per_gb() { awk -v d="$1" -v hz="$hz" -v b="$BYTES" 'BEGIN { printf "%.2f", d / hz / (b / 1e9) }'; }

best_wolf=0 best_ff=0 best_ceil=0 cpu_wolf="" cpu_ff=""
i=0
while [ "$i" -lt "$RUNS" ]; do
	t0=$(ticks "$wolf_pid")
	m=$(get wolfssl --socks5-hostname "127.0.0.1:$wolf_port" "http://127.0.0.1:$H/zero/$BYTES")
	t1=$(ticks "$wolf_pid")
	gt "$m" "$best_wolf" && best_wolf=$m cpu_wolf=$(cpu_per_gb $((t1 - t0)))
	t0=$(ticks "$ff_pid")
	m=$(get firefox --socks5-hostname "127.0.0.1:$ff_port" "http://127.0.0.1:$H/zero/$BYTES")
	t1=$(ticks "$ff_pid")
	gt "$m" "$best_ff" && best_ff=$m cpu_ff=$(cpu_per_gb $((t1 - t0)))
	c=$(get ceiling --cacert "$caddy_ca" --resolve "$caddy_host:$caddy_port:127.0.0.1" \
		"https://$caddy_host:$caddy_port/direct/zero/$BYTES")
	gt "$c" "$best_ceil" && best_ceil=$c
	i=$((i + 1))
done
pw_stop wolf
pw_stop ff

# wire PID: "SENT RECEIVED", TCP payload bytes of PID's connections to Caddy.
wire() {
	ss -tinpH state established "( dport = :$caddy_port )" 2>/dev/null | awk -v pid="pid=$1," '
		/users:/ { mine = index($0, pid) > 0; next }
		mine {
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^bytes_sent:/) { split($i, a, ":"); s += a[2] }
				if ($i ~ /^bytes_received:/) { split($i, a, ":"); r += a[2] }
			}
			mine = 0
		}
		END { printf "%d %d\n", s, r }'
}

# idle NAME TLS: idle_out="polls/min up-bytes/min down-bytes/min" of an idle session.
idle() {
	pw_start "idle$1" 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$meek_carrier --tls $2 -v -v"
	_sp=$pw_pid
	curl -sS --max-time 30 -o /dev/null --socks5-hostname "127.0.0.1:$pw_port" \
		"http://127.0.0.1:$H/zero/1000" || fail "idle$1: fetch failed"
	_mp=$(pgrep -P "$_sp" | head -n 1)
	[ -n "$_mp" ] || fail "idle$1: no meek-client"
	sleep 5 # let the fetch's polls end: the window holds idle polls only
	_p0=$(grep -c ': status ' "$T/idle$1.err")
	_w0=$(wire "$_mp")
	sleep "$IDLE_S"
	_p1=$(grep -c ': status ' "$T/idle$1.err")
	_w1=$(wire "$_mp")
	pw_stop "idle$1"
	idle_out=$(awk -v p=$((_p1 - _p0)) -v s0="${_w0% *}" -v r0="${_w0#* }" -v s1="${_w1% *}" \
		-v r1="${_w1#* }" -v t="$IDLE_S" \
		'BEGIN { f = 60 / t; printf "%.0f %.0f %.0f", p * f, (s1 - s0) * f, (r1 - r0) * f }')
}
idle wolf wolfssl
idle_wolf=$idle_out
idle ff firefox
idle_ff=$idle_out

r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
echo
echo "meek TLS backends: one $BYTES-byte download, best of $RUNS, loopback, $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8s %12s %12s\n' "" "MB/s" "/ ceiling" "client s/GB"
printf '%-44s %8s %12s %12s\n' "meek-client --tls wolfssl (default)" "$best_wolf" \
	"$(r "$best_wolf" "$best_ceil")" "$cpu_wolf"
printf '%-44s %8s %12s %12s\n' "meek-client --tls firefox (NSS)" "$best_ff" \
	"$(r "$best_ff" "$best_ceil")" "$cpu_ff"
printf '%-44s %8s\n' "ceiling (curl > Caddy reverse_proxy > httpd)" "$best_ceil"
printf '%-44s %8s\n' "firefox / wolfssl" "$(r "$best_ff" "$best_wolf")"
echo "idle session over ${IDLE_S} s, per minute (wire bytes: TLS records and TCP payload to/from Caddy)"
printf '%-44s %8s %12s %12s\n' "" "polls" "bytes up" "bytes down"
# shellcheck disable=SC2086 # three words
printf '%-44s %8s %12s %12s\n' "wolfssl" $idle_wolf
# shellcheck disable=SC2086
printf '%-44s %8s %12s %12s\n' "firefox" $idle_ff
pw_stop meek
pw_stop egress
exit 0
