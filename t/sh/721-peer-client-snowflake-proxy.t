#!/bin/sh
# SPDX-License-Identifier: MIT
# Our carrier through a real Snowflake volunteer: socks-client runs
# peer-client as its carrier; peer-client posts its offer to our
# rendezvous, where a real snowflake-proxy (Debian's 2.5.1) polls; the
# proxy answers, and relays the data channel to our egress's ws listener,
# which runs a secure session in destination mode (--key, --users,
# --allow). Two files fetched through the SOCKS port arrive sha256-exact;
# the egress counted the session from ?client_ip= of the proxy.
# peer-client says its NAT is unrestricted (a restricted or unknown
# client is matched only with an unrestricted proxy, and this proxy's own
# NAT probe cannot reach Tor's probe server here).
# A network namespace of its own, coturn as STUN on 127.0.0.1 (as 610).
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_httpd 4000000
pw_start egress 1 pw_egress -v --events - -l "ws://127.0.0.1:0/,trusted" --allow "127.0.0.1:$httpd_port"
relay=$pw_ep
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
rdv_port=$pw_port
sf_proxy_start proxy "http://127.0.0.1:$rdv_port/" "$relay"
# snowflake-proxy probes its NAT first: wait for its first held poll.
i=0
until [ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_proxies_waiting)" = 1 ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "snowflake-proxy never polled the broker: $(tail -n 5 "$T/proxy.err")"
	python3 -c 'import time; time.sleep(0.2)'
done
note "snowflake-proxy polling after $((i / 5)) s"
pc="$PW_BIN/peer-client -v --nat unrestricted --broker http://127.0.0.1:$rdv_port/ --stun stun:127.0.0.1:$turn_port"
pw_start client 1 pw_socks_client -v -l tcp:127.0.0.1:0 -C "$pc"
client_port=$pw_port
url="http://127.0.0.1:$httpd_port"
pw_fetch first big.bin --socks5-hostname "127.0.0.1:$client_port" "$url/big.bin"
pw_fetch second 1k.bin --socks5-hostname "127.0.0.1:$client_port" "$url/1k.bin"
grep "channel .* open after" "$T/client.err" | head -n 1 | sed 's/^/# /'
grep -q '"192\.0\.2\.[12]' "$T/egress.out" ||
	fail "no event with the client's address from ?client_ip=: $(head -c 600 "$T/egress.out")"
note "matches=$(rdv_metric "$T/rdv-admin.sock" rendezvous_matches_total)"
grep -q Sanitizer "$T/client.err" && fail "sanitizer report: $(grep -A 20 Sanitizer "$T/client.err")"
pw_stop client
pw_stop rdv
exit 0
