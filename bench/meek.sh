#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/meek.sh — the meek chain behind Caddy against Caddy alone, in one
# run on loopback:
#   meek     curl -> socks-client -> meek-client -> Caddy (TLS) ->
#            meek-server -> egress (UNIX socket) -> httpd
#   ceiling  curl -> Caddy (TLS, reverse_proxy) -> httpd, the same bytes
#   plain    the meek chain without TLS and Caddy (meek-client http:// to
#            meek-server), no goal: what TLS and the proxy hop cost
# one download of PW_BENCH_MEEK_BYTES (default 200 MB) from httpd's /zero,
# best of PW_BENCH_RUNS (3); the CPU seconds per GB each process of the
# meek chain used (where the time goes), and Caddy's in the ceiling; and
# meek-server's memory with 1,000 idle sessions (each created by a POST
# carrying a Turbo Tunnel preamble, the way socks-client starts one).
# Goals: meek >= 0.5x the ceiling for one session; <= 64 KiB per idle
# session.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

BYTES=${PW_BENCH_MEEK_BYTES:-200000000}
RUNS=${PW_BENCH_RUNS:-3}
IDLE=${PW_BENCH_MEEK_IDLE:-1000}

PW_MEEK_DIRECT=1
pw_meek_stack 1024 -q --max-sessions $((IDLE + 100))
H=$httpd_port
# PW_BENCH_MEEK_ARGS: more meek-client options (e.g. --http1) for a comparison.
meek_carrier="$meek_carrier ${PW_BENCH_MEEK_ARGS:-}"
pw_start client 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "$meek_carrier"
client_pid=$pw_pid client_port=$pw_port
pw_start plain 1 pw_socks_client -q -l tcp:127.0.0.1:0 -C "exec $PW_BIN/meek-client \
--url http://127.0.0.1:$meek_port/meek/ --insecure-plaintext --auth-token-file $T/token"
plain_port=$pw_port

