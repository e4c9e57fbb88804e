#!/bin/sh
# SPDX-License-Identifier: MIT
# Interop with pion: a real snowflake-client (Go, pion WebRTC) gets our
# answer through a stand-in broker (t/helpers/rtc-broker.py client; the real
# one is rendezvous) and connects to our answerer: ICE, DTLS (pion wants
# a client certificate and use_srtp), SCTP and the channel it opens
# with DCEP all work if, and only if, the Turbo Tunnel token it writes
# first arrives on our side intact.
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
. "$PW_TOP/t/lib-turn.sh"
command -v snowflake-client >/dev/null 2>&1 || { note "SKIP: snowflake-client not installed"; exit 0; }
rtc_veth
rtc_stun 192.0.2.1

rtc_fifos
pw_start broker 1 python3 "$PW_PY/rtc-broker.py" client 192.0.2.1 "$T/o2a" "$T/a2o"
broker=${pw_ep#tcp:}
rtc_answer --stun 192.0.2.1:3478 --expect 16 --save "$T/got" --timeout 60

mkdir -p "$T/pt"
TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_CLIENT_TRANSPORTS=snowflake TOR_PT_STATE_LOCATION="$T/pt" \
	TOR_PT_EXIT_ON_STDIN_CLOSE=0 \
	pw_start_bg sf snowflake-client -url "http://$broker/" -ice stun:192.0.2.1:3478 -keep-local-addresses -log "$T/sf.log"
python3 "$PW_PY/wait-for.py" --re "$T/sf.out" '^CMETHOD snowflake socks5 ' 10 ||
	fail "snowflake-client: no CMETHOD: $(cat "$T/sf.out")"
socks=$(sed -n 's/^CMETHOD snowflake socks5 //p' "$T/sf.out")
note "snowflake-client $(snowflake-client -version 2>&1 | head -n 1) on $socks, broker $broker"
# A SOCKS CONNECT makes the client dial a snowflake; the connection is
# held open until the test ends.
pw_start_bg socks python3 -c '
import socket, sys, time
h, p = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((h, int(p)))
s.sendall(b"\x05\x01\x00")
s.recv(2)
s.sendall(b"\x05\x01\x00\x01\xc0\x00\x02\x09\x00\x09")
time.sleep(60)' "$socks"

pw_wait "$rtc_ans_pid" 60
[ "$pw_rc" = 0 ] || fail "answerer exit $pw_rc: $(cat "$T/ans.out"; tail -n 20 "$T/sf.log")"
cat "$T/ans.out"
token=$(head -c 8 "$T/got" | od -An -tx1 | tr -d ' \n')
[ "$token" = 1293605d278175f5 ] || fail "first bytes from snowflake-client: $token"
note "Turbo Tunnel token received from pion; $(wc -c <"$T/got") bytes in all"
grep -q '^open ' "$T/ans.out" || fail "no channel"
grep -q Sanitizer "$T/ans.err" && fail "sanitizer report"
exit 0
