# SPDX-License-Identifier: MIT
# t/lib.sh — sourced by every t/sh/*.t (POSIX sh).
#
# Gives a test: a private work dir $T (removed on exit), programs started
# with port 0 whose "ready ENDPOINT" lines are read with a bounded blocking
# read (never a sleep), a trap that stops only the PIDs the test started,
# bounded waits for exits, and small python3 clients in t/helpers/ ($PW_PY)
# for raw bytes.
#
#   pw_start NAME NREADY CMD [ARG…]   run CMD; wait for NREADY ready lines.
#       Sets pw_pid, pw_ep (first endpoint), pw_port (its TCP port) and
#       pw_ep2 (second endpoint) for the caller to keep. stdout after the
#       ready lines goes to $T/NAME.out, stderr to $T/NAME.err.
#   pw_start_bg NAME CMD [ARG…]       run CMD with no ready line (pw_pid).
#   pw_listen_port PID                 the TCP port PID listens on (polls ss).
#   pw_wait PID SECONDS                wait for a child; status in pw_rc,
#       pw_rc=timeout (and the child killed) when it outlived SECONDS.
#   pw_stop NAME [SECONDS]             SIGTERM, then pw_wait; fails unless 0;
#                                      then $T/NAME.out is complete.
#   pw_alive NAME                      fails unless NAME still runs.
#   fail MSG / note MSG / pw_sha FILE
#
# Python helpers, each documented at its top, run as python3 "$PW_PY/NAME.py":
# raw.py (scripted raw bytes), get.py (SOCKS5 / HTTP CONNECT fetch with
# marks and RSS sampling), relay.py (a stdin/stdout <-> socket pipe, for
# command carriers).
set -u

: "${PW_BIN:?PW_BIN must name the program directory}"
: "${PW_HELPERS:?PW_HELPERS must name the helper directory}"
: "${PW_TOP:=$PWD}"
PW_PY=$PW_TOP/t/helpers
# Helpers import each other (httphead.py): no __pycache__ in the tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

PW_READY_TIMEOUT=${PW_READY_TIMEOUT:-10}
PIDS=""
pw_rc=0

T=$(mktemp -d "${TMPDIR:-/tmp}/pw-t.XXXXXX") || exit 101

note() {
	printf '# %s\n' "$*"
}

