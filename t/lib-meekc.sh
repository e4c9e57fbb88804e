# SPDX-License-Identifier: MIT
# t/lib-meekc.sh — helpers for the meek-client tests (t/sh/21N-meekc-*.t),
# sourced after t/lib.sh (POSIX sh).
#
#   meekc_fake NAME MODE [--tls CERT KEY]
#       Start t/helpers/meekc-fake.py, a scripted meek server (plain HTTP, or TLS
#       with CERT/KEY), on 127.0.0.1 port 0; sets meekc_fake_port. Every
#       request is logged to $T/NAME.log as one line
#       "seq=S len=L sha=H sni=N host=H sid=I max=M auth=A x=X pipe=P"
#       (header values, "-" when absent; sni "-" when no SNI was sent; x is
#       X-Test, pipe X-Meek-Pipeline with blanks removed). MODE:
#         echo       200, body = request body, keep-alive
#         dropdata   the first request with a body is read whole, then the
#                    connection is closed without an answer; else echo
#         dropdata-close  the same, with Connection: close on every answer
#                    (so the lost answer was on a fresh connection)
#         chunked    like echo, but the answer is re-chunked in 1000-byte
#                    chunks (what a CDN may do)
#         close      like echo, with Connection: close on every answer
#         status:N   every answer has status N (Content-Length 0)
#         garbage    bytes that are not HTTP, then close
#         huge       a 200 whose Content-Length is X-Meek-Max-Body + 1
#         gone:K     echo for K requests, then 410
#         html       200 with an HTML page (Content-Type text/html), keep-alive
#         redirect   301 to https://www.example.com/
#         page404    404 with an HTML page
#         teapot     418, a status no meek server sends
#         busy:K     503 with an HTML page (a front's error page) for K
#                    requests, then echo
#   meekc_certs DIR NAME…
#       A test CA (DIR/ca.crt) and a server certificate (DIR/srv.crt,
#       DIR/srv.key) for the names, made with openssl.
#   meekc_sink NAME
#       Start t/helpers/meekc-sink.py on unix:$T/NAME.sock: it takes one
#       connection, reads it to EOF and exits after printing
#       "bytes=N sha256=H" (in $T/NAME.out once it exited).
#   meekc_cmd NAME CMD
#       socat on unix:$T/NAME.sock running the shell command CMD for each
#       connection (its stdout goes to the connection).
#   meekc_run LABEL RC TIMEOUT ARG…
#       Run meek-client ARG… with stdin from $T/LABEL.in (empty when
#       absent), stdout to $T/LABEL.got, stderr to $T/LABEL.err; fail
#       unless it exits with RC within TIMEOUT seconds.
#   meekc_pressure GROW_KB ARG…
#       Against a meek-server whose upstream pushes (meek-echo.py --push
#       40000000): meek-client ARG… whose reader stalls 2 s and reads 30 MB
#       (RSS may grow by less than GROW_KB kB), then leaves (exit 0, "stdout
#       closed by the reader"; stderr in $T/slow.err); then another whose
#       reader sends SIGTERM after 5 MB (exit 0 at once, $T/term.err).
# pw_* variables come from t/lib.sh, sourced first.
# shellcheck disable=SC2154,SC2034

MEEKC="$PW_BIN/meek-client"

meekc_sink() {
	pw_start "$1" 1 python3 "$PW_PY/meekc-sink.py" "$T/$1.sock"
}

meekc_cmd() {
	pw_start_bg "$1" socat "UNIX-LISTEN:$T/$1.sock,fork" "SYSTEM:$2"
	_i=0
	while [ ! -S "$T/$1.sock" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 20000 ] || fail "socat never made $T/$1.sock"
		kill -0 "$pw_pid" 2>/dev/null || fail "socat for $1 died"
	done
}

meekc_fake() {
	_fname=$1
	_fmode=$2
	shift 2
	: >"$T/$_fname.log"
	pw_start "$_fname" 1 python3 "$PW_PY/meekc-fake.py" "$_fmode" "$T/$_fname.log" "$@"
	meekc_fake_port=$pw_port
}

