#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/session.sh — the Turbo Tunnel session against per-connection mode,
# in one run on loopback: one stream's goodput (curl, PW_BENCH_SESSION_BYTES
# from httpd's /zero) through socks-client -> egress over a pipe carrier
# (socat on the egress's UNIX socket), best of PW_BENCH_RUNS; CPU seconds per
# GB of socks-client + carrier + egress; secure sessions (the default)
# against plaintext ones on one path (an egress with --upstream, the only
# kind that serves both, whose upstream streams zeros), and the same in
# process (t/helpers/tunnel-bench: the engine alone, no syscalls), and new
# streams per second, secure against plaintext (PW_BENCH_SESSION_REQUESTS
# sequential 1 KB requests, 500); and
# egress memory for 1,000 idle sessions (each a carrier that sent its
# preamble and KCP segment 0, the head of a TLS record); one stream over a
# carrier with a 100 ms and a 300 ms round trip (PW_BENCH_SLOW_BYTES).
# Goals: session goodput >= 300 MB/s and >= 0.5x per-connection; secure
# >= 0.9x plaintext; <= 32 KiB per idle session; over 100 ms, session >=
# 0.8x per-connection.
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

# measure NAME PORT PID [URL EGRESS-PID]: best MB/s and its CPU s/GB.
measure() {
	best=0 cpu=0
	i=0
	_url=${4:-http://127.0.0.1:$H/zero/$BYTES} _eg=${5:-$egress_pid}
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(ticks "$3" "$_eg")
		out=$(curl -sS --max-time 120 -o /dev/null -w '%{size_download} %{speed_download}' \
			--socks5-hostname "127.0.0.1:$2" "$_url") ||
			fail "$1: transfer failed"
		t1=$(ticks "$3" "$_eg")
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

# Secure against plaintext on one path. The upstream answers each stream
# with the status byte socks-client waits for, then an HTTP response of
# BYTES zeros, whatever the stream sent.
up="$T/up.sock"
cat >"$T/zero.sh" <<EOF
#!/bin/sh
printf '\\000HTTP/1.1 200 OK\\r\\nContent-Length: $BYTES\\r\\nConnection: close\\r\\n\\r\\n'
exec head -c $BYTES /dev/zero
EOF
chmod +x "$T/zero.sh"
pw_start_bg zero socat "UNIX-LISTEN:$up,fork" "EXEC:$T/zero.sh"
n=0
until [ -S "$up" ]; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "the zero upstream did not start"
	sleep 0.1
done
pw_start egressu 1 pw_egress -q -l "unix:$T/eu.sock" --upstream "unix:$up"
egressu_pid=$pw_pid
pw_start usec 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "exec socat - UNIX-CONNECT:$T/eu.sock"
usec_pid=$pw_pid usec_port=$pw_port
pw_start uplain 1 "$PW_BIN/socks-client" -q --plaintext -l tcp:127.0.0.1:0 \
	-C "exec socat - UNIX-CONNECT:$T/eu.sock"
uplain_pid=$pw_pid uplain_port=$pw_port
r=$(measure secure "$usec_port" "$usec_pid" http://upstream/ "$egressu_pid")
us_mbs=${r% *} us_cpu=${r#* }
r=$(measure plaintext "$uplain_port" "$uplain_pid" http://upstream/ "$egressu_pid")
up_mbs=${r% *} up_cpu=${r#* }
uratio=$(awk -v a="$us_mbs" -v b="$up_mbs" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
# Per-stream cost, secure against plaintext: REQS sequential 1 KB
# requests, each a new stream, through an egress whose upstream is
# t/helpers/prefix-upstream.py in front of httpd (it answers the status
# byte and relays; both kinds of session pay it alike). Best of RUNS.
REQS=${PW_BENCH_SESSION_REQUESTS:-500}
pw_start prefixup 1 python3 "$PW_TOP/t/helpers/prefix-upstream.py" "127.0.0.1:$H"
pw_start egressr 1 pw_egress -q -l "unix:$T/er.sock" --upstream "$pw_ep"
pw_start rsec 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "exec socat - UNIX-CONNECT:$T/er.sock"
rsec_port=$pw_port
pw_start rplain 1 "$PW_BIN/socks-client" -q --plaintext -l tcp:127.0.0.1:0 \
	-C "exec socat - UNIX-CONNECT:$T/er.sock"
rplain_port=$pw_port
: >"$T/urls"
i=0
while [ "$i" -lt "$REQS" ]; do
	printf 'url = "http://upstream/1k.bin"\noutput = "/dev/null"\n' >>"$T/urls"
	i=$((i + 1))
done
# streams NAME PORT: best requests/s of RUNS series.
streams() {
	_best=0
	_i=0
	while [ "$_i" -lt "$RUNS" ]; do
		_t0=$(date +%s.%N)
		curl -sS --max-time 120 -H 'Connection: close' -w '%{http_code}\n' \
			--socks5-hostname "127.0.0.1:$2" -K "$T/urls" >"$T/codes" 2>"$T/streams.err" ||
			fail "$1: requests failed: $(head -n 3 "$T/streams.err")"
		_t1=$(date +%s.%N)
		[ "$(grep -c '^200' "$T/codes")" -eq "$REQS" ] || fail "$1: not every request answered 200"
		_best=$(awk -v n="$REQS" -v a="$_t0" -v b="$_t1" -v m="$_best" \
			'BEGIN { r = n / (b - a); printf "%.0f", (r > m) ? r : m }')
		_i=$((_i + 1))
	done
	echo "$_best"
}
rq_sec=$(streams secure "$rsec_port")
rq_plain=$(streams plaintext "$rplain_port")
rq_ratio=$(awk -v a="$rq_sec" -v b="$rq_plain" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
"$PW_HELPERS/tunnel-bench" -n 512 >"$T/tb.out" || fail "tunnel-bench failed"
tb_p=$(awk '$1 == "plaintext" { print $2 }' "$T/tb.out")
tb_s=$(awk '$1 == "secure" { print $2 }' "$T/tb.out")
tb_r=$(awk '$1 == "ratio" { print $2 }' "$T/tb.out")
tb_rp=$(awk '$1 == "plaintext" { print $3 }' "$T/tb.out")
tb_rs=$(awk '$1 == "secure" { print $3 }' "$T/tb.out")

# 1,000 idle sessions: preamble + one KCP datagram with segment 0 each.
rss0=$(pw_rss "$egress_pid")
python3 - "$sock" 1000 <<'PY' >"$T/idle.out" 2>&1 &
import os, socket, struct, sys, time
path, n = sys.argv[1], int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    nop = bytes([0x16, 3, 1, 0x40, 0])                # a TLS record's head
    seg = struct.pack("<IBBHIIII", 0x1000 + i, 81, 0, 65535, 0, 0, 0, len(nop)) + nop
    pkt = bytes([0x80 | 0x40 | (len(seg) >> 7), len(seg) & 0x7f]) + seg
    s.sendall(bytes.fromhex("bb6f2368 1b150a1f".replace(" ", "")) + os.urandom(8) + pkt)
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

# One stream over a carrier with a 100 ms and a 300 ms round trip
# (bench/delay.py), session mode against per-connection mode, rounds
# interleaved, best of RUNS; the session's first transfer (a cold session:
# its TLS handshake and window growth inside the transfer) is printed too.
# The clients start here, not inside $( ), so the exit trap knows their PIDs.
SLOW=${PW_BENCH_SLOW_BYTES:-20000000}
for d in 50 150; do
	for m in session perconn; do
		flag=
		[ "$m" = perconn ] && flag=--per-connection
		pw_start "slow$m$d" 1 pw_socks_client -q ${flag:+"$flag"} -l tcp:127.0.0.1:0 \
			-C "exec python3 $PW_TOP/bench/delay.py $d $sock"
		eval "slowport_$m$d=\$pw_port"
	done
done
slow() {
	out=$(curl -sS --max-time 300 -o /dev/null -w '%{size_download} %{speed_download}' \
		--socks5-hostname "127.0.0.1:$2" "http://127.0.0.1:$H/zero/$SLOW") ||
		fail "slow carrier ($1): transfer failed"
	[ "${out% *}" = "$SLOW" ] || fail "slow carrier ($1): got ${out% *} of $SLOW bytes"
	awk -v s="${out#* }" 'BEGIN { printf "%.1f", s / 1e6 }'
}
best() {
	awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'
}
# shellcheck disable=SC2154 # set by eval above
for d in 50 150; do
	eval "sport=\$slowport_session$d pport=\$slowport_perconn$d"
	bs=0 bp=0 first=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		v=$(slow "session, $((2 * d)) ms" "$sport")
		[ -n "$first" ] || first=$v
		bs=$(best "$bs" "$v")
		bp=$(best "$bp" "$(slow "per-connection, $((2 * d)) ms" "$pport")")
		i=$((i + 1))
	done
	eval "slow_s$d=\$bs slow_p$d=\$bp slow_f$d=\$first"
done

ratio=$(awk -v a="$s_mbs" -v b="$p_mbs" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
echo
echo "session bench: one stream, $BYTES bytes, best of $RUNS, pipe carrier (socat)"
printf '%-44s %10s %12s\n' "" "MB/s" "CPU s/GB"
printf '%-44s %10s %12s\n' "session mode (secure: TLS, KCP, smux)" "$s_mbs" "$s_cpu"
printf '%-44s %10s %12s\n' "per-connection mode (SOCKS5 per carrier)" "$p_mbs" "$p_cpu"
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "NOT met" }'; }
printf '%-44s %10s   goal >= 300 MB/s  %s\n' "session goodput" "$s_mbs" "$(met "$s_mbs" 300)"
printf '%-44s %10s   goal >= 0.5        %s\n' "session / per-connection" "$ratio" "$(met "$ratio" 0.5)"
echo "secure against plaintext sessions, one path (egress --upstream, zeros):"
printf '%-44s %10s %12s\n' "secure session" "$us_mbs" "$us_cpu"
printf '%-44s %10s %12s\n' "plaintext session" "$up_mbs" "$up_cpu"
printf '%-44s %10s   goal >= 0.9        %s\n' "secure / plaintext" "$uratio" "$(met "$uratio" 0.9)"
printf '%-44s %10s   (engine alone, in process: %s / %s MB/s)\n' "secure / plaintext, tunnel-bench" \
	"$tb_r" "$tb_s" "$tb_p"
printf '%-44s %10s   (%s vs %s streams/s, %s requests of 1 KB; no per-stream cost: ~1)\n' \
	"secure / plaintext, new streams per second" "$rq_ratio" "$rq_sec" "$rq_plain" "$REQS"
printf '%-44s %10s   goal <= %s + 1     %s\n' "round trips until a stream is accepted" \
	"$tb_rs" "$tb_rp" "$(awk -v a="$tb_rs" -v b="$tb_rp" 'BEGIN { print (a <= b + 1) ? "met" : "NOT met" }')"
printf '%-44s %10s   goal <= 32 KiB     %s\n' "egress KiB per idle session (1,000)" "$per" \
	"$(awk -v a="$per" 'BEGIN { print (a <= 32) ? "met" : "NOT met" }')"
echo "one stream of $SLOW bytes over a carrier with a long round trip (MB/s), best of $RUNS," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg):"
# shellcheck disable=SC2154 # set by eval above
for d in 50 150; do
	eval "vs=\$slow_s$d vp=\$slow_p$d vf=\$slow_f$d"
	r=$(awk -v a="$vs" -v b="$vp" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
	printf '%-44s %10s\n' "session mode, $((2 * d)) ms" "$vs"
	printf '%-44s %10s   (first transfer, cold session)\n' "" "$vf"
	printf '%-44s %10s   (TCP inside an unbounded pipe)\n' "per-connection mode, $((2 * d)) ms" "$vp"
	if [ "$d" = 50 ]; then
		printf '%-44s %10s   goal >= 0.8        %s\n' "session / per-connection, 100 ms" "$r" "$(met "$r" 0.8)"
	else
		printf '%-44s %10s   (no goal)\n' "session / per-connection, $((2 * d)) ms" "$r"
	fi
done
