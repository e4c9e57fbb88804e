#!/bin/sh
# SPDX-License-Identifier: MIT
# The client address through the deployment: Caddy -> meek-server
# (--proxy-protocol --trust-forwarded) -> egress (trusted UNIX listener,
# --events). Behind Caddy, the address egress reports is the one Caddy saw
# (127.0.0.1 here), even when the client sends its own X-Forwarded-For:
# Caddy does not pass on a forwarded header from a peer it does not trust,
# so a client cannot choose the address that reaches the abuse monitor.
# Straight to meek-server (no Caddy), --trust-forwarded takes the header as
# it comes: which is why meek-server listens on loopback only.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

pw_httpd 1024
pw_start egress 1 pw_egress -l "unix:$T/egress.sock,trusted" --events "$T/events" \
	--allow "127.0.0.1:$httpd_port"
(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$T/token")
pw_start meek 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/egress.sock" \
	--path /meek/ --auth-token-file "$T/token" --proxy-protocol --trust-forwarded
meek_ep=$pw_ep meek_port=$pw_port
pw_caddy "$meek_ep" /meek/
url=http://127.0.0.1:$httpd_port

pw_start viacaddy 1 pw_socks_client -l tcp:127.0.0.1:0 -C "exec $PW_BIN/meek-client \
--url https://$caddy_host:$caddy_port/meek/ --front 127.0.0.1:$caddy_port,sni=$caddy_host \
--ca $caddy_ca --auth-token-file $T/token --header 'X-Forwarded-For: 203.0.113.9'"
pw_fetch via-caddy 1k.bin --socks5-hostname "127.0.0.1:$pw_port" "$url/1k.bin"
pw_stop viacaddy

pw_start direct 1 pw_socks_client -l tcp:127.0.0.1:0 -C "exec $PW_BIN/meek-client \
--url http://127.0.0.1:$meek_port/meek/ --insecure-plaintext --auth-token-file $T/token \
--header 'X-Forwarded-For: 198.51.100.7'"
pw_fetch direct 1k.bin --socks5-hostname "127.0.0.1:$pw_port" "$url/1k.bin"
pw_stop direct

pw_stop meek
pw_stop egress
sources=$(sed -n 's/.*"event":"accept".*"source":"\([^"]*\)".*/\1/p' "$T/events")
note "egress saw sources: $(echo "$sources" | tr '\n' ' ')"
[ "$(echo "$sources" | wc -l)" -eq 2 ] || fail "want two accept events: $(cat "$T/events")"
first=$(echo "$sources" | sed -n 1p)
second=$(echo "$sources" | sed -n 2p)
case $first in
127.0.0.1:*) ;;
*) fail "behind Caddy egress saw '$first', want 127.0.0.1 (a spoofed X-Forwarded-For got through?)" ;;
esac
case $second in
198.51.100.7:*) ;;
*) fail "straight to meek-server egress saw '$second', want the forwarded 198.51.100.7" ;;
esac