meekc_certs() {
	_cdir=$1
	shift
	mkdir -p "$_cdir"
	_san=""
	for _n in "$@"; do
		_san="${_san:+$_san,}DNS:$_n"
	done
	printf 'subjectAltName=%s\n' "$_san" >"$_cdir/ext"
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$_cdir/ca.key" -out "$_cdir/ca.crt" -days 2 -subj /CN=pw-test-ca &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout "$_cdir/srv.key" -out "$_cdir/srv.csr" -subj "/CN=$1" &&
			openssl x509 -req -in "$_cdir/srv.csr" -CA "$_cdir/ca.crt" -CAkey "$_cdir/ca.key" \
				-CAcreateserial -out "$_cdir/srv.crt" -days 2 -extfile "$_cdir/ext"
	} >"$_cdir/openssl.log" 2>&1 || fail "openssl: $(tail -n 3 "$_cdir/openssl.log")"
}

# meekc_until FILE TEXT SECONDS: wait until FILE contains TEXT (it is
# written by a process under test); fail after SECONDS.
meekc_until() {
	python3 "$PW_PY/wait-for.py" "$@" || fail "never saw '$2' in $1: $(tail -c 200 "$1" 2>/dev/null)"
}

meekc_run() {
	_mlabel=$1
	_mrc=$2
	_mto=$3
	shift 3
	[ -f "$T/$_mlabel.in" ] || : >"$T/$_mlabel.in"
	"$MEEKC" "$@" <"$T/$_mlabel.in" >"$T/$_mlabel.got" 2>"$T/$_mlabel.err" &
	_mpid=$!
	pw_track "$_mpid"
	pw_wait "$_mpid" "$_mto"
	[ "$pw_rc" = "$_mrc" ] ||
		fail "$_mlabel: meek-client exit $pw_rc, want $_mrc: $(tail -n 5 "$T/$_mlabel.err")"
	if grep -q 'Sanitizer' "$T/$_mlabel.err"; then
		fail "$_mlabel: sanitizer report: $(head -n 20 "$T/$_mlabel.err")"
	fi
	note "$_mlabel: exit $pw_rc"
}

# meekc_slow_start ERR ARG…: meek-client ARG… reading the fifo $T/in.fifo
# (kept open on fd 5) and writing $T/out.fifo, stderr to $T/ERR; one byte
# gets the upstream dialled. Sets mpid.
meekc_slow_start() {
	_err=$1
	shift
	exec 5<>"$T/in.fifo"
	"$MEEKC" "$@" <"$T/in.fifo" >"$T/out.fifo" 2>"$T/$_err" 5>&- &
	mpid=$!
	pw_track "$mpid"
	printf x >&5
}

meekc_pressure() {
	_grow=$1
	shift
	mkfifo "$T/in.fifo" "$T/out.fifo"
	meekc_slow_start slow.err "$@"
	out=$(python3 "$PW_PY/meekc-reader.py" "$T/out.fifo" "$mpid" 2 30000000 5>&-) || fail "reader: $out"
	note "slow: $out"
	case $out in
	"total=30000000 "*) ;;
	*) fail "slow: reader got $out" ;;
	esac
	_base=$(echo "$out" | sed 's/.*rss_base=\([0-9]*\).*/\1/')
	_peak=$(echo "$out" | sed 's/.*rss_peak=\([0-9]*\).*/\1/')
	[ "$((_peak - _base))" -lt "$_grow" ] || fail "slow: RSS grew from $_base kB to $_peak kB"
	# The reader is gone: the next write fails and meek-client exits 0.
	pw_wait "$mpid" 30
	exec 5>&-
	[ "$pw_rc" = 0 ] || fail "slow: exit $pw_rc after the reader left: $(tail -n 3 "$T/slow.err")"
	grep -q 'stdout closed by the reader' "$T/slow.err" || fail "slow: $(tail -n 3 "$T/slow.err")"
	grep -q Sanitizer "$T/slow.err" && fail "slow: sanitizer report"

	meekc_slow_start term.err "$@"
	out=$(python3 "$PW_PY/meekc-reader.py" "$T/out.fifo" "$mpid" 0 5000000 term 5>&-) || fail "reader: $out"
	pw_wait "$mpid" 10
	exec 5>&-
	[ "$pw_rc" = 0 ] || fail "sigterm: exit $pw_rc: $(tail -n 3 "$T/term.err")"
	grep -q 'signal 15' "$T/term.err" || fail "sigterm: $(tail -n 3 "$T/term.err")"
	grep -q Sanitizer "$T/term.err" && fail "sigterm: sanitizer report"
	note "sigterm: exit 0 after $(echo "$out" | cut -d' ' -f1)"
}
