#!/bin/sh
# SPDX-License-Identifier: MIT
# The broker behind TLS, as deployed: our rendezvous behind a real Caddy
# (tls internal) for the site names rdv.test and front.test; peer-proxy
# polls https://rdv.test:PORT/ directly; peer-client reaches the same URL
# fronted through front.test (--broker-front: the TCP connection, the SNI
# and the verified name are front.test's, only the Host header says
# rdv.test; rdv.test does not even resolve here). A download through
# socks-client → peer-client → peer-proxy → egress arrives sha256-exact.
# Refused, each in one line with exit 111: a CA that did not sign Caddy's
# certificate (--broker-ca of the system bundle), and a front whose name
# the certificate lacks (127.0.0.1: no SNI, so Caddy's default
# certificate, for rdv.test). Network and mount namespaces of its own (the
# mount namespace only to give the programs an /etc/hosts of the test's).
if [ -z "${RDV_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "unshare missing"; exit 1; }
	exec env RDV_IN_NETNS=1 unshare -n -m sh "$0" "$@"
fi
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-turn.sh"
. "$PW_TOP/t/lib-rdv.sh"
. "$PW_TOP/t/lib-caddy.sh"

printf '127.0.0.1 localhost front.test\n' >"$T/hosts"
mount --bind "$T/hosts" /etc/hosts || fail "cannot bind-mount the test's hosts file"
sf_netns_setup
turn_start
pw_httpd 3000000
pw_start egress 1 pw_egress -l "ws://127.0.0.1:0/,trusted" --allow "127.0.0.1:$httpd_port"
relay=$pw_ep
pw_start rdv 2 "$PW_BIN/rendezvous" -v -l tcp:127.0.0.1:0 --relay "$relay" \
	--admin "unix:$T/rdv-admin.sock" --client-wait 10
rdv_port=$pw_port
CADDY_HOSTS="rdv.test front.test"
pw_caddy "tcp:127.0.0.1:$rdv_port" /
broker="https://rdv.test:$caddy_port/"
note "caddy on 127.0.0.1:$caddy_port -> rendezvous on $rdv_port"

pw_start_bg proxy "$PW_BIN/peer-proxy" -v --broker "https://front.test:$caddy_port/" --broker-ca "$caddy_ca" \
	--relay "$relay" --stun "stun:127.0.0.1:$turn_port" --nat unrestricted --capacity 2 --poll-interval 1
rdv_wait_proxies "$T/rdv-admin.sock" 1 "$T/proxy.err"

pc="$PW_BIN/peer-client -v --broker $broker --broker-front front.test --broker-ca $caddy_ca"
pc="$pc --stun stun:127.0.0.1:$turn_port"
pw_start client 1 pw_socks_client -v -l tcp:127.0.0.1:0 -C "$pc"
pw_fetch https big.bin --max-time 60 --socks5-hostname "127.0.0.1:$pw_port" "http://127.0.0.1:$httpd_port/big.bin"
grep "channel .* open after" "$T/client.err" | head -n 1 | sed 's/^/# /'
[ "$(rdv_metric "$T/rdv-admin.sock" rendezvous_matches_total)" -ge 1 ] || fail "the broker counted no match"

# refused NAME WANT PEER-CLIENT-ARG…: exit 111, one line, matching WANT.
refused() {
	_n=$1 _w=$2
	shift 2
	"$PW_BIN/peer-client" --stun "stun:127.0.0.1:$turn_port" --broker-timeout 10 "$@" \
		</dev/null >/dev/null 2>"$T/$_n.err"
	rc=$?
	[ "$rc" = 111 ] || fail "$_n: exit $rc, want 111: $(cat "$T/$_n.err")"
	[ "$(wc -l <"$T/$_n.err")" = 1 ] || fail "$_n: more than one line: $(cat "$T/$_n.err")"
	grep -q "$_w" "$T/$_n.err" || fail "$_n: $(cat "$T/$_n.err"), want $_w"
	note "$_n: $(cat "$T/$_n.err")"
}
refused wrong-ca "^peer-client: broker: TLS handshake: certificate signed by an unknown CA" --broker "$broker" --broker-front front.test \
	--broker-ca /etc/ssl/certs/ca-certificates.crt
refused wrong-name "^peer-client: broker: TLS handshake: certificate name mismatch" --broker "$broker" \
	--broker-front 127.0.0.1 \
	--broker-ca "$caddy_ca"
grep -q Sanitizer "$T/client.err" "$T/proxy.err" && fail "sanitizer report"
pw_stop client
pw_stop rdv
exit 0
