# SPDX-License-Identifier: MIT
# t/lib-caddy.sh — a real Caddy (Debian caddy 2.6) in front of meek-server,
# on loopback, for the meek tests, the demo, the smoke test and the bench
# (POSIX sh). It needs nothing from t/lib.sh, so scripts/demo sources it too.
#
#   caddy_start DIR UPSTREAM [MEEK-PATH]
#       Write DIR/Caddyfile and run "caddy run" with DIR as its HOME,
#       XDG_DATA_HOME and XDG_CONFIG_HOME, so the system's Caddy state is
#       never touched. One HTTPS site on 127.0.0.1:PORT with "tls internal"
#       (Caddy's own local CA; nothing is installed in any trust store):
#       MEEK-PATH (default /meek/) and everything below it go to UPSTREAM
#       (tcp:HOST:PORT or unix:/path) with flush_interval -1, every other
#       path is a static cover site (DIR/www, an index.html is written).
#       No listener on :80 or :443, no HTTP/3 (UDP), admin API off.
#       Caddy cannot report the port it bound to, so a free port is picked
#       first and the start retried (5 times) when it was taken meanwhile.
#       Returns once Caddy logged both "serving initial configuration" and
#       "certificate obtained successfully" for every host name (so the
#       first TLS handshake works), never by sleeping. Sets:
#         caddy_pid    the caddy process
#         caddy_drain  the process that keeps copying its log to DIR/caddy.err
#         caddy_port   the HTTPS port on 127.0.0.1
#         caddy_ca     Caddy's local root CA certificate (for --ca / --cacert)
#         caddy_host   the first host name; the site URL is
#                      https://$caddy_host:$caddy_port (resolve it to 127.0.0.1)
#       On failure returns 1 with caddy_why set (and caddy stopped).
#   Knobs (variables, read by caddy_start):
#       CADDY_HOSTS    site names, space separated (default "meek.test"); a
#                      certificate is issued for each (fronting tests add a
#                      front name). The first is the default SNI, so a
#                      client that sends no SNI (Akamai style) gets its cert.
#       CADDY_DIRECT   an endpoint: /direct/FOO is reverse-proxied to it
#                      as /FOO (a bench ceiling: Caddy alone, no meek)
#       CADDY_TIMEOUT  seconds to wait for the log lines (default 10)
#
#   pw_caddy UPSTREAM [MEEK-PATH]   (tests only: needs t/lib.sh)
#       caddy_start in $T/caddy, its PIDs tracked by the test's trap, the
#       test failed when Caddy does not come up.

# Caddy's upstream syntax for one of our endpoints.
caddy_upstream() {
	case $1 in
	tcp:*) printf '%s\n' "${1#tcp:}" ;;
	unix:*) printf 'unix/%s\n' "${1#unix:}" ;;
	*) return 1 ;;
	esac
}

