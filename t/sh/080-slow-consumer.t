#!/bin/sh
# SPDX-License-Identifier: MIT
# A slow consumer: 200 MB pushed by the web server, read by a client that
# first stalls and then reads at a limited rate. The RSS of egress (and of
# socks-client on the two-hop path) must stay flat: bounded, whatever is
# pushed. On the two-hop path one session may hold, by design, what its
# memory cap allows (TUNNEL_MEM_DEFAULT, 24 MiB: KCP segments and a smux
# window that grows to 12 MiB when data arrived fast before the stall, as
# it does on a loaded machine), plus what the allocator keeps: growth
# under 64 MB, independent of the 200 MB pushed (holding what is pushed
# would not be). Measured: 12 MB, 26 MB under ASan, whose redzones make
# the same 24 MiB cost more (32 MB left ASan a fifth).
. "$PW_TOP/t/lib.sh"

N=200000000
LIMIT_KB=65536
pw_tunnel 1000
want=$(head -c "$N" /dev/zero | sha256sum | cut -d' ' -f1)

# Warm up both programs so the baseline includes their steady state.
pw_fetch warm-egress 1k.bin --socks5 "127.0.0.1:$egress_port" "http://127.0.0.1:$httpd_port/1k.bin"
pw_fetch warm-client 1k.bin --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$httpd_port/1k.bin"

# slow LABEL PROXY-PORT PID…: one slow download through 127.0.0.1:PROXY-PORT
# while sampling the RSS of the PIDs.
slow() {
	_l=$1
	_p=$2
	shift 2
	_pids=$(echo "$@" | tr ' ' ',')
	_bases=""
	for _x in "$@"; do
		_bases="$_bases $_x:$(pw_rss "$_x")"
	done
	out=$(python3 "$PW_PY/get.py" --stall 3 --rate 60 --rss "$_pids" \
		"127.0.0.1:$_p" 127.0.0.1 "$httpd_port" "zero/$N") || fail "$_l: $out"
	case $out in
	*"total=$N sha256=$want"*) ;;
	*) fail "$_l: wrong body: $out" ;;
	esac
	for _x in "$@"; do
		_b=$(echo "$_bases" | tr ' ' '\n' | sed -n "s/^$_x://p")
		_m=$(printf '%s\n' "$out" | awk -v p="$_x" '$1 == "rss" && $2 == p { print $4 }')
		note "$_l: pid $_x VmRSS ${_b} kB before, peak ${_m} kB"
		[ $((_m - _b)) -lt "$LIMIT_KB" ] ||
			fail "$_l: pid $_x RSS grew by $((_m - _b)) kB (limit $LIMIT_KB) while a slow consumer read $N bytes"
	done
}

slow direct "$egress_port" "$egress_pid"
slow two-hop "$client_port" "$egress_pid" "$client_pid"
pw_stop client
pw_stop egress