# Print what the programs said, then fail the test.
fail() {
	printf 'FAIL: %s\n' "$*"
	for _f in "$T"/*.err; do
		[ -s "$_f" ] || continue
		printf -- '--- %s (last lines)\n' "$(basename "$_f")"
		tail -n 15 "$_f"
	done
	exit 1
}

pw_cleanup() {
	_st=$?
	trap - EXIT HUP INT TERM
	if [ -n "$PIDS" ]; then
		# shellcheck disable=SC2086
		kill -TERM $PIDS 2>/dev/null
		# A program ignoring SIGTERM gets SIGKILL after 5 s, not a hang.
		# shellcheck disable=SC2086
		pw_watchdog 5 $PIDS
		for _p in $PIDS; do
			wait "$_p" 2>/dev/null
		done
		kill -KILL "$pw_wd" 2>/dev/null
		wait "$pw_wd" 2>/dev/null
	fi
	rm -rf "$T"
	exit "$_st"
}
trap pw_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

pw_track() {
	PIDS="$PIDS $1"
}

pw_untrack() {
	_new=""
	for _p in $PIDS; do
		[ "$_p" = "$1" ] || _new="$_new $_p"
	done
	PIDS=$_new
}

# Read up to $1 "ready" lines from stdin; other lines go to file $2.
# Run in a child sh under timeout(1); dash's read takes one byte at a
# time from a pipe, so nothing after the last ready line is consumed.
# shellcheck disable=SC2016 # expanded by that child sh
PW_READ_READY='n=0
while [ "$n" -lt "$1" ] && IFS= read -r l; do
	case $l in
	"ready "*) n=$((n + 1)); printf "%s\n" "${l#ready }" ;;
	*) printf "%s\n" "$l" >>"$2" ;;
	esac
done
[ "$n" -eq "$1" ]'

pw_start() {
	_name=$1
	_nready=$2
	shift 2
	_fifo="$T/$_name.fifo"
	rm -f "$_fifo"
	mkfifo "$_fifo" || fail "mkfifo $_fifo"
	"$@" >"$_fifo" 2>"$T/$_name.err" &
	pw_pid=$!
	pw_track "$pw_pid"
	eval "_pw_pid_$_name=$pw_pid"
	exec 3<"$_fifo"
	_eps=$(timeout "$PW_READY_TIMEOUT" sh -c "$PW_READ_READY" sh "$_nready" "$T/$_name.out" <&3)
	_ok=$?
	# Keep draining stdout (events, later lines) so the program never blocks.
	cat <&3 >>"$T/$_name.out" &
	pw_track "$!"
	eval "_pw_cat_$_name=$!"
	exec 3<&-
	[ "$_ok" -eq 0 ] ||
		fail "$_name: no $_nready ready line(s): it exited or stayed silent for ${PW_READY_TIMEOUT}s (got: $_eps); command: $*"
	pw_ep=""
	pw_ep2=""
	pw_port=""
	for _ep in $_eps; do
		if [ -z "$pw_ep" ]; then
			pw_ep=$_ep
			case $_ep in
			tcp:*) pw_port=${_ep##*:} ;;
			esac
		elif [ -z "$pw_ep2" ]; then
			pw_ep2=$_ep
		fi
	done
}

pw_start_bg() {
	_name=$1
	shift
	"$@" >"$T/$_name.out" 2>"$T/$_name.err" &
	pw_pid=$!
	pw_track "$pw_pid"
	eval "_pw_pid_$_name=$pw_pid"
}

# The TCP port a (just started) process listens on. Peers such as
# microsocks and ss-server print no ready line; ask the kernel instead,
# a bounded number of times.
pw_listen_port() {
	_i=0
	while [ "$_i" -lt 2000 ]; do
		_port=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$1," '
			index($0, p) { n = split($4, a, ":"); print a[n]; exit }')
		if [ -n "$_port" ]; then
			echo "$_port"
			return 0
		fi
		kill -0 "$1" 2>/dev/null || return 1
		_i=$((_i + 1))
	done
	return 1
}

pw_wait() {
	_wpid=$1
	pw_watchdog "$2" "$_wpid"
	_wd=$pw_wd
	wait "$_wpid"
	pw_rc=$?
	kill -KILL "$_wd" 2>/dev/null
	wait "$_wd" 2>/dev/null
	[ $? -eq 3 ] && pw_rc=timeout
	pw_untrack "$_wpid"
	return 0
}

# pw_watchdog SECONDS PID…: one process (pid in pw_wd) that SIGKILLs the
# PIDs after SECONDS and exits 3; kill it to call it off. A single python
# process rather than a subshell: it leaves no orphaned sleep behind and
# is called off with SIGKILL, which no half-started child can lose.
pw_watchdog() {
	python3 -c 'import os, sys, time
time.sleep(float(sys.argv[1]))
for p in sys.argv[2:]:
    try:
        os.kill(int(p), 9)
    except OSError:
        pass
sys.exit(3)' "$@" >/dev/null 2>&1 &
	pw_wd=$!
}

pw_stop() {
	_pid=""
	eval "_pid=\$_pw_pid_$1"
	kill -0 "$_pid" 2>/dev/null || fail "$1 (pid $_pid) died before SIGTERM"
	kill -TERM "$_pid"
	pw_wait "$_pid" "${2:-10}"
	case $pw_rc in
	0) ;;
	timeout) fail "$1 did not exit within ${2:-10}s of SIGTERM" ;;
	*) fail "$1 exited with status $pw_rc after SIGTERM" ;;
	esac
	if grep -q 'Sanitizer' "$T/$1.err" 2>/dev/null; then
		fail "$1: sanitizer report on stderr"
	fi
	# Its stdout drain ends with it: $T/NAME.out is then complete.
	eval "_cat=\${_pw_cat_$1:-}"
	[ -z "$_cat" ] || pw_wait "$_cat" 5
}

pw_alive() {
	_pid=""
	eval "_pid=\$_pw_pid_$1"
	# A dead child stays a zombie until we wait for it: kill -0 is not enough.
	_state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$_pid/status" 2>/dev/null)
	case $_state in
	"" | Z | X) fail "$1 (pid $_pid) is no longer running" ;;
	esac
}

pw_sha() {
	sha256sum <"$1" | cut -d' ' -f1
}

# curl exit status and message -> "rc=N code=C" where C is the SOCKS5 reply
# code curl reports ("Can't complete SOCKS5 connection to X. (C)").
pw_socks_code() {
	sed -n 's/.*SOCKS5 connection to .*(\([0-9]*\)).*/\1/p' "$1" | head -n 1
}

