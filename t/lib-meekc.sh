# SPDX-License-Identifier: MIT
# t/lib-meekc.sh — helpers for the meek-client tests (t/sh/21N-meekc-*.t),
# sourced after t/lib.sh (POSIX sh).
#
#   meekc_fake NAME MODE [--tls CERT KEY]
#       Start $T/meekc-fake.py, a scripted meek server (plain HTTP, or TLS
#       with CERT/KEY), on 127.0.0.1 port 0; sets meekc_fake_port. Every
#       request is logged to $T/NAME.log as one line
#       "seq=S len=L sha=H sni=N host=H sid=I max=M auth=A x=X" (header
#       values, "-" when absent; sni "-" when no SNI was sent; x is
#       X-Test). MODE:
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
#   meekc_certs DIR NAME…
#       A test CA (DIR/ca.crt) and a server certificate (DIR/srv.crt,
#       DIR/srv.key) for the names, made with openssl.
#   meekc_sink NAME
#       Start $T/meekc-sink.py on unix:$T/NAME.sock: it takes one
#       connection, reads it to EOF and exits after printing
#       "bytes=N sha256=H" (in $T/NAME.out once it exited).
#   meekc_cmd NAME CMD
#       socat on unix:$T/NAME.sock running the shell command CMD for each
#       connection (its stdout goes to the connection).
#   meekc_run LABEL RC TIMEOUT ARG…
#       Run meek-client ARG… with stdin from $T/LABEL.in (empty when
#       absent), stdout to $T/LABEL.got, stderr to $T/LABEL.err; fail
#       unless it exits with RC within TIMEOUT seconds.
# pw_* variables come from t/lib.sh, sourced first.
# shellcheck disable=SC2154,SC2034

MEEKC="$PW_BIN/meek-client"

cat >"$T/meekc-fake.py" <<'EOF'
import hashlib, os, signal, socket, socketserver, ssl, sys, threading

signal.signal(signal.SIGTERM, lambda *a: os._exit(0))

mode, log = sys.argv[1], open(sys.argv[2], "a", buffering=1)
tls = None
if len(sys.argv) > 3 and sys.argv[3] == "--tls":
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[4], sys.argv[5])
    tls.set_alpn_protocols(["http/1.1"])
lock, count, dropped = threading.Lock(), [0], []
sni_of = {}

def on_sni(sock, name, ctx):
    sni_of[id(sock)] = name or "-"

if tls:
    tls.sni_callback = on_sni

def read_request(f):
    line = f.readline()
    if not line:
        return None
    hdr = {}
    while True:
        l = f.readline()
        if l in (b"\r\n", b""):
            break
        k, _, v = l.decode("latin-1").partition(":")
        hdr[k.strip().lower()] = v.strip()
    body = f.read(int(hdr.get("content-length", "0")))
    return hdr, body

class H(socketserver.StreamRequestHandler):
    def handle(self):
        sni = "-"
        if tls:
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                return
            sni = sni_of.get(id(self.request), "-")
        while True:
            try:
                r = read_request(self.rfile)
            except (OSError, ValueError):
                return
            if r is None:
                return
            hdr, body = r
            with lock:
                count[0] += 1
                n = count[0]
            log.write("seq=%s len=%d sha=%s sni=%s host=%s sid=%s max=%s auth=%s x=%s\n" % (
                hdr.get("x-meek-seq", "-"), len(body), hashlib.sha256(body).hexdigest()[:16],
                sni, hdr.get("host", "-"), hdr.get("x-session-id", "-"),
                hdr.get("x-meek-max-body", "-"), hdr.get("x-meek-auth", "-"),
                hdr.get("x-test", "-")))
            status, extra, out = 200, "", body
            if mode.startswith("dropdata") and body and not dropped:
                dropped.append(1)
                return
            if mode == "garbage":
                self.wfile.write(b"\x16\x03\x01 not http at all\r\n\r\n")
                return
            if mode == "huge":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" %
                                 (int(hdr.get("x-meek-max-body", "0")) + 1))
                return
            if mode.startswith("status:"):
                status, out = int(mode[7:]), b""
            if mode.startswith("gone:") and n > int(mode[5:]):
                status, out = 410, b""
            if mode.endswith("close"):
                extra = "Connection: close\r\n"
            if mode == "chunked":
                head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                parts = [b"%x\r\n%s\r\n" % (len(out[i:i + 1000]), out[i:i + 1000])
                         for i in range(0, len(out), 1000)]
                self.wfile.write(head.encode() + b"".join(parts) + b"0\r\n\r\n")
            else:
                head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n" % (status, len(out), extra)
                self.wfile.write(head.encode() + out)
            self.wfile.flush()
            if extra or status != 200:
                return

class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    def get_request(self):
        s, a = self.socket.accept()
        if tls:
            s = tls.wrap_socket(s, server_side=True, do_handshake_on_connect=False)
        return s, a

srv = S(("127.0.0.1", 0), H)
print("ready tcp:127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
EOF

cat >"$T/meekc-sink.py" <<'EOF'
import hashlib, os, socket, sys

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
print("ready unix:" + path, flush=True)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
print("bytes=%d sha256=%s" % (n, h.hexdigest()), flush=True)
os.unlink(path)
EOF

meekc_sink() {
	pw_start "$1" 1 python3 "$T/meekc-sink.py" "$T/$1.sock"
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
	pw_start "$_fname" 1 python3 "$T/meekc-fake.py" "$_fmode" "$T/$_fname.log" "$@"
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
	python3 - "$@" <<'EOF' || fail "never saw '$2' in $1: $(tail -c 200 "$1" 2>/dev/null)"
import os, sys, time
path, text, end = sys.argv[1], sys.argv[2].encode(), time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    try:
        if text in open(path, "rb").read():
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.02)
sys.exit(1)
EOF
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
