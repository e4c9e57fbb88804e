# SPDX-License-Identifier: MIT
# t/lib.sh — sourced by every t/sh/*.t (POSIX sh).
#
# Gives a test: a private work dir $T (removed on exit), programs started
# with port 0 whose "ready ENDPOINT" lines are read with a bounded blocking
# read (never a sleep), a trap that stops only the PIDs the test started,
# bounded waits for exits, and small python3 clients in $T for raw bytes.
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
# Helpers written into $T: raw.py (scripted raw bytes, see below),
# get.py (SOCKS5 / HTTP CONNECT fetch with marks and RSS sampling),
# relay.py (a stdin/stdout <-> socket pipe, for command carriers).
set -u

: "${PW_BIN:?PW_BIN must name the program directory}"
: "${PW_HELPERS:?PW_HELPERS must name the helper directory}"
: "${PW_TOP:=$PWD}"

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
# raw.py TARGET ACTION…  — TARGET is HOST:PORT or unix:/path. Actions:
#   s:HEX   send          d:HEX  send one byte at a time (1 ms apart)
#   z:N     send N garbage bytes (stops quietly when the peer closes)
#   A:N     the same with N letters "a" (a huge header line, a long name)
#   x:HEX   expect exactly these bytes next     r:N  read N bytes, print their hex
#   rep     read a SOCKS5 reply, print "rep=N"  l  read one line, print it
#   h       shut down writing                   p:S  pause S seconds
#   c       expect the peer to close within 5 s (EOF or reset); bytes read
#           before the close are printed as "data=HEX"
#   open    expect the connection still open after 0.5 s of silence
# Exit 0 when every expectation held, 1 otherwise (message on stdout).
cat >"$T/raw.py" <<'EOF'
import os, socket, sys, time

def die(msg):
    print("raw: " + msg, flush=True)
    sys.exit(1)

