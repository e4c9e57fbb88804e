#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/rendezvous.sh — rendezvous on loopback, one process, driven by
# t/helpers/rdv-load (C, epoll) over Snowflake's wire:
#   matches/s   PW_BENCH_RDV_PROXIES (64) proxies poll, answer and poll
#               again while as many clients post offers back to back, for
#               PW_BENCH_RDV_SECONDS (5); best of PW_BENCH_RUNS (3); with
#               the client latency (POST /client to answer) at p50 and p99;
#   latency     one proxy and one client: POST /client to answer when a
#               proxy is waiting;
#   memory      per held proxy poll and per waiting client
#               (PW_BENCH_RDV_HOLD, 5000 each): RSS growth and the broker's
#               own budget, divided by the count.
#   two processes with redis-server (--redis): proxies poll process B,
#               clients post to process A, so every match crosses redis.
# Goal: >= 5,000 matches/s on one core, <= 4 KiB per waiting proxy.
cd "$(dirname "$0")/.." || exit 101
PW_TOP=$PWD
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

RUNS=${PW_BENCH_RUNS:-3}
NP=${PW_BENCH_RDV_PROXIES:-64}
SECS=${PW_BENCH_RDV_SECONDS:-5}
HOLD=${PW_BENCH_RDV_HOLD:-5000}
LOAD=$PW_HELPERS/rdv-load
[ -x "$LOAD" ] || fail "no $LOAD (make)"

rdv() {
	pw_start rdv 1 "$PW_BIN/rendezvous" -q -l tcp:127.0.0.1:0 --relay wss://snowflake.torproject.net/ \
		--max-conns-per-addr 100000 --poll-rate 1000000 --poll-burst 1000000 --max-proxies 100000 \
		--max-clients 100000 --proxy-timeout 60 --client-timeout 60 --read-timeout 60 \
		--admin "unix:$T/admin.sock" "$@"
	rdv_port=$pw_port rdv_pid=$pw_pid
}

best=0
best_line=""
r=0
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	rdv
	line=$("$LOAD" match "$rdv_port" "$NP" "$NP" "$SECS") || fail "rdv-load match failed"
	pw_stop rdv
	rate=$(printf '%s\n' "$line" | sed 's/.*rate=\([0-9]*\).*/\1/')
	[ "$rate" -gt "$best" ] && best=$rate best_line=$line
done
echo "rendezvous matches/s (one process, $NP proxies + $NP clients): $best_line"

rdv
line=$("$LOAD" match "$rdv_port" 1 1 "$SECS") || fail "rdv-load latency failed"
pw_stop rdv
echo "rendezvous one proxy waiting, one client: $line"

# hold KIND [rendezvous args]: memory per held connection of that kind.
hold() {
	_kind=$1
	shift
	rdv "$@"
	_rss0=$(pw_rss "$rdv_pid")
	mkfifo "$T/hold.ctl"
	"$LOAD" hold "$rdv_port" "$_kind" "$HOLD" <"$T/hold.ctl" >"$T/hold.out" &
	_hp=$!
	pw_track "$_hp"
	exec 8>"$T/hold.ctl"
	_i=0
	_want=rendezvous_proxies_waiting
	[ "$_kind" = client ] && _want=rendezvous_clients_waiting
	while [ "$(rdv_metric "$T/admin.sock" "$_want")" -lt "$HOLD" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 300 ] || fail "hold $_kind: not all $HOLD held"
		python3 -c 'import time; time.sleep(0.1)'
	done
	_rss1=$(pw_rss "$rdv_pid")
	_mem=$(rdv_metric "$T/admin.sock" rendezvous_memory_bytes)
	echo "rendezvous per waiting $_kind: RSS $(((_rss1 - _rss0) * 1024 / HOLD)) B, budget $((_mem / HOLD)) B ($HOLD held)"
	exec 8>&-
	pw_wait "$_hp" 30
	rm -f "$T/hold.ctl"
	pw_stop rdv
}
hold proxy
hold client --client-wait 60

if command -v redis-server >/dev/null; then
	pw_start_bg redis redis-server --port 0 --unixsocket "$T/redis.sock" --save "" --appendonly no --dir "$T"
	i=0
	while [ ! -S "$T/redis.sock" ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "redis-server did not open its socket"
		python3 -c 'import time; time.sleep(0.1)'
	done
	rdv --redis "unix:$T/redis.sock"
	pa=$rdv_port
	pw_start rdvb 1 "$PW_BIN/rendezvous" -q -l tcp:127.0.0.1:0 --relay wss://snowflake.torproject.net/ \
		--max-conns-per-addr 100000 --poll-rate 1000000 --poll-burst 1000000 --max-proxies 100000 \
		--proxy-timeout 60 --client-timeout 60 --redis "unix:$T/redis.sock" --admin "unix:$T/admin-b.sock"
	pb=$pw_port
	i=0
	while [ "$(rdv_metric "$T/admin.sock" rendezvous_redis_up)" != 1 ] ||
		[ "$(rdv_metric "$T/admin-b.sock" rendezvous_redis_up)" != 1 ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || fail "redis not up"
		python3 -c 'import time; time.sleep(0.1)'
	done
	line=$("$LOAD" match "$pb,$pa" "$NP" "$NP" "$SECS") || fail "rdv-load with redis failed"
	echo "rendezvous two processes through redis (every match crosses): $line"
	pw_stop rdv
	pw_stop rdvb
else
	echo "rendezvous two processes through redis: skipped (no redis-server)"
fi
echo "rendezvous goal: >= 5000 matches/s (got $best), <= 4096 B per waiting proxy"
