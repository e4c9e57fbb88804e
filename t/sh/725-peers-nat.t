#!/bin/sh
# SPDX-License-Identifier: MIT
# peer-client and peer-proxy through NAT: each in a namespace of its own
# behind a router namespace that masquerades (nftables, unsolicited
# inbound dropped) onto a "public" segment, where coturn answers STUN and
# our rendezvous and a WebSocket echo relay listen. The two hosts'
# addresses do not route to each other, so the channel must use what
# coturn taught them (server-reflexive candidates, or the peer-reflexive
# ones the checks find); 1 MB echoed through the volunteer comes back
# exact. Topology as 704:
#
#   client 192.0.2.2 -- RA (masq) 198.51.100.2 -- [test ns: coturn, broker,
#   proxy 192.0.2.130 -- RB (masq) 203.0.113.2 --  relay on 198.51.100.1]
. "$PW_TOP/t/lib-rtc.sh"
rtc_netns
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rtc.sh"
. "$PW_TOP/t/lib-turn.sh"
rtc_nat

rtc_stun 198.51.100.1
pw_start ws 1 python3 "$PW_PY/ws-echo.py" 198.51.100.1
relay="ws://${pw_ep#tcp:}/"
pw_start rdv 1 "$PW_BIN/rendezvous" -q -l tcp:198.51.100.1:0 --relay "$relay" --client-wait 10
broker="http://198.51.100.1:$pw_port/"
pw_start_bg proxy ip netns exec "$NB" "$PW_BIN/peer-proxy" -v --broker "$broker" --relay "$relay" \
	--stun stun:198.51.100.1:3478 --nat unrestricted --capacity 1
python3 "$PW_PY/wait-for.py" "$T/proxy.err" "polling" 10 || fail "peer-proxy: $(cat "$T/proxy.err")"
ip netns exec "$NA" python3 "$PW_PY/peer-echo.py" 1000000 60 "$PW_BIN/peer-client" -v --broker "$broker" \
	--stun stun:198.51.100.1:3478 >"$T/echo.res" 2>"$T/echo.err"
grep -q "^match yes" "$T/echo.res" || fail "echo: $(cat "$T/echo.res" "$T/echo.err"; tail -n 5 "$T/proxy.err")"
path=$(sed -n 's/^peer-client: channel [^ ]* open after [0-9]* ms: //p' "$T/echo.err")
note "peer-client's path: $path"
case $path in
"ice srflx 198.51.100.2:"*" -> "*"203.0.113.2:"* | "ice prflx 198.51.100.2:"*" -> "*"203.0.113.2:"* | \
	"ice host 192.0.2.2:"*" -> "*"203.0.113.2:"*) ;;
*) fail "the nominated pair does not cross the NATs: $path" ;;
esac
# The first public address among the offer's candidates, as
# snowflake-proxy takes it (TEST-NET-1 counts as public to both).
grep -Eq "client_ip (192\.0\.2\.2|198\.51\.100\.2)\$" "$T/ws.out" ||
	fail "the relay was not told the client's address: $(cat "$T/ws.out")"
note "relay saw $(grep client_ip "$T/ws.out")"
grep -q Sanitizer "$T/echo.err" "$T/proxy.err" && fail "sanitizer report"
exit 0