def conn(target):
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(target[5:])
    else:
        h, _, p = target.rpartition(":")
        s = socket.create_connection((h.strip("[]"), int(p)), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    return s

def readn(s, n):
    b = b""
    while len(b) < n:
        try:
            c = s.recv(n - len(b))
        except socket.timeout:
            die("timeout after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        except ConnectionResetError:
            die("reset after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        if not c:
            die("EOF after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        b += c
    return b

s = conn(sys.argv[1])
for a in sys.argv[2:]:
    op, _, arg = a.partition(":")
    if op == "s":
        s.sendall(bytes.fromhex(arg))
    elif op == "d":
        for byte in bytes.fromhex(arg):
            s.sendall(bytes([byte]))
            time.sleep(0.001)
    elif op in ("z", "A"):
        n, sent, x = int(arg), 0, 0x9E3779B9
        chunk = bytes((x * (i + 1) >> 13) & 0xFF for i in range(65536)) if op == "z" else b"a" * 65536
        try:
            while sent < n:
                sent += s.send(chunk[: min(65536, n - sent)])
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            print("garbage: peer stopped taking bytes after %d (%s)" % (sent, type(e).__name__), flush=True)
    elif op == "x":
        want = bytes.fromhex(arg)
        got = readn(s, len(want))
        if got != want:
            die("expected %s, got %s" % (want.hex(), got.hex()))
    elif op == "r":
        b = readn(s, int(arg))
        print(b[:32].hex() + ("… (%d bytes)" % len(b) if len(b) > 32 else ""), flush=True)
    elif op == "rep":
        h = readn(s, 4)
        if h[0] != 5:
            die("not a SOCKS5 reply: %s" % h.hex())
        alen = {1: 4, 4: 16}.get(h[3])
        if alen is None and h[3] == 3:
            alen = readn(s, 1)[0]
        if alen is None:
            die("bad ATYP in reply: %s" % h.hex())
        readn(s, alen + 2)
        print("rep=%d" % h[1], flush=True)
    elif op == "l":
        b = b""
        while not b.endswith(b"\n"):
            b += readn(s, 1)
        print(b.decode("latin-1").rstrip("\r\n"), flush=True)
    elif op == "h":
        s.shutdown(socket.SHUT_WR)
    elif op == "p":
        time.sleep(float(arg))
    elif op == "c":
        data, end = b"", time.monotonic() + 5
        while True:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                c = s.recv(65536)
            except socket.timeout:
                die("still open after 5 s (data=%s)" % data[:64].hex())
            except ConnectionResetError:
                c = b""
            if not c:
                break
            data += c
            if len(data) > 1 << 20:
                die("more than 1 MiB of answer")
        if data:
            print("data=" + data[:256].hex(), flush=True)
        print("closed", flush=True)
    elif op == "open":
        s.settimeout(0.5)
        try:
            c = s.recv(1)
            die("expected silence, got %s" % ("EOF" if not c else c.hex()))
        except socket.timeout:
            pass
        s.settimeout(5)
    else:
        die("unknown action " + a)
sys.exit(0)
EOF

# ---------------------------------------------------------------------------
# get.py [options] PROXY HOST PORT PATH — fetch http://HOST:PORT/PATH through
# a SOCKS5 proxy (default) or an HTTP CONNECT proxy (--http), PROXY being
# HOST:PORT. Prints "status=N" (the SOCKS5 reply or CONNECT status), then
# "mark" once --mark BYTES of body arrived, then "total=N sha256=H".
#   --stall S      read nothing for S seconds after the request
#   --rate MBPS    read no faster than this
#   --rss PID,…    sample these PIDs' VmRSS (kB) and print "rss PID base max"
#                  (base taken after the stall begins, max over the transfer)
#   --mark B[,B…]  print "mark" each time that many body bytes have arrived
#   --markfile F   write "mark" to F (a fifo) instead of stdout
cat >"$T/get.py" <<'EOF'
import hashlib, socket, sys, time

args, opts = [], {"stall": 0.0, "rate": 0.0, "rss": "", "mark": -1, "markfile": "", "http": False}
it = iter(sys.argv[1:])
for a in it:
    if a == "--http":
        opts["http"] = True
    elif a.startswith("--"):
        opts[a[2:]] = next(it)
    else:
        args.append(a)
proxy, host, port, path = args
ph, _, pp = proxy.rpartition(":")
stall, rate = float(opts["stall"]), float(opts["rate"])
marks = sorted(int(m) for m in str(opts["mark"]).split(",") if int(m) >= 0)
pids = [p for p in opts["rss"].split(",") if p]

def rss(pid):
    try:
        for line in open("/proc/%s/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return -1
    return -1

s = socket.create_connection((ph, int(pp)), timeout=20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb", buffering=0)

def readn(n):
    b = b""
    while len(b) < n:
        c = f.read(n - len(b))
        if not c:
            print("EOF in proxy reply", flush=True)
            sys.exit(1)
        b += c
    return b

if opts["http"]:
    s.sendall(b"CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n" % (host.encode(), port.encode(), host.encode(), port.encode()))
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += readn(1)
    code = int(head.split()[1])
    print("status=%d" % code, flush=True)
    if code != 200:
        sys.exit(2)
else:
    s.sendall(b"\x05\x01\x00")
    if readn(2) != b"\x05\x00":
        print("bad method reply", flush=True)
        sys.exit(1)
    hb = host.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(hb)]) + hb + int(port).to_bytes(2, "big"))
    h = readn(4)
    readn({1: 4, 4: 16}.get(h[3], 0) + 2 if h[3] != 3 else readn(1)[0] + 2)
    print("status=%d" % h[1], flush=True)
    if h[1] != 0:
        sys.exit(2)

s.sendall(b"GET /%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" % (path.encode(), host.encode(), port.encode()))
base = {p: rss(p) for p in pids}
peak = dict(base)
if stall:
    time.sleep(stall / 2)
    for p in pids:
        peak[p] = max(peak[p], rss(p))
    time.sleep(stall / 2)
for p in pids:
    peak[p] = max(peak[p], rss(p))
head = b""
while b"\r\n\r\n" not in head:
    c = f.read(1)
    if not c:
        print("EOF in HTTP head", flush=True)
        sys.exit(1)
    head += c
length = None
for line in head.split(b"\r\n")[1:]:
    k, _, v = line.partition(b":")
    if k.strip().lower() == b"content-length":
        length = int(v)
print("http=%s" % head.split()[1].decode(), flush=True)
h, total, t0, nsample = hashlib.sha256(), 0, time.monotonic(), 0
while True:
    c = f.read(65536)
    if not c:
        break
    h.update(c)
    total += len(c)
    while marks and marks[0] <= total:
        marks.pop(0)
        if opts["markfile"]:
            with open(opts["markfile"], "w") as m:
                m.write("mark\n")
        else:
            print("mark", flush=True)
    if pids and total // (4 << 20) != nsample:
        nsample = total // (4 << 20)
        for p in pids:
            peak[p] = max(peak[p], rss(p))
    if rate:
        ahead = total / (rate * 1e6) - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
for p in pids:
    print("rss %s %d %d" % (p, base[p], peak[p]), flush=True)
print("total=%d sha256=%s" % (total, h.hexdigest()), flush=True)
if length is not None and total != length:
    print("short body: %d of %d" % (total, length), flush=True)
    sys.exit(1)
EOF

# ---------------------------------------------------------------------------
# relay.py unix:/path | HOST:PORT — stdin -> socket, socket -> stdout; a
# command carrier for socks-client -C "python3 $T/relay.py …".
cat >"$T/relay.py" <<'EOF'
import os, socket, sys, threading
t = sys.argv[1]
if t.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(t[5:])
else:
    h, _, p = t.rpartition(":")
    s = socket.create_connection((h, int(p)))
def up():
    while True:
        b = os.read(0, 65536)
        if not b:
            s.shutdown(socket.SHUT_WR)
            return
        s.sendall(b)
threading.Thread(target=up, daemon=True).start()
while True:
    b = s.recv(65536)
    if not b:
        break
    while b:
        b = b[os.write(1, b):]
EOF

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

# pw_tunnel BYTES [EGRESS-ARG…]: pw_httpd BYTES, then an egress allowed to
# reach it and a socks-client carrying to that egress over tcp: (sets
# egress_pid, egress_ep, egress_port, client_pid, client_port, url).
pw_tunnel() {
	pw_httpd "$1"
	shift
	pw_start egress 1 "$PW_BIN/egress" -l tcp:127.0.0.1:0 "$@" \
		--allow "127.0.0.1:$httpd_port"
	# shellcheck disable=SC2034 # for the tests
	egress_pid=$pw_pid egress_ep=$pw_ep egress_port=$pw_port
	pw_start client 1 "$PW_BIN/socks-client" -l tcp:127.0.0.1:0 -C "$egress_ep"
	# shellcheck disable=SC2034 # for the tests
	client_pid=$pw_pid client_port=$pw_port url="http://127.0.0.1:$httpd_port"
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
	pw_out=$(python3 "$T/raw.py" "$@" 2>&1) || fail "$_label: $pw_out"
	note "$_label: $(printf '%s' "$pw_out" | tr '\n' ' ')"
}

# pw_v4 PORT: SOCKS5 "ATYP ADDR PORT" hex for 127.0.0.1:PORT.
pw_v4() {
	printf '017f000001%04x' "$1"
}
