#!/bin/sh
# SPDX-License-Identifier: MIT
# socks-client (--per-connection: microsocks speaks no Turbo Tunnel) with
# microsocks as the far end: a SOCKS5 server no one here
# wrote. The carrier is a plain tcp: connection to it.
. "$PW_TOP/t/lib.sh"

command -v microsocks >/dev/null || fail "microsocks not installed (scripts/install-deps)"
pw_httpd 50000000
pw_start_bg micro microsocks -i 127.0.0.1 -p 0
micro_pid=$pw_pid
micro_port=$(pw_listen_port "$micro_pid") || fail "microsocks is not listening"
pw_start client 1 "$PW_BIN/socks-client" --per-connection -l tcp:127.0.0.1:0 \
	-C "tcp:127.0.0.1:$micro_port"
client_port=$pw_port
url="http://127.0.0.1:$httpd_port"

pw_fetch via-microsocks big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
pw_fetch via-microsocks-name 1k.bin --socks5-hostname "127.0.0.1:$client_port" \
	"http://localhost:$httpd_port/1k.bin"
pw_fetch via-microsocks-http big.bin -p -x "http://127.0.0.1:$client_port" "$url/big.bin"

# A refusal by microsocks reaches the application: nothing listens on the
# egress-less port we just freed.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
curl -sS --max-time 20 -o /dev/null --socks5-hostname "127.0.0.1:$client_port" \
	"http://127.0.0.1:$dead/" 2>"$T/dead.cerr"
rc=$?
[ "$rc" -eq 97 ] || fail "closed port via microsocks: curl exit $rc, want 97: $(cat "$T/dead.cerr")"
note "closed port via microsocks: reply $(pw_socks_code "$T/dead.cerr")"
pw_connect_status closed-port-http 502 "$client_port" "http://127.0.0.1:$dead/"
pw_stop client
