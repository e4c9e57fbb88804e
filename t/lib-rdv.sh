# SPDX-License-Identifier: MIT
# t/lib-rdv.sh — helpers for the rendezvous tests (POSIX sh). Source after t/lib.sh.
#
#   rdv_metric SOCK NAME   the value of metric NAME (labels included, as
#                          printed) from the admin listener on unix socket SOCK.
rdv_metric() {
	pw_metric "$@"
}

#   rdv_wait_proxies SOCK N LOG...   wait until the broker whose admin
#                          socket is SOCK holds N proxy polls (checked every
#                          0.1 s, at most 30 s), else fail with the last
#                          lines of each LOG.
rdv_wait_proxies() {
	_s=$1 _n=$2 _i=0
	shift 2
	until [ "$(rdv_metric "$_s" rendezvous_proxies_waiting)" = "$_n" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 300 ] || fail "$_n volunteers do not poll: $(tail -n 3 "$@")"
		python3 -c 'import time; time.sleep(0.1)'
	done
}
#
# The real Snowflake programs (Debian's 2.5.1), for tests that run in a
# network namespace of their own (unshare -n; see 610):
#   sf_netns_setup         lo up, a veth pair rdv0/rdv1 with 192.0.2.1 and
#                          192.0.2.2, so ICE has host candidates that are
#                          not loopback (and the proxy sends ?client_ip=).
#   sf_proxy_start NAME BROKER RELAY [ENV=VALUE…]
#                          snowflake-proxy polling BROKER, STUN on coturn
#                          ($turn_port), allowed to relay to ws:// on
#                          127.0.0.1; sets pw_pid.
#   sf_client_start [ENV=VALUE…]
#                          snowflake-client as tor runs it (TOR_PT_*); its
#                          stdin is a fifo held on descriptor 7 (close it to
#                          stop it); sets sf_pt_port (SOCKS) and sf_pt_pid.
#   sf_fetch NAME ARGS     GET /big.bin through its SOCKS port with the
#                          bridge-line ARGS (SOCKS username/password, as
#                          tor sends them); "total=N sha256=H" in $T/NAME.got.
sf_netns_setup() {
	command -v snowflake-proxy >/dev/null || fail "snowflake-proxy not installed (scripts/install-deps)"
	command -v snowflake-client >/dev/null || fail "snowflake-client not installed (scripts/install-deps)"
	ip link set lo up || fail "lo up"
	ip link add rdv0 type veth peer name rdv1 || fail "veth"
	ip addr add 192.0.2.1/24 dev rdv0 || fail "veth address"
	ip addr add 192.0.2.2/24 dev rdv1 || fail "veth address"
	ip link set rdv0 up || fail "veth up"
	ip link set rdv1 up || fail "veth up"
}

sf_proxy_start() {
	_n=$1 _b=$2 _r=$3
	shift 3
	# shellcheck disable=SC2154 # turn_port is set by t/lib-turn.sh
	pw_start_bg "$_n" env "$@" snowflake-proxy -verbose -unsafe-logging -keep-local-addresses \
		-broker "$_b" -stun "stun:127.0.0.1:$turn_port" \
		-relay "$_r" -allow-non-tls-relay -allowed-relay-hostname-pattern '127.0.0.1$'
}

sf_client_start() {
	mkdir -p "$T/pt-state"
	mkfifo "$T/pt.in" "$T/pt.fifo"
	env "$@" TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_CLIENT_TRANSPORTS=snowflake \
		TOR_PT_STATE_LOCATION="$T/pt-state" TOR_PT_EXIT_ON_STDIN_CLOSE=1 \
		snowflake-client -keep-local-addresses -log "$T/client-log.err" -unsafe-logging \
		<"$T/pt.in" >"$T/pt.fifo" 2>"$T/client.err" &
	sf_pt_pid=$!
	pw_track "$sf_pt_pid"
	exec 7>"$T/pt.in"
	exec 6<"$T/pt.fifo"
	# shellcheck disable=SC2016 # expanded by the child sh
	_l=$(timeout "$PW_READY_TIMEOUT" sh -c 'while IFS= read -r l; do
		printf "%s\n" "$l" >>"$1"
		case $l in
		"CMETHOD snowflake socks5 "*) printf "%s\n" "${l##* }"; exit 0 ;;
		CMETHOD-ERROR* | ENV-ERROR* | VERSION-ERROR*) exit 1 ;;
		esac
	done; exit 1' sh "$T/pt.out" <&6) || fail "snowflake-client: no CMETHOD line: $(cat "$T/pt.out")"
	cat <&6 >>"$T/pt.out" &
	pw_track "$!"
	exec 6<&-
	sf_pt_port=${_l##*:}
}

sf_fetch() {
	python3 - "$sf_pt_port" "$2" >"$T/$1.got" 2>"$T/$1.err" <<'PY'
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
