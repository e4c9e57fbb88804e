#!/bin/sh
# SPDX-License-Identifier: MIT
# Our volunteer under a real Snowflake client: snowflake-client (Debian's
# 2.5.1, run as tor runs it) posts its offer to our rendezvous; our
# peer-proxy, polling the broker, answers it and relays the data channel
# to the relay URL, our egress's ws listener (trusted for ?client_ip=,
# upstream= the test web server, as 610). A file fetched through the
# client's SOCKS port arrives sha256-exact, the egress saw the client's
# address from ?client_ip=, and the proxy ends cleanly on SIGTERM.
# A network namespace of its own: a veth pair with TEST-NET-1 addresses,
# coturn as STUN on 127.0.0.1.
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
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 5
rdv_port=$pw_port
pw_start_bg proxy "$PW_BIN/peer-proxy" -v --broker "http://127.0.0.1:$rdv_port/" --relay "$relay" \
	--stun "stun:127.0.0.1:$turn_port" --capacity 2
proxy=$pw_pid
python3 "$PW_PY/wait-for.py" "$T/proxy.err" "polling" 10 || fail "peer-proxy: $(cat "$T/proxy.err")"

# shellcheck disable=SC2119 # no environment to add
sf_client_start
sf_fetch first "url=http://127.0.0.1:$rdv_port/;ice=stun:127.0.0.1:$turn_port" ||
	fail "download: $(cat "$T/first.err"; tail -n 20 "$T/proxy.err")"
want="total=$(wc -c <"$T/www/big.bin") sha256=$(pw_sha "$T/www/big.bin")"
[ "$(cat "$T/first.got")" = "$want" ] || fail "download: $(cat "$T/first.got"), want $want"
note "through peer-proxy: $(cat "$T/first.got"); matches=$(rdv_metric "$T/rdv-admin.sock" rendezvous_matches_total)"
grep -q '"192\.0\.2\.[12]' "$T/egress.out" ||
	fail "no event with the client's address from ?client_ip=: $(head -c 600 "$T/egress.out")"
grep "channel .* open" "$T/proxy.err" | head -n 1 | sed 's/^/# /'
exec 7>&-
pw_wait "$sf_pt_pid" 20
kill -TERM "$proxy"
pw_wait "$proxy" 10
[ "$pw_rc" = 0 ] || fail "peer-proxy exit $pw_rc on SIGTERM: $(tail -n 5 "$T/proxy.err")"
grep -q Sanitizer "$T/proxy.err" && fail "sanitizer report: $(grep -A 20 Sanitizer "$T/proxy.err")"
pw_stop rdv
exit 0
