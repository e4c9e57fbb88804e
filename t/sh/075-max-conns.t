#!/bin/sh
# SPDX-License-Identifier: MIT
# egress --max-conns N: with N clients held open, further clients are not
# served (closed or left waiting), its descriptors stay bounded, and once
# the held clients leave a new one is served again. The --admin listener,
# with its own limit, answers /metrics while the public one is full.
. "$PW_TOP/t/lib.sh"

N=3
pw_httpd 1000
pw_start egress 2 "$PW_BIN/egress" -l tcp:127.0.0.1:0 --max-conns "$N" \
	--admin "unix:$T/admin.sock" --allow "127.0.0.1:$httpd_port"
egress_pid=$pw_pid egress_port=$pw_port
pw_fetch before 1k.bin --socks5 "127.0.0.1:$egress_port" "http://127.0.0.1:$httpd_port/1k.bin"

python3 - "$egress_port" "$N" "$egress_pid" "$T/admin.sock" <<'PY' || fail "max-conns check failed"
import os, socket, sys, time
port, n, pid, admin = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]

def fds():
    return len(os.listdir("/proc/%s/fd" % pid))

def metrics():
    a = socket.socket(socket.AF_UNIX)
    a.settimeout(5)
    a.connect(admin)
    a.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    body = b""
    while True:
        b = a.recv(65536)
        if not b:
            break
        body += b
    a.close()
    return body

def greet(timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"\x05\x01\x00")
    s.settimeout(timeout)
    try:
        a = s.recv(2)
    except socket.timeout:
        a = None
    except ConnectionResetError:
        a = b""
    return s, a

base = fds()
held = []
for i in range(n):
    s, a = greet(5)
    if a != b"\x05\x00":
        sys.exit("held client %d was not served: %r" % (i, a))
    held.append(s)
extra, closed = [], 0
for i in range(20):
    s, a = greet(0.3)
    if a == b"\x05\x00":
        sys.exit("client %d beyond --max-conns %d was served" % (n + i + 1, n))
    extra.append(s)
    closed += a == b""
print("# 20 clients beyond the limit: %d closed, %d left waiting" % (closed, 20 - closed))
peak = fds()
print("# egress descriptors: %d before, %d with %d held and 20 more trying" % (base, peak, n))
m = metrics()
if not m.startswith(b"HTTP/1.") or b" 200 " not in m.split(b"\r\n")[0] or b"egress_" not in m:
    sys.exit("admin listener while --max-conns is full: %r" % m[:200])
print("# the admin listener answered /metrics (%d bytes) while --max-conns was full" % len(m))
if peak > base + n + 4:
    sys.exit("egress holds %d descriptors, want at most %d" % (peak, base + n + 4))
for s in held + extra:
    s.close()
deadline = time.monotonic() + 5
while True:
    s, a = greet(1)
    s.close()
    if a == b"\x05\x00":
        break
    if time.monotonic() > deadline:
        sys.exit("not served again 5 s after the held clients left")
print("# served again after the held clients left")
PY
pw_fetch after 1k.bin --socks5 "127.0.0.1:$egress_port" "http://127.0.0.1:$httpd_port/1k.bin"
pw_stop egress
