# SPDX-License-Identifier: MIT
# lanturn tests: an egress behind lanturn-egress, and socks-client whose
# carrier is t/helpers/lanturn-call (the client side of a call straight
# over UDP). Sourced after t/lib.sh, whose pw_* variables it reads; the
# lt_* and client_port it sets are for the tests.
# shellcheck disable=SC2154,SC2034
#
# lanturn_up BYTES [LANTURN-EGRESS-ARG…]: pw_httpd BYTES, egress on a
# trusted UNIX listener, lanturn-egress in front of it with its admin
# listener on $T/lt.sock (sets lt_pid, lt_port, lt_fp).
lanturn_up() {
	pw_httpd "$1"
	shift
	pw_start egress 1 pw_egress -l "unix:$T/egress.sock,trusted" --allow "127.0.0.1:$httpd_port"
	pw_start lt 2 "$PW_BIN/lanturn-egress" -l udp:127.0.0.1:0 -u "unix:$T/egress.sock" \
		--admin "unix:$T/lt.sock" "$@"
	lt_pid=$pw_pid
	lt_port=${pw_ep##*:}
	lt_fp=$(awk '$1 == "fingerprint" { print $2 }' "$T/lt.out")
	[ -n "$lt_fp" ] || fail "lanturn-egress printed no fingerprint"
	# shellcheck disable=SC2034 # for the tests
	url="http://127.0.0.1:$httpd_port"
}

# lanturn_client NAME PROFILE [LANTURN-CALL-ARG…]: a socks-client whose
# carrier is a call of that profile (sets client_port).
lanturn_client() {
	_n=$1
	_prof=$2
	shift 2
	pw_start "$_n" 1 pw_socks_client -l tcp:127.0.0.1:0 \
		-C "$PW_HELPERS/lanturn-call -p 127.0.0.1:$lt_port -f $lt_fp --profile $_prof $*"
	# shellcheck disable=SC2034 # for the tests
	client_port=$pw_port
}

# lt_metric NAME: a value from lanturn-egress's /metrics.
lt_metric() {
	pw_metric "$T/lt.sock" "$1"
}

# lt_wait_metric NAME OP VALUE SECONDS: wait until the metric compares
# (OP -eq, -le or -ge) or fail; polls every 100 ms, bounded.
lt_wait_metric() {
	_i=0
	while [ "$_i" -lt $(($4 * 10)) ]; do
		_v=$(lt_metric "$1")
		_ok=$(awk -v v="${_v:-x}" -v op="$2" -v w="$3" 'BEGIN {
			if (v == "x") print 0
			else print (op == "-eq" && v + 0 == w + 0) || (op == "-le" && v + 0 <= w + 0) ||
				(op == "-ge" && v + 0 >= w + 0)
		}')
		[ "$_ok" = 1 ] && return 0
		_i=$((_i + 1))
		sleep 0.1
	done
	fail "lanturn-egress: $1 is ${_v:-missing}, not $2 $3 after $4 s"
}
