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

command -v snowflake-proxy >/dev/null || fail "snowflake-proxy not installed (scripts/install-deps)"
command -v snowflake-client >/dev/null || fail "snowflake-client not installed (scripts/install-deps)"
ip link set lo up || fail "lo up"
ip link add rdv0 type veth peer name rdv1 || fail "veth"
ip addr add 192.0.2.1/24 dev rdv0 || fail "veth address"
ip addr add 192.0.2.2/24 dev rdv1 || fail "veth address"
ip link set rdv0 up || fail "veth up"
ip link set rdv1 up || fail "veth up"

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
	pw_start_bg "$1" snowflake-proxy -verbose -unsafe-logging -keep-local-addresses \
		-broker "http://127.0.0.1:$rdv_port/" -stun "stun:127.0.0.1:$turn_port" \
		-relay "$relay" -allow-non-tls-relay -allowed-relay-hostname-pattern '127.0.0.1$'
}
proxy_start proxy1
proxy1=$pw_pid

mkdir -p "$T/pt-state"
mkfifo "$T/pt.in" "$T/pt.fifo"
env TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_CLIENT_TRANSPORTS=snowflake \
	TOR_PT_STATE_LOCATION="$T/pt-state" TOR_PT_EXIT_ON_STDIN_CLOSE=1 \
	snowflake-client -keep-local-addresses -log "$T/client-log.err" -unsafe-logging \
	<"$T/pt.in" >"$T/pt.fifo" 2>"$T/client.err" &
pt_pid=$!
pw_track "$pt_pid"
exec 7>"$T/pt.in"
exec 6<"$T/pt.fifo"
# shellcheck disable=SC2016 # expanded by the child sh
l=$(timeout "$PW_READY_TIMEOUT" sh -c 'while IFS= read -r l; do
	printf "%s\n" "$l" >>"$1"
	case $l in
	"CMETHOD snowflake socks5 "*) printf "%s\n" "${l##* }"; exit 0 ;;
	CMETHOD-ERROR* | ENV-ERROR* | VERSION-ERROR*) exit 1 ;;
	esac
done; exit 1' sh "$T/pt.out" <&6) || fail "snowflake-client: no CMETHOD line: $(cat "$T/pt.out")"
cat <&6 >>"$T/pt.out" &
pw_track "$!"
exec 6<&-
pt_port=${l##*:}

args="url=http://127.0.0.1:$rdv_port/;ice=stun:127.0.0.1:$turn_port"
want="total=$(wc -c <"$T/www/big.bin") sha256=$(pw_sha "$T/www/big.bin")"

# fetch NAME: through the client's SOCKS port (Tor's role) straight to the
# web server behind egress --upstream.
fetch() {
	python3 - "$pt_port" "$args" >"$T/$1.got" 2>"$T/$1.err" <<'PY'
import hashlib, socket, sys
port, args = int(sys.argv[1]), sys.argv[2].encode()
s = socket.create_connection(("127.0.0.1", port), timeout=90)
def readn(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("EOF after %d of %d bytes" % (len(b), n))
        b += c
    return b
s.sendall(b"\x05\x01\x02")
assert readn(2) == b"\x05\x02", "no username/password method"
user, pw = args[:255], args[255:] or b"\x00"
s.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw)
assert readn(2) == b"\x01\x00", "arguments refused"
s.sendall(b"\x05\x01\x00\x01\xc0\x00\x02\x03\x01\xbb")
r = readn(10)
assert r[1] == 0, "CONNECT reply %d" % r[1]
s.sendall(b"GET /big.bin HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
data = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    data += c
body = data.split(b"\r\n\r\n", 1)[1]
print("total=%d sha256=%s" % (len(body), hashlib.sha256(body).hexdigest()))
PY
}

metric() {
	python3 - "$T/rdv-admin.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
b = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    b += c
for l in b.decode().splitlines():
    if l.startswith(sys.argv[2] + " "):
        print(l.split()[1])
PY
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
pw_wait "$pt_pid" 20
pw_stop rdv
