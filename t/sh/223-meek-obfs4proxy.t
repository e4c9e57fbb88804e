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

# get.py PT_PORT ARGS EGRESS_DEST_PORT PATH: SOCKS5 to obfs4proxy with ARGS
# in username/password, then SOCKS5 to egress through the meek tunnel, then
# an HTTP/1.0 GET; prints "total=N sha256=H" of the body.
cat >"$T/ptget.py" <<'PY'
import hashlib, socket, sys
pt_port, args, dport, path = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
s = socket.create_connection(("127.0.0.1", pt_port), timeout=60)
def readn(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("EOF after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        b += c
    return b
s.sendall(b"\x05\x01\x02")
if readn(2) != b"\x05\x02":
    sys.exit("obfs4proxy did not choose username/password")
# pt-spec: arguments in the username; a password of one NUL when they fit.
user, pw = args[:255], args[255:] or b"\x00"
s.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw)
if readn(2) != b"\x01\x00":
    sys.exit("obfs4proxy refused the arguments")
s.sendall(b"\x05\x01\x00\x01\xc0\x00\x02\x14\x00\x50")   # the bridge address, ignored
r = readn(10)
if r[1] != 0:
    sys.exit("obfs4proxy CONNECT reply %d" % r[1])
# Through the tunnel: egress's SOCKS5.
s.sendall(b"\x05\x01\x00")
if readn(2) != b"\x05\x00":
    sys.exit("egress method reply")
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + dport.to_bytes(2, "big"))
h = readn(4)
if h[1] != 0:
    sys.exit("egress SOCKS5 reply %d" % h[1])
readn({1: 4, 4: 16}[h[3]] + 2)
s.sendall(b"GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
head = b""
while b"\r\n\r\n" not in head:
    head += readn(1)
length = None
for line in head.split(b"\r\n")[1:]:
    k, _, v = line.partition(b":")
    if k.strip().lower() == b"content-length":
        length = int(v)
if length is None:
    sys.exit("no Content-Length: %r" % head)
body = readn(length)
print("total=%d sha256=%s" % (len(body), hashlib.sha256(body).hexdigest()), flush=True)
PY

want="total=$(wc -c <"$T/www/big.bin") sha256=$(pw_sha "$T/www/big.bin")"

pt_start pt-http 7
got=$(python3 "$T/ptget.py" "$pt_port" "url=http://meek.test:$meek_port/meek/;front=127.0.0.1:$meek_port" \
	"$httpd_port" big.bin 2>&1) || fail "meek_lite over http: $got"
[ "$got" = "$want" ] || fail "meek_lite over http: got '$got', want '$want'"
note "meek_lite -> meek-server over http: 5 MB byte for byte"

pt_start pt-tls 8 SSL_CERT_FILE="$caddy_ca"
got=$(python3 "$T/ptget.py" "$pt_port" \
	"url=https://$caddy_host:$caddy_port/meek/;front=localhost:$caddy_port" \
	"$httpd_port" big.bin 2>&1) || fail "meek_lite through Caddy: $got"
[ "$got" = "$want" ] || fail "meek_lite through Caddy: got '$got', want '$want'"
note "meek_lite -> Caddy (TLS, SNI localhost, Host $caddy_host) -> meek-server: 5 MB byte for byte"

# Closing its stdin ends it (TOR_PT_EXIT_ON_STDIN_CLOSE); obfs4proxy
# waits for its meek_lite sessions first, so this is not awaited here.
exec 7>&- 8>&-
pw_stop meek
pw_stop egress
