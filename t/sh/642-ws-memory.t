#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test: the egress's WebSockets are charged to --max-memory.
# 480 WebSockets from eight sources (60 each, under --max-per-source)
# push pings and never read the pongs. Each is charged what it holds (the
# bridge's WS_MEM_BASE and buffers, the carrier it feeds: some 80 kB in
# all), so the budget fills and further WebSockets are refused for memory
# (counted as max_memory) instead of the process growing by some 75 kB
# resident for each of the 480: egress_memory_bytes never passes the
# budget, VmHWM grows by a bounded amount, a legitimate download over a
# WebSocket carrier completes during the attack, and once the attackers
# are gone the budget is given back. (Measured: 64 of 480 admitted, VmHWM
# up 1 MB, 9 MB under ASan; before the charge, all 480 and 35 MB.)
. "$PW_TOP/t/lib.sh"

BUDGET=$((6 << 20))
WS_COST=75000 # at least: WS_MEM_BASE and the carrier's output buffer
NSRC=8
NWS=60
LIMIT_KB=$((24 * 1024)) # ~75 kB a WebSocket held (bridge, carrier): 480 of them grow it by 35 MB
pw_httpd 2000000
H=$httpd_port
pw_start egress 1 pw_egress -l ws://127.0.0.1:0/ --max-memory "$BUDGET" --handshake-timeout 60 \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid
ws=$pw_ep
hp=${ws#ws://}
hp=${hp%/}
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$ws"
client_port=$pw_port
fetch() {
	pw_fetch "$1" big.bin --max-time 60 --socks5-hostname "127.0.0.1:$client_port" \
		"http://127.0.0.1:$H/big.bin"
}
metric() {
	pw_metric "$T/admin.sock" "$1"
}
hwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}
fetch warm
base=$(hwm "$egress_pid")
mem0=$(metric egress_memory_bytes)
note "before: egress VmHWM $base kB, memory $mem0 bytes"

# Upgrading 60 sockets and writing their pings takes a while on a loaded machine.
PW_READY_TIMEOUT=60
up=0
i=2
while [ "$i" -lt $((NSRC + 2)) ]; do
	pw_start "stall$i" 1 python3 "$PW_PY/ws-attack.py" -s "127.0.0.$i" -w 20 -p 200 \
		pingstall "$hp" "$NWS"
	up=$((up + pw_ep))
	i=$((i + 1))
done
held=$(metric egress_memory_bytes)
peak=$(metric egress_memory_peak_bytes)
nws=$(metric egress_websockets)
refused=$(metric 'egress_refused_total{reason="max_memory"}')
hw=$(hwm "$egress_pid")
note "attack: $up of $((NSRC * NWS)) WebSockets upgraded, $nws held, $refused refused for memory"
note "memory $held bytes held (peak $peak, budget $BUDGET); VmHWM $base -> $hw kB"
[ "$peak" -le "$BUDGET" ] || fail "memory peaked at $peak bytes, over the budget of $BUDGET"
[ "$refused" -gt 0 ] || fail "no WebSocket refused for memory: the attack never reached the budget"
[ "$up" -lt $((NSRC * NWS)) ] || fail "all $up WebSockets upgraded under a $BUDGET-byte budget"
# Every WebSocket held (the client's too) is charged.
[ "$held" -ge $((nws * WS_COST)) ] || fail "$nws WebSockets charged only $held bytes"
[ $((hw - base)) -lt "$LIMIT_KB" ] || fail "the attack grew the egress by $((hw - base)) kB (limit $LIMIT_KB)"
fetch during

i=2
while [ "$i" -lt $((NSRC + 2)) ]; do
	p=""
	eval "p=\$_pw_pid_stall$i"
	pw_wait "$p" 60
	[ "$pw_rc" = 0 ] || fail "stall$i: rc=$pw_rc"
	i=$((i + 1))
done
# The attackers are gone: their WebSockets end and give their charge back.
n=0
while [ "$(metric egress_websockets)" -gt 1 ] && [ "$n" -lt 200 ]; do
	python3 -c 'import time; time.sleep(0.1)' # polling a metric, not waiting for an event
	n=$((n + 1))
done
nws=$(metric egress_websockets)
held=$(metric egress_memory_bytes)
note "after: $nws WebSocket(s), memory $held bytes"
[ "$nws" -eq 1 ] || fail "$nws WebSockets left after the attackers closed theirs"
[ "$held" -le $((mem0 + (1 << 20))) ] || fail "memory $held bytes after the attack, $mem0 before"
fetch after
pw_stop client
pw_stop egress
