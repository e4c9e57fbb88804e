# SPDX-License-Identifier: MIT
# t/lib-meeks.sh — helpers for the meek-server tests (t/sh/2NN-meek-*.t),
# sourced after t/lib.sh.
#
#   meeks_unix_echo NAME          socat echo on unix:$T/NAME.sock (waits for the socket)
#   meeks_unix_cmd NAME CMD       socat on unix:$T/NAME.sock running CMD per connection
#   meeks_start [ARG…]            meek-server -l tcp:127.0.0.1:0 ARG…; sets meeks_port,
#                                 meeks_pid (and meeks_admin when --admin was given)
#   meeks_req LABEL STEP…         t/helpers/meek-req.py against it; output in meeks_out
#   meeks_want LABEL TEXT         fail unless meeks_out has a line starting with TEXT
#   meeks_metric NAME             a counter from the admin /metrics (needs --admin)
#   meeks_until_metric NAME VALUE wait (bounded) until the counter reaches VALUE
#   meeks_sid                     a fresh 32-hex session id
# pw_* variables come from t/lib.sh, which is sourced first; meeks_* are for the tests.
# shellcheck disable=SC2154,SC2034
MEEK_REQ="$PW_PY/meek-req.py"

meeks_wait_sock() {
	_i=0
	while [ ! -S "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 5000 ] || fail "socket $1 never appeared"
		kill -0 "$2" 2>/dev/null || fail "the process for $1 died"
	done
}

meeks_unix_echo() {
	pw_start_bg "$1" socat "UNIX-LISTEN:$T/$1.sock,fork" EXEC:cat
	meeks_wait_sock "$T/$1.sock" "$pw_pid"
}

meeks_unix_cmd() {
	pw_start_bg "$1" socat "UNIX-LISTEN:$T/$1.sock,fork" "SYSTEM:$2"
	meeks_wait_sock "$T/$1.sock" "$pw_pid"
}

meeks_start() {
	_n=1
	for _a in "$@"; do
		[ "$_a" = --admin ] && _n=2
	done
	pw_start meeks "$_n" "$PW_BIN/meek-server" -l tcp:127.0.0.1:0 "$@"
	meeks_port=$pw_port
	meeks_pid=$pw_pid
	meeks_admin=$pw_ep2
}

meeks_req() {
	_label=$1
	shift
	meeks_out=$(python3 "$MEEK_REQ" "127.0.0.1:$meeks_port" "$@" 2>&1) ||
		fail "$_label: $meeks_out"
	note "$_label: $(printf '%s' "$meeks_out" | tr '\n' ' ' | cut -c1-300)"
}

meeks_want() {
	printf '%s\n' "$meeks_out" | grep -q "^$2" ||
		fail "$1: want a line starting with '$2', got: $meeks_out"
}

meeks_metric() {
	python3 "$MEEK_REQ" "$meeks_admin" '{"method":"GET","path":"/metrics","text":true}' |
		awk -v k="$1" '$1 == k { print $2 }'
}

meeks_until_metric() {
	_i=0
	while [ "$(meeks_metric "$1")" != "$2" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 300 ] || fail "metric $1 never reached $2 (now $(meeks_metric "$1"))"
		pw_alive meeks
	done
}

meeks_sid() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}
