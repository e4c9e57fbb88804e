#!/bin/sh
# SPDX-License-Identifier: MIT
# A meek client no one here wrote: obfs4proxy's meek_lite, run as a
# managed pluggable transport (TOR_PT_* environment; its stdout line
# "CMETHOD meek_lite socks5 ADDR" is the ready line; it exits when its
# stdin closes). Its SOCKS5 port takes url= and front= as SOCKS username
# and password (pt-spec argument encoding). The bytes it carries go to
# meek-server -> egress, whose SOCKS5 mode the test speaks through the
# tunnel to reach httpd; the file must arrive byte for byte.
#   1. plain http:// straight to meek-server (front = meek-server's address)
#   2. https:// through Caddy with real domain fronting: TCP and SNI to
#      "localhost", Host: meek.test; meek_lite (Go) trusts Caddy's local CA
#      through SSL_CERT_FILE.
# meek_lite sends no X-Meek-Auth, no X-Meek-Seq and no X-Meek-Max-Body and
# reads at most 64 KiB per answer: the classic Tor meek behaviour, so this
# meek-server runs without a token.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-caddy.sh"

command -v obfs4proxy >/dev/null || fail "obfs4proxy not installed (scripts/install-deps)"
pw_httpd 5000000
pw_start egress 1 "$PW_BIN/egress" -l "unix:$T/egress.sock,trusted" --allow "127.0.0.1:$httpd_port"
pw_start meek 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/egress.sock" \
	--path /meek/ --proxy-protocol --trust-forwarded
meek_ep=$pw_ep meek_port=$pw_port
CADDY_HOSTS="meek.test localhost"
pw_caddy "$meek_ep" /meek/

# pt_start NAME FD [ENV=VALUE…]: obfs4proxy as a managed client transport;
# sets pt_port (its SOCKS5 port) and pt_pid. Its stdin is a fifo this shell
# holds open on descriptor FD: closing it (or the test ending) makes it
# exit.
pt_start() {
	_n=$1
	_fd=$2
	shift 2
	mkdir -p "$T/$_n-state"
	mkfifo "$T/$_n.in" "$T/$_n.fifo"
	env "$@" TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_CLIENT_TRANSPORTS=meek_lite \
		TOR_PT_STATE_LOCATION="$T/$_n-state" TOR_PT_EXIT_ON_STDIN_CLOSE=1 \
		obfs4proxy -enableLogging -logLevel INFO <"$T/$_n.in" >"$T/$_n.fifo" 2>"$T/$_n.err" &
	pt_pid=$!
	pw_track "$pt_pid"
	ln -sf "$T/$_n-state/obfs4proxy.log" "$T/$_n-log.err"
	# Each fifo opens once the other end is opened: stdin first, as the
	# child's redirections are done in that order.
	eval "exec $_fd>\"\$T/\$_n.in\""
	exec 6<"$T/$_n.fifo"
	# shellcheck disable=SC2016 # expanded by the child sh
	_l=$(timeout "$PW_READY_TIMEOUT" sh -c 'while IFS= read -r l; do
		printf "%s\n" "$l" >>"$1"
		case $l in
		"CMETHOD meek_lite socks5 "*) printf "%s\n" "${l##* }"; exit 0 ;;
		CMETHOD-ERROR* | ENV-ERROR* | VERSION-ERROR*) exit 1 ;;
		esac
	done; exit 1' sh "$T/$_n.out" <&6)
	_ok=$?
	cat <&6 >>"$T/$_n.out" &
	pw_track "$!"
	exec 6<&-
	[ "$_ok" -eq 0 ] || fail "$_n: no CMETHOD line: $(cat "$T/$_n.out")"
	pt_port=${_l##*:}
}

want="total=$(wc -c <"$T/www/big.bin") sha256=$(pw_sha "$T/www/big.bin")"

pt_start pt-http 7
got=$(python3 "$PW_PY/ptget.py" "$pt_port" "url=http://meek.test:$meek_port/meek/;front=127.0.0.1:$meek_port" \
	"$httpd_port" big.bin 2>&1) || fail "meek_lite over http: $got"
[ "$got" = "$want" ] || fail "meek_lite over http: got '$got', want '$want'"
note "meek_lite -> meek-server over http: 5 MB byte for byte"

pt_start pt-tls 8 SSL_CERT_FILE="$caddy_ca"
got=$(python3 "$PW_PY/ptget.py" "$pt_port" \
	"url=https://$caddy_host:$caddy_port/meek/;front=localhost:$caddy_port" \
	"$httpd_port" big.bin 2>&1) || fail "meek_lite through Caddy: $got"
[ "$got" = "$want" ] || fail "meek_lite through Caddy: got '$got', want '$want'"
note "meek_lite -> Caddy (TLS, SNI localhost, Host $caddy_host) -> meek-server: 5 MB byte for byte"

# Closing its stdin ends it (TOR_PT_EXIT_ON_STDIN_CLOSE); obfs4proxy
# waits for its meek_lite sessions first, so this is not awaited here.
exec 7>&- 8>&-
pw_stop meek
pw_stop egress
