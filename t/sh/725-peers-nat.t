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
command -v nft >/dev/null 2>&1 || { note "SKIP: nft not installed"; exit 0; }

NA=pwrtcA$$ NRA=pwrtcRA$$ NB=pwrtcB$$ NRB=pwrtcRB$$
# Namespaces first, then pw_cleanup with the test's own status.
# shellcheck disable=SC2317 # run by the EXIT trap
rtc_nat_exit() {
	_rst=$?
	for _n in "$NA" "$NRA" "$NB" "$NRB"; do
		ip netns del "$_n" 2>/dev/null
	done
	(exit "$_rst")
	pw_cleanup
}
trap rtc_nat_exit EXIT
for n in "$NA" "$NRA" "$NB" "$NRB"; do
	ip netns add "$n" || fail "ip netns add $n"
	ip -n "$n" link set lo up || fail "lo in $n"
done
# This namespace is the test's own (rtc_netns): forwarding here and in
# the routers changes nothing of the host's.
[ -n "${PW_RTC_NETNS:-}" ] || fail "not in a namespace of our own"
echo 1 >/proc/sys/net/ipv4/ip_forward || fail "ip_forward"
ip link set lo up
# addr NS IF ADDR: ADDR on IF, up ("-": this namespace).
addr() {
	if [ "$1" = - ]; then
		ip addr add "$3" dev "$2" || fail "addr $2"
		ip link set "$2" up || fail "up $2"
	else
		ip -n "$1" addr add "$3" dev "$2" || fail "addr $2"
		ip -n "$1" link set "$2" up || fail "up $2"
	fi
}
# link NS_LEFT IF_LEFT ADDR_LEFT NS_RIGHT IF_RIGHT ADDR_RIGHT
link() {
	ip link add "$2" type veth peer name "$5" || fail "veth $2"
	[ "$1" = - ] || ip link set "$2" netns "$1" || fail "move $2"
	[ "$4" = - ] || ip link set "$5" netns "$4" || fail "move $5"
	addr "$1" "$2" "$3"
	addr "$4" "$5" "$6"
}
link - pa0 198.51.100.1/24 "$NRA" pa1 198.51.100.2/24
link - pb0 203.0.113.1/24 "$NRB" pb1 203.0.113.2/24
link "$NRA" la0 192.0.2.1/25 "$NA" la1 192.0.2.2/25
link "$NRB" lb0 192.0.2.129/25 "$NB" lb1 192.0.2.130/25
ip -n "$NRA" route add default via 198.51.100.1 || fail "route RA"
ip -n "$NRB" route add default via 203.0.113.1 || fail "route RB"
ip -n "$NA" route add default via 192.0.2.1 || fail "route A"
ip -n "$NB" route add default via 192.0.2.129 || fail "route B"
# A home router's NAT: outgoing flows masqueraded, unsolicited inbound
# packets dropped before conntrack confirms an entry for them (such an
# entry would make the router remap the peer's own later flow to another
# port, and no hole could be punched).
for r in "$NRA:pa1" "$NRB:pb1"; do
	ip netns exec "${r%%:*}" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' || fail "forward ${r%%:*}"
	ip netns exec "${r%%:*}" nft -f - <<NFT || fail "nft ${r%%:*}"
table ip pwnat {
	chain pre {
		type filter hook prerouting priority -150;
		iifname "${r##*:}" ct state new drop
	}
	chain post {
		type nat hook postrouting priority 100;
		oifname "${r##*:}" masquerade
	}
}
NFT
done

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