caddy_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# caddy_conf DIR PORT UPSTREAM PATH: the Caddyfile on stdout.
caddy_conf() {
	_cd=$1 _cport=$2 _cup=$3 _cpath=$4
	_csites=""
	for _h in $CADDY_HOSTS; do
		_csites="${_csites:+$_csites, }https://$_h:$_cport"
	done
	cat <<EOF
{
	admin off
	auto_https disable_redirects
	local_certs
	skip_install_trust
	default_sni ${CADDY_HOSTS%% *}
	http_port 0
	servers {
		protocols h1 h2
	}
}
$_csites {
	bind 127.0.0.1
	tls internal
	@meek path $_cpath ${_cpath%/}/*
	handle @meek {
		reverse_proxy $_cup {
			flush_interval -1
		}
	}
EOF
	if [ -n "${CADDY_DIRECT:-}" ]; then
		cat <<EOF
	handle_path /direct/* {
		reverse_proxy $(caddy_upstream "$CADDY_DIRECT")
	}
EOF
	fi
	cat <<EOF
	handle {
		root * $_cd/www
		file_server
	}
}
EOF
}

# Read Caddy's JSON log from stdin, append it to $1, and exit 0 once it
# logged "serving initial configuration" and $2 "certificate obtained
# successfully" lines; exit 1 at EOF (Caddy died). Run under timeout(1).
# shellcheck disable=SC2016 # expanded by that child sh
CADDY_READ_LOG='serving=0 certs=0
while IFS= read -r l; do
	printf "%s\n" "$l" >>"$1"
	case $l in
	*"\"serving initial configuration\""*) serving=1 ;;
	*"\"certificate obtained successfully\""*) certs=$((certs + 1)) ;;
	esac
	if [ "$serving" -eq 1 ] && [ "$certs" -ge "$2" ]; then
		exit 0
	fi
done
exit 1'

caddy_start() {
	_cdir=$1
	_cpath=${3:-/meek/}
	: "${CADDY_HOSTS:=meek.test}"
	caddy_why=""
	command -v caddy >/dev/null 2>&1 || {
		caddy_why="caddy is not installed (scripts/install-deps)"
		return 1
	}
	_cup=$(caddy_upstream "$2") || {
		caddy_why="upstream $2: want tcp:HOST:PORT or unix:/path"
		return 1
	}
	mkdir -p "$_cdir/www" "$_cdir/data" "$_cdir/config" || {
		caddy_why="cannot create $_cdir"
		return 1
	}
	[ -f "$_cdir/www/index.html" ] || cat >"$_cdir/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Welcome</title></head>
<body><h1>It works</h1><p>Nothing to see here yet.</p></body></html>
EOF
	_ncerts=0
	for _h in $CADDY_HOSTS; do
		_ncerts=$((_ncerts + 1))
	done
	_try=0
	while [ "$_try" -lt 5 ]; do
		_try=$((_try + 1))
		caddy_port=$(caddy_free_port) || {
			caddy_why="no free port (python3 missing?)"
			return 1
		}
		caddy_conf "$_cdir" "$caddy_port" "$_cup" "$_cpath" >"$_cdir/Caddyfile"
		rm -f "$_cdir/caddy.fifo"
		mkfifo "$_cdir/caddy.fifo" || {
			caddy_why="mkfifo $_cdir/caddy.fifo failed"
			return 1
		}
		HOME=$_cdir XDG_DATA_HOME=$_cdir/data XDG_CONFIG_HOME=$_cdir/config \
			caddy run --config "$_cdir/Caddyfile" --adapter caddyfile \
			>>"$_cdir/caddy.out" 2>"$_cdir/caddy.fifo" &
		caddy_pid=$!
		exec 4<"$_cdir/caddy.fifo"
		timeout "${CADDY_TIMEOUT:-10}" sh -c "$CADDY_READ_LOG" sh \
			"$_cdir/caddy.err" "$_ncerts" <&4
		_cok=$?
		cat <&4 >>"$_cdir/caddy.err" &
		caddy_drain=$!
		exec 4<&-
		if [ "$_cok" -eq 0 ]; then
			caddy_ca=$_cdir/data/caddy/pki/authorities/local/root.crt
			# shellcheck disable=SC2034 # for the caller
			caddy_host=${CADDY_HOSTS%% *}
			[ -s "$caddy_ca" ] && return 0
			caddy_why="no root certificate at $caddy_ca"
		elif [ "$_cok" -eq 124 ]; then
			caddy_why="caddy did not log that it serves within ${CADDY_TIMEOUT:-10}s"
		else
			caddy_why="caddy exited: $(grep -v '"level":"\(info\|warn\)"' "$_cdir/caddy.err" | tail -n 3)"
		fi
		kill -TERM "$caddy_pid" 2>/dev/null
		wait "$caddy_pid" 2>/dev/null
		wait "$caddy_drain" 2>/dev/null
		grep -q 'address already in use' "$_cdir/caddy.err" 2>/dev/null || return 1
		mv "$_cdir/caddy.err" "$_cdir/caddy.err.$_try"
	done
	return 1
}

pw_caddy() {
	caddy_start "$T/caddy" "$@" || fail "caddy: $caddy_why"
	pw_track "$caddy_pid"
	pw_track "$caddy_drain"
	# For fail(): Caddy's log next to the programs' logs.
	ln -sf "$T/caddy/caddy.err" "$T/caddy.err"
}

# pw_meek_stack BYTES [MEEK-SERVER-ARG…]   (tests only: needs t/lib.sh)
#   The server side of a meek deployment on loopback: pw_httpd BYTES;
#   egress on unix:$T/egress.sock (trusted: PROXY v2 headers) allowed to
#   reach that web server; meek-server on an ephemeral port with the meek
#   path /meek/, an auth token in $T/token, --proxy-protocol and
#   --trust-forwarded (plus MEEK-SERVER-ARG…); Caddy in front (pw_caddy).
#   With PW_MEEK_DIRECT=1 Caddy also serves /direct/… from httpd (the
#   bench's ceiling: the same bytes through Caddy's reverse proxy alone).
#   Sets meek_ep (meek-server's endpoint), meek_port, meek_url (through
#   Caddy), meek_carrier (the meek-client command for socks-client -C:
#   fronted to 127.0.0.1, SNI the site name, Caddy's CA, the token) and
#   egress_pid, meek_pid.
# shellcheck disable=SC2154,SC2034 # pw_* and httpd_* come from t/lib.sh; results for the tests
pw_meek_stack() {
	_bytes=$1
	shift
	pw_httpd "$_bytes"
	pw_start egress 1 pw_egress -l "unix:$T/egress.sock,trusted" \
		--allow "127.0.0.1:$httpd_port"
	egress_pid=$pw_pid
	(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$T/token")
	pw_start meek 1 "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 -u "unix:$T/egress.sock" \
		--path /meek/ --auth-token-file "$T/token" --proxy-protocol --trust-forwarded "$@"
	meek_pid=$pw_pid meek_ep=$pw_ep meek_port=$pw_port
	[ "${PW_MEEK_DIRECT:-0}" = 1 ] && CADDY_DIRECT=tcp:127.0.0.1:$httpd_port
	pw_caddy "$meek_ep" /meek/
	meek_url=https://$caddy_host:$caddy_port/meek/
	meek_carrier="exec $PW_BIN/meek-client --url $meek_url --front 127.0.0.1:$caddy_port,sni=$caddy_host"
	meek_carrier="$meek_carrier --ca $caddy_ca --auth-token-file $T/token"
}
