#!/bin/sh
# SPDX-License-Identifier: MIT
# A client that stops reading: it pipelines 40 polls for one session and
# reads nothing while the upstream pushes 200 MB. meek-server's
# downstream buffer is bounded (4 x --max-body) and it stops reading the
# upstream, so its RSS stays flat; when the client reads again every
# answer arrives, each within the cap, in order.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-meeks.sh"

pw_start push 1 python3 "$PW_PY/meek-echo.py" "unix:$T/push.sock" --push 200000000
meeks_start -u "unix:$T/push.sock"
python3 - "$meeks_port" "$meeks_pid" <<'PY' || fail "slow reader"
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
sid = os.urandom(16).hex()
def req(seq):
    # The first carries a byte: a session (and its upstream) starts with a body.
    body = b"x" if seq == 0 else b""
    return ("POST / HTTP/1.1\r\nHost: m\r\nX-Session-Id: %s\r\nX-Meek-Seq: %d\r\n"
            "X-Meek-Max-Body: 262144\r\nContent-Length: %d\r\n\r\n" % (sid, seq, len(body))).encode() + body
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.sendall(b"".join(req(i) for i in range(40)))
base = rss()
peak = base
for _ in range(30):
    time.sleep(0.1)
    peak = max(peak, rss())
print("# while stalled: rss %d kB -> peak %d kB" % (base, peak))
if peak - base > 16384:
    sys.exit("RSS grew by %d kB while the client read nothing" % (peak - base))
f = s.makefile("rb")
total = 0
for i in range(40):
    st = f.readline().split()
    n = 0
    while True:
        l = f.readline()
        if l in (b"\r\n", b""):
            break
        k, _, v = l.partition(b":")
        if k.lower() == b"content-length":
            n = int(v)
    if st[1] != b"200" or n > 262144:
        sys.exit("answer %d: %r, %d bytes" % (i, st, n))
    total += len(f.read(n))
    peak = max(peak, rss())
print("# then read %d answers, %d bytes; peak rss %d kB" % (40, total, peak))
if total < 1048576:
    sys.exit("only %d bytes in 40 answers" % total)
if peak - base > 16384:
    sys.exit("RSS grew by %d kB" % (peak - base))
PY
pw_stop meeks
