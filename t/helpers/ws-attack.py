# SPDX-License-Identifier: MIT
# ws-attack.py [-s SRC] [-w SECONDS] MODE HOST:PORT [N] — hostile WebSocket
# peers for the egress's ws listener.
#
#   slow N      N connections drip an upgrade request one byte per 0.5 s
#   upgraded N  N connections upgrade, then send nothing
#   garbage     4 KiB of random bytes instead of a request
#   bigframe    upgrade, then a binary frame header announcing 2^33 bytes
#   unmasked    upgrade, then an unmasked binary frame (clients must mask)
#   pingflood   upgrade, then pings as fast as the socket takes them,
#               never reading the pongs
#   pingstall N N connections (receive buffer 4 KiB) upgrade, then each
#               sends -p pings (default 900: fewer than the egress's
#               per-WebSocket bound of 1024 queued messages) and never
#               reads the pongs, holding the connection for -w seconds
#
# slow and upgraded print "ready K" (K connections open, upgraded for
# upgraded) and, once the peer closed them all or after -w (default 30),
# "closed K of N after S s" (S counted from ready). The others print one
# line: "status=CODE" (the HTTP status answered, 0 for none), "close=CODE"
# (a Close frame's status, 0 for none), "eof=1" when the peer closed, and
# for pingflood "pings=P MB=M". pingstall prints "ready K" (K upgraded)
# once every ping is written or its connection refused, then after -w
# "closed C of K" (C closed by the peer, seen without reading: TCP state).
# Exit 0, 1 when an upgrade failed.
import base64, os, select, socket, struct, sys, time
args = sys.argv[1:]
src, wait, npings = None, 30.0, 900
while args and args[0].startswith("-"):
    if args[0] == "-s":
        src = args[1]
    elif args[0] == "-w":
        wait = float(args[1])
    elif args[0] == "-p":
        npings = int(args[1])
    args = args[2:]
mode, target = args[0], args[1]
n = int(args[2]) if len(args) > 2 else 1
host, _, port = target.rpartition(":")
port = int(port)
REQ = ("GET /attack HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n")

def conn(rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    return s

def frame(op, payload, fin=True, mask=True, length=None):
    n = len(payload) if length is None else length
    b = bytes([(0x80 if fin else 0) | op])
    m = 0x80 if mask else 0
    if n < 126:
        b += bytes([m | n])
    elif n < 65536:
        b += bytes([m | 126]) + struct.pack(">H", n)
    else:
        b += bytes([m | 127]) + struct.pack(">Q", n)
    if mask:
        k = os.urandom(4)
        return b + k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))
    return b + payload

def upgrade(s):
    s.sendall((REQ % base64.b64encode(os.urandom(16)).decode()).encode())
    h = b""
    s.settimeout(10)
    while b"\r\n\r\n" not in h:
        d = s.recv(4096)
        if not d:
            return False
        h += d
    return h.startswith(b"HTTP/1.1 101")

def closed_all(socks, t0):
    """Wait until every socket saw EOF (or an error) or the wait ran out."""
    open_ = set(socks)
    last = t0
    while open_ and time.time() - t0 < wait:
        r, _, _ = select.select(list(open_), [], [], 0.2)
        for s in r:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                open_.discard(s)
                last = time.time()
    k = len(socks) - len(open_)
    print("closed %d of %d after %.1f s" % (k, len(socks), last - t0), flush=True)
    if open_:
        print("open %d after %.1f s" % (len(open_), wait), flush=True)

def read_close(s, secs=10):
    """Read until EOF: the Close frame's code, and whether EOF came."""
    s.settimeout(secs)
    buf = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except OSError:
        return 0, 0
    code = 0
    i = buf.find(b"\x88")
    if i >= 0 and len(buf) >= i + 4 and buf[i + 1] >= 2:
        code = struct.unpack(">H", buf[i + 2:i + 4])[0]
    return code, 1

if mode == "slow":
    socks = [conn() for _ in range(n)]
    req = (REQ % base64.b64encode(os.urandom(16)).decode()).encode()
    print("ready %d" % n, flush=True)
    t0 = time.time()
    open_ = list(socks)
    i = 0
    while open_ and time.time() - t0 < wait and i < len(req):
        for s in list(open_):
            try:
                s.send(req[i:i + 1])
            except OSError:
                pass
        i += 1
        r, _, _ = select.select(open_, [], [], 0.5)
        for s in r:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if not d:
                open_.remove(s)
    closed_all(socks, t0)
elif mode == "upgraded":
    socks = []
    for _ in range(n):
        s = conn()
        try:
            ok = upgrade(s)
        except OSError:
            ok = False
        if ok:
            socks.append(s)
        else:
            s.close()
    print("ready %d" % len(socks), flush=True)
    closed_all(socks, time.time())
elif mode == "garbage":
    s = conn()
    s.sendall(os.urandom(4096))
    s.settimeout(10)
    h = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            h += d
    except OSError:
        pass
    st = int(h[9:12]) if h.startswith(b"HTTP/1.1 ") else 0
    print("status=%d eof=1" % st)
elif mode in ("bigframe", "unmasked"):
    s = conn()
    if not upgrade(s):
        print("upgrade failed")
        sys.exit(1)
    if mode == "bigframe":
        # The header and the first KiB of what it announces.
        s.sendall(frame(2, b"", length=1 << 33)[:14] + os.urandom(1024))
    else:
        s.sendall(frame(2, b"\x12\x93\x60\x5d", mask=False))
    code, eof = read_close(s)
    print("close=%d eof=%d" % (code, eof))
elif mode == "pingflood":
    s = conn()
    if not upgrade(s):
        print("upgrade failed")
        sys.exit(1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(wait)
    ping = frame(9, b"p" * 125)
    pings = 0
    t0 = time.time()
    eof = 0
    try:
        while time.time() - t0 < wait:
            s.sendall(ping * 64)
            pings += 64
    except OSError:
        eof = 1
    print("pings=%d MB=%.1f eof=%d" % (pings, pings * len(ping) / 1e6, eof))
elif mode == "pingstall":
    socks = []
    for _ in range(n):
        s = conn(4096)
        try:
            ok = upgrade(s)
        except OSError:
            ok = False
        if ok:
            socks.append(s)
        else:
            s.close()
    ping = frame(9, b"p" * 125)
    left = {s: ping * npings for s in socks}
    for s in socks:
        s.setblocking(False)
    t0 = time.time()
    while left and time.time() - t0 < wait:
        _, w, _ = select.select([], list(left), [], 0.5)
        for s in w:
            try:
                k = s.send(left[s])
            except OSError:
                del left[s]
                continue
            left[s] = left[s][k:]
            if not left[s]:
                del left[s]
    print("ready %d" % len(socks), flush=True)
    time.sleep(max(0.0, wait - (time.time() - t0)))
    closed = 0
    for s in socks:
        st = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
        if st != 1:  # not ESTABLISHED: the peer closed (CLOSE_WAIT) or reset
            closed += 1
    print("closed %d of %d" % (closed, len(socks)), flush=True)
else:
    sys.exit("unknown mode " + mode)
