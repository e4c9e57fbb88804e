#!/bin/sh
# SPDX-License-Identifier: MIT
# rendezvous as deployed: behind a real Caddy (HTTPS with its internal CA,
# X-Forwarded-For added, --trust-forwarded), with the real Snowflake
# programs talking HTTPS to Caddy (Go trusts Caddy's CA through
# SSL_CERT_FILE), in a network namespace as in 610: a real snowflake-proxy
# polls through Caddy, a real snowflake-client posts its offer through
# Caddy, and a file fetched through the client's SOCKS port arrives byte
# for byte from the egress's ws listener.
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-caddy.sh"
. "$PW_TOP/t/lib-rdv.sh"

sf_netns_setup
turn_start
pw_httpd 2000000
pw_start egress 1 "$PW_BIN/egress" -l "ws://127.0.0.1:0/,trusted,upstream=tcp:127.0.0.1:$httpd_port"
relay=$pw_ep
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" --trust-forwarded \
	--admin "unix:$T/rdv-admin.sock" --client-wait 3
rdv_ep=$pw_ep
CADDY_HOSTS=localhost
pw_caddy "$rdv_ep" /
broker="https://localhost:$caddy_port/"
note "broker $broker (Caddy) -> $rdv_ep, relay $relay"

sf_proxy_start proxy "$broker" "$relay" SSL_CERT_FILE="$caddy_ca"
sf_client_start SSL_CERT_FILE="$caddy_ca"
want="total=$(wc -c <"$T/www/big.bin") sha256=$(pw_sha "$T/www/big.bin")"
sf_fetch get "url=$broker;ice=stun:127.0.0.1:$turn_port" || fail "download: $(cat "$T/get.err")"
[ "$(cat "$T/get.got")" = "$want" ] || fail "download: $(cat "$T/get.got"), want $want"
m=$(rdv_metric "$T/rdv-admin.sock" rendezvous_matches_total)
[ "$m" -ge 1 ] || fail "no match counted"
note "download through Caddy: $(cat "$T/get.got"); matches=$m"
exec 7>&-
pw_wait "$sf_pt_pid" 20
pw_stop rdv
