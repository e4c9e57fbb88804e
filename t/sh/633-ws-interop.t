#!/bin/sh
# SPDX-License-Identifier: MIT
# WebSocket interop with an independent implementation (Debian's
# python3-websockets, t/helpers/ws-pipe.py), which pings every 0.5 s and
# drops a peer whose pong is 2 s late, and fragments every other message:
# its client as a command carrier to the egress's ws:// listener, and
# socks-client's ws:// carrier to its server (relaying to the egress's
# tcp: listener). Each carries a secure session's sha256-exact download.
. "$PW_TOP/t/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import websockets' 2>/dev/null || fail "python3-websockets is not installed (scripts/install-deps)"
pw_httpd 5000000
H=$httpd_port
pw_start egress 2 pw_egress -l ws://127.0.0.1:0/ -l tcp:127.0.0.1:0 --allow "127.0.0.1:$H"
ws=$pw_ep
tcp=$pw_ep2

# 1. Their client, our server.
pw_start theirs 1 pw_socks_client -l tcp:127.0.0.1:0 -C "exec $PY '$PW_PY/ws-pipe.py' client '${ws}interop'"
pw_fetch their-client big.bin --max-time 60 --socks5-hostname "127.0.0.1:$pw_port" \
	"http://127.0.0.1:$H/big.bin"

# 2. Our client, their server. The pings must be answered for seconds.
pw_start wsserver 1 "$PY" "$PW_PY/ws-pipe.py" server "${tcp#tcp:}"
pw_start ours 1 pw_socks_client -v -l tcp:127.0.0.1:0 -C "$pw_ep"
ours_port=$pw_port
pw_fetch their-server big.bin --max-time 60 --socks5-hostname "127.0.0.1:$ours_port" \
	"http://127.0.0.1:$H/big.bin"
"$PY" -c 'import time; time.sleep(3)'
pw_fetch their-server-later 1k.bin --max-time 20 --socks5-hostname "127.0.0.1:$ours_port" \
	"http://127.0.0.1:$H/1k.bin"
! grep -q "carrier ws://" "$T/ours.err" || fail "the carrier to their server ended: $(tail -n 3 "$T/ours.err")"
note "3 s of their pings answered: the carrier stayed up"

pw_stop ours
pw_stop theirs
pw_stop egress
