# SPDX-License-Identifier: MIT
# t/lib-turn.sh — coturn on loopback for the STUN/TURN tests (POSIX sh).
# Source after t/lib.sh.
#
#   turn_start [TURNSERVER-ARG…]  start coturn with REST credentials
#       (use-auth-secret) on 127.0.0.1 and 127.0.0.2, primary port P and
#       alternate port P+1 (so RFC 5780 works), and wait for its own log
#       lines saying every UDP listener is open (never a sleep). A port
#       taken meanwhile makes it retry with another. Sets turn_pid,
#       turn_port, turn_alt_port; $T/turn.secret holds the static secret,
#       TURN_REALM the realm; coturn's log goes to $T/turn.log.
#       With TURN_TLS=1 coturn also serves TLS on P+2 (alternate P+3)
#       with a self-signed certificate for "127.0.0.1" in $T/turn-cert.pem,
#       made with openssl (set turn_tls_port).
#   turn_free_port                print a port P with P to P+3 free on
#       127.0.0.1 and 127.0.0.2 (UDP and TCP) at the time of asking.
#   turn_rest_pass USER           the REST password for USER (python3).
TURN_REALM=pipeworks.test
TURN_SECRET=loopback-test-secret-$$
printf '%s\n' "$TURN_SECRET" >"$T/turn.secret"

turn_free_port() {
	python3 -c '
import random, socket, sys
for _ in range(200):
    p = random.randrange(20000, 40000)
    socks = []
    try:
        for a in ("127.0.0.1", "127.0.0.2"):
            for q in (p, p + 1, p + 2, p + 3):
                for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(socket.AF_INET, t)
                    socks.append(s)
                    s.bind((a, q))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(p)
    sys.exit(0)
sys.exit(1)'
}

turn_rest_pass() {
	python3 -c '
import base64, hashlib, hmac, sys
print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha1).digest()).decode())' \
		"$TURN_SECRET" "$1"
}

# Read coturn's log from stdin until its $2 UDP listeners are open, and
# its TLS listener on $3 when $3 is not "-" (exit 0), or until it reports a
# bind failure (exit 2); the lines are kept in file $1.
# shellcheck disable=SC2016 # expanded by that child sh
TURN_READ_LOG='n=0
tls=$3
while IFS= read -r l; do
	printf "%s\n" "$l" >>"$1"
	case $l in
	*"UDP listener opened on"*) n=$((n + 1)) ;;
	*"TLS/TCP listener opened on : $3") tls=- ;;
	*"Cannot bind"*) exit 2 ;;
	esac
	[ "$n" -ge "$2" ] && [ "$tls" = - ] && exit 0
done
exit 1'

# shellcheck disable=SC2120 # coturn options are optional
turn_start() {
	_try=0
	# Two addresses, each with the primary and (for RFC 5780) the alternate port.
	_nudp=4
	case " $* " in
	*" --no-rfc5780 "*) _nudp=2 ;;
	esac
	while [ "$_try" -lt 5 ]; do
		_try=$((_try + 1))
		turn_port=$(turn_free_port) || fail "no free port pair for coturn"
		turn_alt_port=$((turn_port + 1))
		turn_tls_port=$((turn_port + 2))
		_tlswait=-
		_tlsargs=--no-tls
		if [ "${TURN_TLS:-0}" = 1 ]; then
			[ -s "$T/turn-cert.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
				-keyout "$T/turn-key.pem" -out "$T/turn-cert.pem" -subj /CN=127.0.0.1 \
				-addext "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1" 2>"$T/openssl.err" ||
				fail "openssl: $(cat "$T/openssl.err")"
			# Split on blanks below: $T is a mktemp path without any.
			_tlsargs="--cert $T/turn-cert.pem --pkey $T/turn-key.pem"
			_tlsargs="$_tlsargs --tls-listening-port $turn_tls_port"
			_tlsargs="$_tlsargs --alt-tls-listening-port $((turn_port + 3))"
			_tlswait="127.0.0.1:$turn_tls_port"
		fi
		rm -f "$T/turn.fifo" "$T/turn.log"
		mkfifo "$T/turn.fifo" || fail "mkfifo"
		# shellcheck disable=SC2086 # _tlsargs is split on purpose
		turnserver -n -v --log-file stdout --simple-log --no-cli --no-dtls $_tlsargs \
			--pidfile "$T/turn.pid" --userdb "$T/turndb" \
			--use-auth-secret --static-auth-secret "$TURN_SECRET" --realm "$TURN_REALM" \
			--listening-ip 127.0.0.1 --listening-ip 127.0.0.2 --relay-ip 127.0.0.1 \
			--listening-port "$turn_port" --alt-listening-port "$turn_alt_port" \
			--allow-loopback-peers "$@" >"$T/turn.fifo" 2>&1 &
		turn_pid=$!
		pw_track "$turn_pid"
		exec 4<"$T/turn.fifo"
		timeout "$PW_READY_TIMEOUT" sh -c "$TURN_READ_LOG" sh "$T/turn.log" "$_nudp" "$_tlswait" <&4
		_rc=$?
		if [ "$_rc" -eq 0 ]; then
			cat <&4 >>"$T/turn.log" &
			pw_track "$!"
			exec 4<&-
			note "coturn (pid $turn_pid) on 127.0.0.1/127.0.0.2 ports $turn_port/$turn_alt_port"
			return 0
		fi
		exec 4<&-
		kill -TERM "$turn_pid" 2>/dev/null
		pw_wait "$turn_pid" 10
		[ "$_rc" -eq 2 ] || fail "coturn did not open its listeners: $(tail -n 5 "$T/turn.log")"
		note "coturn: port $turn_port taken meanwhile; trying another"
	done
	fail "coturn: no port after $_try tries"
}

# turn_peer_start: turnutils_peer (a UDP echo server) on 127.0.0.1; waits
# for its log line saying the socket is bound. Sets peer_port, peer_pid.
# shellcheck disable=SC2016 # expanded by that child sh
TURN_READ_PEER='while IFS= read -r l; do
	printf "%s\n" "$l" >>"$1"
	case $l in
	*udp_create_server_socket*end*) exit 0 ;;
	esac
done
exit 1'

turn_peer_start() {
	peer_port=$(turn_free_port) || fail "no free port for turnutils_peer"
	rm -f "$T/peer.fifo"
	mkfifo "$T/peer.fifo" || fail "mkfifo"
	turnutils_peer -v -L 127.0.0.1 -p "$peer_port" >"$T/peer.fifo" 2>&1 &
	peer_pid=$!
	pw_track "$peer_pid"
	exec 4<"$T/peer.fifo"
	timeout "$PW_READY_TIMEOUT" sh -c "$TURN_READ_PEER" sh "$T/peer.log" <&4 ||
		fail "turnutils_peer did not start: $(cat "$T/peer.log")"
	cat <&4 >/dev/null &
	pw_track "$!"
	exec 4<&-
}