# Processes' resident set size in kB.
pw_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# ---------------------------------------------------------------------------
# Fixtures and checks shared by the tests.

# pw_httpd BYTES: $T/www with big.bin (BYTES random bytes)
# and 1k.bin, served by the test web server (sets httpd_port, httpd_pid).
pw_httpd() {
	mkdir -p "$T/www"
	head -c "$1" /dev/urandom >"$T/www/big.bin"
	head -c 1024 /dev/urandom >"$T/www/1k.bin"
	pw_start httpd 1 "$PW_HELPERS/httpd" -l tcp:127.0.0.1:0 -d "$T/www"
	# shellcheck disable=SC2034 # for the tests
	httpd_port=$pw_port httpd_pid=$pw_pid
}

# pw_marker_file: a random marker in $pw_marker and $T/www/marker.txt (the
# marker on each of 200 lines), for tests that look for it on the wire.
pw_marker_file() {
	pw_marker=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	awk -v m="$pw_marker" 'BEGIN { for (i = 0; i < 200; i++) print m }' >"$T/www/marker.txt"
}

# Secure sessions (pipeworks-protocol(5)): pw_keys makes, once per test,
# an egress key ($T/egress.key), a users file with one user ($T/users)
# and that user's credentials ($T/credentials), all mode 600, and sets
# pw_fingerprint. pw_egress and pw_socks_client run the programs with
# them (for pw_start: they exec, so the PID is the program's).
pw_keys() {
	if [ ! -s "$T/egress.key" ]; then
		(umask 077 && "$PW_BIN/egress" --genkey >"$T/egress.key") || fail "egress --genkey"
		_secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
		(umask 077 && printf 'tester %s\n' "$_secret" >"$T/users" &&
			printf 'tester %s\n' "$_secret" >"$T/credentials") || fail "users file"
	fi
	pw_fingerprint=$("$PW_BIN/egress" --print-fingerprint --key "$T/egress.key") ||
		fail "egress --print-fingerprint"
}

# pw_egress ARG…: an egress with the test key and users; its tcp: and
# unix: listeners also take plain SOCKS5 (,socks), which the tests of
# other things speak to it.
pw_egress() {
	pw_keys
	_n=$#
	_prev=
	for _a; do
		if [ "$_prev" = -l ] || [ "$_prev" = --listen ]; then
			case $_a in
			tcp:* | unix:*) _a=$_a,socks ;;
			esac
		fi
		set -- "$@" "$_a"
		_prev=$_a
	done
	shift "$_n"
	exec "$PW_BIN/egress" --key "$T/egress.key" --users "$T/users" "$@"
}

pw_socks_client() {
	pw_keys
	exec "$PW_BIN/socks-client" --egress-fingerprint "$pw_fingerprint" \
		--credentials-file "$T/credentials" "$@"
}

