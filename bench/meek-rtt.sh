#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/meek-rtt.sh — meek over a long path, ours against Tor's meek_lite
# (obfs4proxy), in one run: a delaying TCP proxy (bench/delay-tcp.py,
# RTT/2 each way: this kernel has no netem) in front of Caddy, then
# meek-server (no token: meek_lite sends none) -> egress -> httpd. One
# download of PW_BENCH_RTT_BYTES (default 20 MB) per row, best of
# PW_BENCH_RUNS (default 2), at each round trip of PW_BENCH_RTTS (ms,
# default "50 150"):
#   ours          curl -> socks-client -> meek-client (defaults)
#   ours 64 KiB   the same with --max-body 65536 (meek_lite's body size:
#                 only requests in flight make the difference)
#   ours firefox  the same with --tls firefox (NSS with Firefox's hello)
#   meek_lite     ptget (SOCKS5 inside the tunnel) -> obfs4proxy meek_lite
# Goal: ours >= 3x meek_lite, both rows. Prints, never asserts.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

BYTES=${PW_BENCH_RTT_BYTES:-20000000}
RUNS=${PW_BENCH_RUNS:-2}
RTTS=${PW_BENCH_RTTS:-50 150}
command -v obfs4proxy >/dev/null || fail "obfs4proxy not installed (scripts/install-deps)"

pw_httpd "$BYTES"
pw_start egress 1 pw_egress -q -l "unix:$T/egress.sock,trusted" --allow "127.0.0.1:$httpd_port"
pw_start meek 1 "$PW_BIN/meek-server" -q -l tcp:127.0.0.1:0 -u "unix:$T/egress.sock" \
	--path /meek/ --proxy-protocol --trust-forwarded
CADDY_HOSTS="meek.test localhost"
pw_caddy "$pw_ep" /meek/
want="total=$BYTES sha256=$(pw_sha "$T/www/big.bin")"

now() { date +%s.%N; }
mbs() { awk -v a="$1" -v b="$2" -v n="$BYTES" 'BEGIN { printf "%.2f", n / (b - a) / 1e6 }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; }

# ours PORT [MEEK-CLIENT-ARG…]: MB/s of one download through socks-client.
ours() {
	_p=$1
	shift
	pw_start "ours${_p}_$#" 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "exec $PW_BIN/meek-client \
--url https://$caddy_host:$_p/meek/ --front 127.0.0.1:$_p,sni=$caddy_host --ca $caddy_ca $*"
	_t0=$(now)
	_n=$(curl -sS --max-time 600 -o /dev/null -w '%{size_download}' \
		--socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$httpd_port/big.bin") ||
		fail "ours: transfer failed"
	_t1=$(now)
	[ "$_n" = "$BYTES" ] || fail "ours: got $_n of $BYTES bytes"
	pw_stop "ours${_p}_$#"
	mbs "$_t0" "$_t1"
}

# lite PORT NAME: MB/s of one download through obfs4proxy's meek_lite.
lite() {
	_n=$2
	mkdir -p "$T/$_n-state"
	mkfifo "$T/$_n.in" "$T/$_n.fifo"
	env SSL_CERT_FILE="$caddy_ca" TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_CLIENT_TRANSPORTS=meek_lite \
		TOR_PT_STATE_LOCATION="$T/$_n-state" TOR_PT_EXIT_ON_STDIN_CLOSE=1 \
		obfs4proxy <"$T/$_n.in" >"$T/$_n.fifo" 2>"$T/$_n.err" &
	pw_track "$!"
	exec 7>"$T/$_n.in"
	exec 6<"$T/$_n.fifo"
	# shellcheck disable=SC2016 # expanded by the child sh
	_l=$(timeout "$PW_READY_TIMEOUT" sh -c 'while IFS= read -r l; do
		case $l in "CMETHOD meek_lite socks5 "*) printf "%s\n" "${l##* }"; exit 0 ;; esac
	done; exit 1' <&6) || fail "$_n: no CMETHOD line"
	cat <&6 >/dev/null &
	pw_track "$!"
	exec 6<&-
	_t0=$(now)
	_got=$(python3 "$PW_PY/ptget.py" "${_l##*:}" \
		"url=https://$caddy_host:$1/meek/;front=localhost:$1" "$httpd_port" big.bin 2>&1) ||
		fail "meek_lite: $_got"
	_t1=$(now)
	exec 7>&-
	[ "$_got" = "$want" ] || fail "meek_lite: got '$_got', want '$want'"
	mbs "$_t0" "$_t1"
}

rows=""
for rtt in $RTTS; do
	pw_start "delay$rtt" 1 python3 bench/delay-tcp.py $((rtt / 2)) "$caddy_port"
	dport=$pw_port
	o=0 o64=0 off=0 l=0 i=0
	while [ "$i" -lt "$RUNS" ]; do
		o=$(best "$(ours "$dport" -q)" "$o")
		o64=$(best "$(ours "$dport" -q --max-body 65536)" "$o64")
		off=$(best "$(ours "$dport" -q --tls firefox)" "$off")
		l=$(best "$(lite "$dport" "lite${rtt}_$i")" "$l")
		i=$((i + 1))
	done
	rows="$rows$rtt $o $o64 $l $off
"
done

met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "NOT met" }'; }
echo
echo "meek round-trip bench: one $BYTES-byte download, best of $RUNS, through Caddy behind a" \
	"delaying proxy; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %10s %8s %8s   %-19s %s\n' "RTT ms" "ours" "ours 64K" "meek_lite" "ratio" \
	"ratio64" "goal >= 3x" "ours firefox"
printf '%s' "$rows" | while read -r rtt o o64 l off; do
	r=$(awk -v a="$o" -v b="$l" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
	r64=$(awk -v a="$o64" -v b="$l" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
	printf '%-8s %10s %10s %10s %8s %8s   %-19s %s\n' "$rtt" "$o" "$o64" "$l" "$r" "$r64" \
		"$(met "$r" 3) / $(met "$r64" 3)" "$off"
done
echo "(MB/s; ratio = ours / meek_lite)"
