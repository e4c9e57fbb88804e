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
rtc_nat

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
