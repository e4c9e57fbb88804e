# SPDX-License-Identifier: MIT
# t/lib-lanclient.sh — the lanturn-client tests' own helpers (POSIX sh).
# Source after t/lib.sh and t/lib-turn.sh.
#
#   lanc_turn NAME [TURNSERVER-ARG…]   a coturn of its own, as turn_start
#       starts it, with its files in $T/NAME (log $T/NAME/turn.log); every
#       coturn shares one certificate ($T/turn-cert.pem, made here) and the
#       REST secret. turn_port, turn_tls_port (with TURN_TLS=1) and
#       turn_pid are set as turn_start sets them.
#   lanc_cred URI [TTL [ID]]          a credentials line for URI: username
#       "EXPIRY:ID" (EXPIRY = now + TTL, default 600 s; a negative TTL has
#       expired), password minted with turn_rest_pass.
#   lanc_free_udp                      a UDP port on 127.0.0.1 where nothing
#       answers (bound and closed at the time of asking).
#   lanc_two_turns RATE                lanturn_up RATE, two coturns (a_port
#       a_pid, b_port b_pid) with credentials for both in $T/cred, and
#       lanc_client client bulk through both (the failover tests).

lanc_turn() {
	_name=$1
	shift
	if [ "${TURN_TLS:-0}" = 1 ] && ! [ -s "$T/turn-cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
			-keyout "$T/turn-key.pem" -out "$T/turn-cert.pem" -subj /CN=127.0.0.1 \
			-addext "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1" 2>"$T/openssl.err" ||
			fail "openssl: $(cat "$T/openssl.err")"
		rm -f "$T/openssl.err"
	fi
	_lt=$T
	mkdir -p "$T/$_name"
	[ -s "$T/turn-cert.pem" ] && cp "$T/turn-cert.pem" "$T/turn-key.pem" "$T/$_name/"
	T=$T/$_name
	# shellcheck disable=SC2119,SC2120
	turn_start "$@"
	T=$_lt
}

lanc_cred() {
	_u="$(($(date +%s) + ${2:-600})):${3:-lanc}"
	printf '%s %s %s\n' "$1" "$_u" "$(turn_rest_pass "$_u")"
}

lanc_free_udp() {
	python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# lanc_client NAME PROFILE TURN-URI… [-- LANTURN-CLIENT-ARG…]: a
# socks-client whose carrier is lanturn-client through those TURN
# servers to the lanturn-egress of lanturn_up (t/lib-lanturn.sh), with
# the credentials in $T/cred (sets client_port, client_pid). The
# carrier's stderr goes to the socks-client's ($T/NAME.err).
lanc_client() {
	_n=$1
	_prof=$2
	shift 2
	_turns=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_turns="$_turns --turn $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2154 # lt_port and lt_fp come from lanturn_up (t/lib-lanturn.sh)
	pw_start "$_n" 1 pw_socks_client -l tcp:127.0.0.1:0 \
		-C "$PW_BIN/lanturn-client -v $_turns --credentials-file $T/cred --peer 127.0.0.1:$lt_port --egress-fingerprint $lt_fp --profile $_prof $*"
	# shellcheck disable=SC2034,SC2154 # for the tests; pw_* from pw_start (t/lib.sh)
	client_port=$pw_port client_pid=$pw_pid
}

lanc_two_turns() {
	lanturn_up "$1"
	lanc_turn a
	# shellcheck disable=SC2034,SC2154 # for the tests; turn_* from turn_start (t/lib-turn.sh)
	a_port=$turn_port a_pid=$turn_pid
	lanc_turn b
	# shellcheck disable=SC2034,SC2154 # for the tests; turn_* from turn_start (t/lib-turn.sh)
	b_port=$turn_port b_pid=$turn_pid
	{
		lanc_cred "turn:127.0.0.1:$a_port"
		lanc_cred "turn:127.0.0.1:$b_port"
	} >"$T/cred"
	lanc_client client bulk "turn:127.0.0.1:$a_port" "turn:127.0.0.1:$b_port"
}

# lanc_fetch LABEL FILE SECONDS: FILE from the httpd through the
# socks-client of lanc_client, sha256-exact, within SECONDS (for the
# slow profiles); sets fetch_ms.
lanc_fetch() {
	_t0=$(date +%s%N)
	# shellcheck disable=SC2154 # url comes from lanturn_up (t/lib-lanturn.sh)
	curl -sS --max-time "$3" -o "$T/$1.got" --socks5-hostname "127.0.0.1:$client_port" "$url/$2" \
		2>"$T/$1.cerr" || fail "$1: curl: $(cat "$T/$1.cerr")"
	# shellcheck disable=SC2034 # for the tests
	fetch_ms=$((($(date +%s%N) - _t0) / 1000000))
	[ "$(pw_sha "$T/$1.got")" = "$(pw_sha "$T/www/$2")" ] ||
		fail "$1: sha256 mismatch ($(wc -c <"$T/$1.got") of $(wc -c <"$T/www/$2") bytes)"
	rm -f "$T/$1.got"
}

# lanc_paced LABEL FILE MBPS [MARK]: fetch FILE in the background through
# the socks-client of lanc_client, read no faster than MBPS megabytes a
# second (get.py); its lines ("status=0", "mark" after MARK bytes, default
# 1 MB, "total=N sha256=H")
# go to $T/LABEL.out. Sets paced_pid. lanc_paced_check LABEL FILE waits for
# it and checks the digest.
lanc_paced() {
	# shellcheck disable=SC2154 # httpd_port comes from pw_httpd (t/lib.sh)
	python3 "$PW_PY/get.py" --rate "$3" --mark "${4:-1000000}" "127.0.0.1:$client_port" 127.0.0.1 \
		"$httpd_port" "$2" >"$T/$1.out" 2>"$T/$1.perr" &
	paced_pid=$!
	pw_track "$paced_pid"
}

lanc_paced_check() {
	pw_wait "$paced_pid" 120
	# shellcheck disable=SC2154 # pw_rc comes from pw_wait (t/lib.sh)
	[ "$pw_rc" = 0 ] || fail "$1: get.py exit $pw_rc: $(cat "$T/$1.out" "$T/$1.perr")"
	grep -q "^total=$(wc -c <"$T/www/$2") sha256=$(pw_sha "$T/www/$2")\$" "$T/$1.out" ||
		fail "$1: $(tail -n 2 "$T/$1.out")"
}