# pw_tunnel BYTES [EGRESS-ARG…]: pw_httpd BYTES, then an egress allowed to
# reach it and a socks-client carrying to that egress over tcp: (sets
# egress_pid, egress_ep, egress_port, client_pid, client_port, url).
pw_tunnel() {
	pw_httpd "$1"
	shift
	pw_start egress 1 pw_egress -l tcp:127.0.0.1:0 "$@" \
		--allow "127.0.0.1:$httpd_port"
	# shellcheck disable=SC2034 # for the tests
	egress_pid=$pw_pid egress_ep=$pw_ep egress_port=$pw_port
	pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
	# shellcheck disable=SC2034 # for the tests
	client_pid=$pw_pid client_port=$pw_port url="http://127.0.0.1:$httpd_port"
}

# pw_metric SOCKET NAME: the value of NAME on an --admin listener's
# /metrics (a UNIX socket path).
pw_metric() {
	curl -sS --max-time 5 --unix-socket "$1" http://admin/metrics |
		awk -v k="$2" '$1 == k { print $2 }'
}

# pw_fetch LABEL FILE CURL-ARG…: download with curl to $T/LABEL.got and
# compare with $T/www/FILE by sha256.
pw_fetch() {
	_label=$1
	_file=$2
	shift 2
	curl -sS --max-time 30 -o "$T/$_label.got" "$@" 2>"$T/$_label.cerr"
	_rc=$?
	[ "$_rc" -eq 0 ] || fail "$_label: curl exit $_rc: $(cat "$T/$_label.cerr")"
	_want=$(pw_sha "$T/www/$_file")
	_got=$(pw_sha "$T/$_label.got")
	[ "$_want" = "$_got" ] ||
		fail "$_label: sha256 mismatch ($(wc -c <"$T/$_label.got") of $(wc -c <"$T/www/$_file") bytes)"
	rm -f "$T/$_label.got"
	note "$_label: ok"
}

# pw_refused LABEL CODES CURL-ARG…: curl through a SOCKS5 proxy must exit 97
# with a SOCKS5 reply code in CODES (a case pattern such as "2" or "4|6").
pw_refused() {
	_label=$1
	_codes=$2
	shift 2
	curl -sS --max-time 20 -o /dev/null "$@" 2>"$T/$_label.cerr"
	_rc=$?
	_code=$(pw_socks_code "$T/$_label.cerr")
	[ "$_rc" -eq 97 ] ||
		fail "$_label: curl exit $_rc, want 97 (SOCKS5 reply $_codes): $(cat "$T/$_label.cerr")"
	if ! eval "case \$_code in $_codes) true ;; *) false ;; esac"; then
		fail "$_label: SOCKS5 reply '$_code', want $_codes: $(cat "$T/$_label.cerr")"
	fi
	note "$_label: refused with reply $_code"
}

# pw_connect_status LABEL STATUS PROXY-PORT URL: HTTP CONNECT through
# 127.0.0.1:PROXY-PORT must be answered with STATUS.
pw_connect_status() {
	_st=$(curl -sS --max-time 20 -o /dev/null -w '%{http_connect}' -p \
		-x "http://127.0.0.1:$3" "$4" 2>"$T/$1.cerr")
	[ "$_st" = "$2" ] ||
		fail "$1: CONNECT answered '$_st', want $2: $(cat "$T/$1.cerr")"
	note "$1: CONNECT answered $_st"
}

# pw_hex STRING: hex of STRING with printf %b escapes (\r, \n, \0NNN).
pw_hex() {
	printf '%b' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# pw_raw LABEL TARGET ACTION…: run raw.py; its output in pw_out; fail the
# test when an expectation did not hold.
pw_raw() {
	_label=$1
	shift
	pw_out=$(python3 "$PW_PY/raw.py" "$@" 2>&1) || fail "$_label: $pw_out"
	note "$_label: $(printf '%s' "$pw_out" | tr '\n' ' ')"
}

# pw_v4 PORT: SOCKS5 "ATYP ADDR PORT" hex for 127.0.0.1:PORT.
pw_v4() {
	printf '017f000001%04x' "$1"
}