# CPU ticks (utime + stime, with ended children) of a process and of its
# live children (socks-client's meek-client).
ticks() {
	_t=0
	for _p in "$1" $(pgrep -P "$1" 2>/dev/null); do
		[ -r "/proc/$_p/stat" ] || continue
		_t=$((_t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$_p/stat")))
	done
	echo "$_t"
}

PROCS="client:$client_pid caddy:$caddy_pid meek-server:$meek_pid egress:$egress_pid"
snapshot() {
	for _e in $PROCS; do
		printf '%s=%s ' "${_e%%:*}" "$(ticks "${_e#*:}")"
	done
}

# get NAME CURL-ARG…: MB/s of one download of BYTES.
get() {
	_n=$1
	shift
	_out=$(curl -sS --max-time 300 -o /dev/null -w '%{size_download} %{speed_download}' "$@") ||
		fail "$_n: transfer failed"
	[ "${_out% *}" = "$BYTES" ] || fail "$_n: got ${_out% *} of $BYTES bytes"
	awk -v s="${_out#* }" 'BEGIN { printf "%.1f", s / 1e6 }'
}

best_meek=0 best_ceil=0 best_plain=0 cpu="" ceil_caddy=""
hz=$(getconf CLK_TCK)
i=0
while [ "$i" -lt "$RUNS" ]; do
	t0=$(snapshot)
	m=$(get meek --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$H/zero/$BYTES")
	t1=$(snapshot)
	if awk -v a="$m" -v b="$best_meek" 'BEGIN { exit !(a > b) }'; then
		best_meek=$m
		# CPU s/GB per process for the best run.
		cpu=$(for e in $t1; do
			k=${e%%=*}
			a=$(printf '%s\n' "$t0" | tr ' ' '\n' | sed -n "s/^$k=//p")
			awk -v k="$k" -v d=$((${e#*=} - a)) -v hz="$hz" -v b="$BYTES" \
				'BEGIN { printf "%s=%.2f ", k, d / hz / (b / 1e9) }'
		done)
	fi
	k0=$(ticks "$caddy_pid")
	c=$(get ceiling --cacert "$caddy_ca" --resolve "$caddy_host:$caddy_port:127.0.0.1" \
		"https://$caddy_host:$caddy_port/direct/zero/$BYTES")
	k1=$(ticks "$caddy_pid")
	if awk -v a="$c" -v b="$best_ceil" 'BEGIN { exit !(a > b) }'; then
		best_ceil=$c
		ceil_caddy=$(awk -v d=$((k1 - k0)) -v hz="$hz" -v b="$BYTES" \
			'BEGIN { printf "%.2f", d / hz / (b / 1e9) }')
	fi
	p=$(get plain --socks5-hostname "127.0.0.1:$plain_port" "http://127.0.0.1:$H/zero/$BYTES")
	if awk -v a="$p" -v b="$best_plain" 'BEGIN { exit !(a > b) }'; then
		best_plain=$p
	fi
	i=$((i + 1))
done

# IDLE idle sessions on a fresh meek-server (so the transfers above leave
# nothing in its baseline), straight to it (Caddy adds nothing to its
# memory): 50 keep-alive connections, each POSTing a preamble on its
# share of new session ids (all from one address: its limits are lifted).
# Their upstream is an echo (one process) rather than the egress, whose
# per-source limit would refuse a thousand sessions from one address.
pw_start idleup 1 python3 "$PW_PY/meek-echo.py" "unix:$T/idle-up.sock"
pw_start idle 1 "$PW_BIN/meek-server" -q -l tcp:127.0.0.1:0 -u "unix:$T/idle-up.sock" \
	--path /meek/ --auth-token-file "$T/token" --proxy-protocol --max-sessions $((IDLE + 100)) \
	--session-rate 1000000 --session-burst 1000000 --max-sessions-per-addr $((IDLE + 100))
idle_pid=$pw_pid idle_port=$pw_port
rss0=$(pw_rss "$idle_pid")
python3 - "$idle_port" "$IDLE" "$(cat "$T/token")" <<'PY' >"$T/idle.out" 2>&1 || fail "idle sessions: $(tail -n 3 "$T/idle.out")"
import http.client, os, sys, threading
port, n, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
errors = []
def worker(ids):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for sid in ids:
        body = bytes.fromhex("1293605d278175f5") + os.urandom(8)
        c.request("POST", "/meek/", body, {"X-Session-Id": sid, "X-Meek-Auth": token,
                  "X-Meek-Seq": "0", "X-Meek-Max-Body": "262144",
                  "Content-Type": "application/octet-stream"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            errors.append(r.status)
ids = [os.urandom(16).hex() for _ in range(n)]
ts = [threading.Thread(target=worker, args=(ids[i::50],)) for i in range(50)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if errors:
    sys.exit("%d of %d POSTs failed, e.g. HTTP %d" % (len(errors), n, errors[0]))
print("ok", flush=True)
PY
rss1=$(pw_rss "$idle_pid")
per=$(awk -v a="$rss0" -v b="$rss1" -v n="$IDLE" 'BEGIN { printf "%.1f", (b - a) / n }')

ratio=$(awk -v a="$best_meek" -v b="$best_ceil" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "NOT met" }'; }
echo
echo "meek bench: one $BYTES-byte download, best of $RUNS, loopback, $(nproc) cores," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-60s %10s\n' "" "MB/s"
printf '%-60s %10s\n' "meek (socks-client > meek-client > Caddy > meek-server > egress)" "$best_meek"
printf '%-60s %10s\n' "ceiling (curl > Caddy reverse_proxy > httpd)" "$best_ceil"
printf '%-60s %10s   goal >= 0.5      %s\n' "meek / ceiling" "$ratio" "$(met "$ratio" 0.5)"
printf '%-60s %10s   (no goal)\n' "meek without TLS and Caddy (http:// to meek-server)" "$best_plain"
printf '%-60s %s\n' "CPU s/GB in the best meek run (client = socks-client + meek-client)" ""
printf '%s\n' "$cpu" | tr ' ' '\n' | sed '/^$/d; s/^/    /'
printf '    caddy in the best ceiling run=%s\n' "$ceil_caddy"
printf '%-60s %10s   goal <= 64 KiB   %s\n' "meek-server KiB per idle session ($IDLE)" "$per" \
	"$(awk -v a="$per" 'BEGIN { print (a <= 64) ? "met" : "NOT met" }')"

# Over a long path, ours against Tor's meek_lite: a stack of its own
# (meek_lite sends no token), see bench/meek-rtt.sh.
sh bench/meek-rtt.sh || fail "meek round-trip bench failed"

# meek-client's TLS backends (wolfSSL, --tls firefox) against the same
# ceiling, and the cost of an idle session: see bench/meek-tls.sh.
sh bench/meek-tls.sh || fail "meek TLS bench failed"
