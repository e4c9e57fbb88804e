#!/bin/sh
# SPDX-License-Identifier: MIT
# A slow consumer over a WebSocket carrier: 200 MB pushed by the web
# server through egress -> ws:// -> socks-client, read by a client that
# stalls 3 s and then reads at 60 MB/s. The RSS of both programs stays
# flat (the session's memory cap plus allocator slack, as in 080: growth
# under 64 MB whatever is pushed, ASan included): the WebSocket bridges
# hold at most 64 KiB each way and read nothing more meanwhile. Then SIGTERM to both
# under traffic: each exits 0 (no sanitizer report under ASan).
. "$PW_TOP/t/lib.sh"

N=200000000
LIMIT_KB=65536
pw_httpd 1000
H=$httpd_port
pw_start egress 1 pw_egress -l ws://127.0.0.1:0/ --allow "127.0.0.1:$H" --drain-timeout 2
egress_pid=$pw_pid
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$pw_ep" --drain-timeout 2
client_pid=$pw_pid client_port=$pw_port
want=$(head -c "$N" /dev/zero | sha256sum | cut -d' ' -f1)
pw_fetch warm 1k.bin --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$H/1k.bin"

b_eg=$(pw_rss "$egress_pid")
b_cl=$(pw_rss "$client_pid")
out=$(python3 "$PW_PY/get.py" --stall 3 --rate 60 --rss "$egress_pid,$client_pid" \
	"127.0.0.1:$client_port" 127.0.0.1 "$H" "zero/$N") || fail "slow: $out"
case $out in
*"total=$N sha256=$want"*) ;;
*) fail "slow: wrong body: $out" ;;
esac
for x in "$egress_pid:$b_eg" "$client_pid:$b_cl"; do
	p=${x%%:*} b=${x#*:}
	m=$(printf '%s\n' "$out" | awk -v p="$p" '$1 == "rss" && $2 == p { print $4 }')
	note "pid $p VmRSS $b kB before, peak $m kB"
	[ $((m - b)) -lt "$LIMIT_KB" ] || fail "pid $p RSS grew by $((m - b)) kB (limit $LIMIT_KB)"
done

# SIGTERM under traffic.
python3 "$PW_PY/get.py" --rate 20 --mark 5000000 "127.0.0.1:$client_port" 127.0.0.1 "$H" "zero/$N" \
	>"$T/bg.out" 2>&1 &
bg=$!
pw_track "$bg"
python3 "$PW_PY/wait-for.py" "$T/bg.out" mark 30 || fail "the transfer did not start: $(cat "$T/bg.out")"
pw_stop client 10
pw_stop egress 10
pw_wait "$bg" 10
note "SIGTERM mid-transfer: both exited 0"
