#!/bin/sh
# SPDX-License-Identifier: MIT
# Attack test for the egress's ws listener: upgrade requests dripped one
# byte at a time and upgraded WebSockets that never speak are closed by
# the handshake timeout (plus WS_CLOSE_WAIT for the Close we send); a
# garbage request gets 400; a frame announcing 8 GiB gets Close 1009 at
# once; an unmasked client frame gets Close 1002; a ping flood whose
# pongs are never read is closed with the egress's RSS flat; a flood of
# sockets from one source is held to --max-per-source and the descriptors
# return to their baseline, while a legitimate client is served
# throughout.
. "$PW_TOP/t/lib.sh"

pw_httpd 1000000
H=$httpd_port
pw_start egress 2 pw_egress -l ws://127.0.0.1:0/ --handshake-timeout 2 --max-per-source 50 \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$H"
egress_pid=$pw_pid
ws=$pw_ep
hp=${ws#ws://}
hp=${hp%/}
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$ws"
client_port=$pw_port

nfd() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}
fetch() {
	pw_fetch "$1" big.bin --max-time 10 --socks5-hostname "127.0.0.1:$client_port" \
		"http://127.0.0.1:$H/big.bin"
}
attack_done() {
	_p="" _c=""
	eval "_p=\$_pw_pid_$1 _c=\$_pw_cat_$1"
	pw_wait "$_p" "$2"
	[ "$pw_rc" = 0 ] || fail "$1: rc=$pw_rc"
	pw_wait "$_c" 5
}
fetch warm
base=$(nfd "$egress_pid")
rss0=$(pw_rss "$egress_pid")

# 1. Slow upgrades and silent WebSockets (from 127.0.0.2: the client's source stays free).
pw_start slow 1 python3 "$PW_PY/ws-attack.py" -s 127.0.0.2 -w 15 slow "$hp" 40
pw_start silent 1 python3 "$PW_PY/ws-attack.py" -s 127.0.0.3 -w 15 upgraded "$hp" 40
[ "$pw_ep" = 40 ] || fail "silent: $pw_ep of 40 upgraded"
fetch during-slow
attack_done slow 20
attack_done silent 20
line=$(grep '^closed' "$T/slow.out")
note "slow upgrade: $line"
# 2 s after accept; margin for a loaded machine.
echo "$line" | awk '{ exit !($2 == 40 && $6 <= 4.5) }' || fail "slow: $line"
line=$(grep '^closed' "$T/silent.out")
note "silent WebSockets: $line"
# 2 s of handshake time, then 5 s waiting for our Close to be answered.
echo "$line" | awk '{ exit !($2 == 40 && $6 <= 9.5) }' || fail "silent: $line"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="handshake_timeout"}')
[ "$n" -ge 80 ] || fail "handshake_timeout counted $n, want >= 80"

# 2. Malformed input.
r=$(python3 "$PW_PY/ws-attack.py" garbage "$hp")
[ "$r" = "status=400 eof=1" ] || fail "garbage: $r"
r=$(python3 "$PW_PY/ws-attack.py" bigframe "$hp")
[ "$r" = "close=1009 eof=1" ] || fail "8 GiB frame: $r"
r=$(python3 "$PW_PY/ws-attack.py" unmasked "$hp")
[ "$r" = "close=1002 eof=1" ] || fail "unmasked frame: $r"
note "garbage 400, 8 GiB frame 1009, unmasked frame 1002"

# 3. A ping flood, pongs never read: closed, RSS flat.
r=$(python3 "$PW_PY/ws-attack.py" -w 20 pingflood "$hp")
note "ping flood: $r"
case $r in *eof=1) ;; *) fail "ping flood not closed: $r" ;; esac
rss1=$(pw_rss "$egress_pid")
note "egress RSS ${rss0} kB before, ${rss1} kB after the ping flood"
[ "$rss1" -le $((rss0 + 16384)) ] || fail "RSS grew from $rss0 to $rss1 kB"

# 4. 300 sockets from one source: 50 held, the rest refused; descriptors bounded.
pw_start flood 1 python3 "$PW_PY/ws-attack.py" -s 127.0.0.4 -w 12 upgraded "$hp" 300
held=$pw_ep
note "flood: $held of 300 upgraded"
[ "$held" -le 50 ] || fail "$held WebSockets from one source, --max-per-source 50"
fds=$(nfd "$egress_pid")
note "egress descriptors: $base before, $fds with the flood held"
[ "$fds" -le $((base + 50 * 3 + 5)) ] || fail "descriptors $fds, bound $((base + 155))"
fetch during-flood
attack_done flood 20
grep -q "^closed $held of $held" "$T/flood.out" || fail "flood: $(cat "$T/flood.out")"
now=$(nfd "$egress_pid")
[ "$now" -eq "$base" ] || fail "egress descriptors: $now after the attacks, $base before"
n=$(pw_metric "$T/admin.sock" 'egress_refused_total{reason="max_per_source"}')
note "refused per source: $n"
[ "$n" -ge 250 ] || fail "per-source refusals $n, want >= 250"
fetch after
pw_stop client
pw_stop egress
