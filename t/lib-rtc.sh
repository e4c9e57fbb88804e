# SPDX-License-Identifier: MIT
# t/lib-rtc.sh — sourced by the WebRTC tests (t/sh/70x), BEFORE t/lib.sh:
#
#   rtc_netns                 re-run this test in a network namespace of its
#                             own (unshare -n; skipped without root), so
#                             addresses and interfaces are the test's alone.
# and after t/lib.sh:
#   rtc_veth                  lo up, a veth pair rtc0/rtc1 with 192.0.2.1/24
#                             and 192.0.2.2/24 (TEST-NET-1): libnice gathers
#                             no candidate on lo alone.
#   rtc_fifos                 the two FIFOs $T/o2a and $T/a2o the peers
#                             exchange their offer and answer through.
#   rtc_offer ARG… / rtc_answer ARG…   rtc-peer as offerer ("off") or
#                             answerer ("ans") on those FIFOs; pids in
#                             rtc_off_pid / rtc_ans_pid, stdout in
#                             $T/off.out and $T/ans.out.
#   rtc_wait_open SECONDS     both peers said "open".
#   rtc_ms                    milliseconds since the epoch.
#   rtc_nat                   the NAT topology of 704 and 725 (below).
#   rtc_stun IP               coturn as a plain STUN server on IP:3478 (this
#                             namespace is the test's: a fixed port clashes
#                             with nobody); needs t/lib-turn.sh.
# shellcheck disable=SC2034
RTC_PEER=$PW_HELPERS/rtc-peer

rtc_netns() {
	[ -n "${PW_RTC_NETNS:-}" ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
		printf '# SKIP: a network namespace needs root\n'
		exit 0
	fi
	PW_RTC_NETNS=1 exec unshare -n sh "$0"
}

rtc_veth() {
	if ! { ip link set lo up &&
		ip link add rtc0 type veth peer name rtc1 &&
		ip addr add 192.0.2.1/24 dev rtc0 &&
		ip addr add 192.0.2.2/24 dev rtc1 &&
		ip link set rtc0 up &&
		ip link set rtc1 up; }; then
		fail "veth setup"
	fi
}

rtc_fifos() {
	rm -f "$T/o2a" "$T/a2o"
	mkfifo "$T/o2a" "$T/a2o" || fail "mkfifo"
}

rtc_offer() {
	pw_start_bg off "$RTC_PEER" --offer --in "$T/a2o" --out "$T/o2a" "$@"
	# shellcheck disable=SC2154 # pw_pid comes from t/lib.sh
	rtc_off_pid=$pw_pid
}

rtc_answer() {
	pw_start_bg ans "$RTC_PEER" --answer --in "$T/o2a" --out "$T/a2o" "$@"
	# shellcheck disable=SC2154 # pw_pid comes from t/lib.sh
	rtc_ans_pid=$pw_pid
}

rtc_wait_open() {
	python3 "$PW_PY/wait-for.py" --re "$T/off.out" '^open ' "$1" || fail "offerer never opened"
	python3 "$PW_PY/wait-for.py" --re "$T/ans.out" '^open ' "$1" || fail "answerer never opened"
}

rtc_ms() {
	echo $(($(date +%s%N) / 1000000))
}

rtc_stun() {
	rm -f "$T/turn.fifo"
	mkfifo "$T/turn.fifo" || fail "mkfifo"
	turnserver -n -v --log-file stdout --simple-log --no-cli --no-dtls --no-tls --stun-only \
		--listening-ip "$1" --listening-port 3478 --pidfile "$T/turn.pid" >"$T/turn.fifo" 2>&1 &
	pw_track "$!"
	exec 4<"$T/turn.fifo"
	# shellcheck disable=SC2154 # TURN_READ_LOG comes from t/lib-turn.sh
	timeout "$PW_READY_TIMEOUT" sh -c "$TURN_READ_LOG" sh "$T/turn.log" 1 - <&4 ||
		fail "coturn did not start: $(tail -n 5 "$T/turn.log")"
	cat <&4 >>"$T/turn.log" &
	pw_track "$!"
	exec 4<&-
}

# rtc_nat: the NAT topology of 704 and 725 (skips the test without nft).
# Namespaces $NA and $NB each behind a router, $NRA and $NRB, that
# masquerades onto a "public" segment in this namespace:
#   A 192.0.2.2 -- RA (masq) 198.51.100.2 -- [this ns: 198.51.100.1,
#   B 192.0.2.130 -- RB (masq) 203.0.113.2 --  203.0.113.1, forwarding]
# An EXIT trap deletes the namespaces, then runs pw_cleanup.
rtc_nat() {
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
}
