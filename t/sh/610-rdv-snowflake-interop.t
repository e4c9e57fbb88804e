#!/bin/sh
# SPDX-License-Identifier: MIT
# rendezvous with the real Snowflake programs (Debian's 2.5.1 builds), in a
# network namespace of its own: lo up, a veth pair with 192.0.2.1 so ICE
# has a host candidate that is not loopback, coturn as STUN on 127.0.0.1
# and 127.0.0.2 (RFC 5780, so the client's NAT check says
# "unrestricted"). A real snowflake-proxy polls our broker; a real
# snowflake-client, run as Tor runs it (TOR_PT_* environment), posts its
# offer to our broker; the proxy relays to the relay URL the broker handed
# it: our egress's ws listener (its ready line pasted into --relay), trusted
# for ?client_ip=, whose per-listener upstream= is the test web server
# (tor's ORPort in a real deployment); a file fetched through the client's
# SOCKS port must arrive byte for byte. Then the proxy
# is killed and a second one started: the client collects a new snowflake
# through the broker and the next download works too.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_httpd 3000000
pw_start egress 1 "$PW_BIN/egress" -v --events - \
	-l "ws://127.0.0.1:0/,trusted,upstream=tcp:127.0.0.1:$httpd_port"
relay=$pw_ep
case $relay in ws://127.0.0.1:*/) ;; *) fail "egress ws ready line: $relay" ;; esac
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 3
rdv_port=$pw_port
note "broker on $rdv_port, relay $relay"

proxy_start() {
	sf_proxy_start "$1" "http://127.0.0.1:$rdv_port/" "$relay"
}
proxy_start proxy1
proxy1=$pw_pid

# shellcheck disable=SC2119 # no environment to add
sf_client_start
args="url=http://127.0.0.1:$rdv_port/;ice=stun:127.0.0.1:$turn_port"
want="total=$(wc -c <"$T/www/big.bin") sha256=$(pw_sha "$T/www/big.bin")"

fetch() {
	sf_fetch "$1" "$args"
}

metric() {
	rdv_metric "$T/rdv-admin.sock" "$1"
}

fetch first || fail "first download: $(cat "$T/first.err")"
[ "$(cat "$T/first.got")" = "$want" ] || fail "first download: $(cat "$T/first.got"), want $want"
note "first download: $(cat "$T/first.got"); matches=$(metric rendezvous_matches_total)"
# The proxy dialled the relay with ?client_ip= (the client's host candidate
# on the veth pair), which the trusted listener believed.
grep -q '"192\.0\.2\.[12]' "$T/egress.out" ||
	fail "no event with the client's address from ?client_ip=: $(head -c 600 "$T/egress.out")"

kill -KILL "$proxy1"
pw_wait "$proxy1" 10
proxy_start proxy2
m1=$(metric rendezvous_matches_total)
fetch second || fail "second download: $(cat "$T/second.err")"
[ "$(cat "$T/second.got")" = "$want" ] || fail "second download: $(cat "$T/second.got"), want $want"
m2=$(metric rendezvous_matches_total)
[ "$m2" -gt "$m1" ] || fail "the second download went through no new match ($m1 -> $m2)"
note "second download through a new proxy: matches $m1 -> $m2"
exec 7>&-
pw_wait "$sf_pt_pid" 20
pw_stop rdv
