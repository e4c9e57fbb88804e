#!/bin/sh
# SPDX-License-Identifier: MIT
# ICE through NAT: each peer in a namespace of its own behind a router
# namespace that masquerades (nftables) onto a "public" segment, where
# coturn answers STUN. The peers' host addresses do not route to each
# other, so the pair ICE nominates must use the server-reflexive
# candidates learnt from coturn (or the peer-reflexive ones the checks
# discover); 4 MiB go across sha256-exact.
#
#   A 192.0.2.2 -- RA (masq) 198.51.100.2 -- [test ns: coturn 198.51.100.1,
#   B 192.0.2.130 -- RB (masq) 203.0.113.2 --  203.0.113.1, forwarding]
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

N=4194304
head -c "$N" /dev/urandom >"$T/a" || fail "urandom"
rtc_fifos
pw_start_bg off ip netns exec "$NA" "$RTC_PEER" --offer --in "$T/a2o" --out "$T/o2a" \
	--stun 198.51.100.1:3478 --send "$T/a" --timeout 60
off_pid=$pw_pid
pw_start_bg ans ip netns exec "$NB" "$RTC_PEER" --answer --in "$T/o2a" --out "$T/a2o" \
	--stun 198.51.100.1:3478 --expect "$N" --save "$T/a.got" --timeout 60
ans_pid=$pw_pid
pw_wait "$off_pid" 90
[ "$pw_rc" = 0 ] || fail "offerer exit $pw_rc: $(cat "$T/off.out")"
pw_wait "$ans_pid" 30
[ "$pw_rc" = 0 ] || fail "answerer exit $pw_rc: $(cat "$T/ans.out")"
cat "$T/off.out" "$T/ans.out"
[ "$(pw_sha "$T/a")" = "$(pw_sha "$T/a.got")" ] || fail "data differs"
path=$(sed -n 's/^path //p' "$T/off.out")
note "offerer's path: $path"
case $path in
"ice srflx 198.51.100.2:"*" -> "*"203.0.113.2:"* | "ice prflx 198.51.100.2:"*" -> "*"203.0.113.2:"* | \
	"ice host 192.0.2.2:"*" -> "*"203.0.113.2:"*) ;;
*) fail "the nominated pair does not cross the NATs: $path" ;;
esac
grep -q Sanitizer "$T/off.err" "$T/ans.err" && fail "sanitizer report"
exit 0
