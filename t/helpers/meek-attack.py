# SPDX-License-Identifier: MIT
# meek-attack.py MODE HOST:PORT [options] — hostile meek clients for the
# attack tests (t/sh/24x-meek-*.t). One address, many requests, fast.
#
#   flood N   N new sessions (fresh X-Session-Id each), each one POST with
#             a 3-byte body (a SOCKS5 greeting that never goes on), over
#             --conns keep-alive connections in parallel. Prints
#             "flood sent=N elapsed=S" and a "status=CODE count=K" line per
#             status ("closed" for a connection the server dropped).
#   empty N   the same with empty bodies.
#   stall N   N connections, each a POST head with Content-Length --clen and
#             --part bytes of its body, then silence. Prints "ready N" once
#             all are sent, then "closed K after S" whenever the count of
#             connections the server closed grows (at most once a second),
#             until all are closed or --hold seconds pass; then "end K".
# Options: --src IP (bind the source address: 127.0.0.2 is another client
# on loopback), --auth TOKEN, --xff VALUE, --conns C (flood/empty, default
# 16), --clen N (65536), --part N (1000), --hold S (60).
import os, selectors, socket, sys, time


def opt(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


mode, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0
host, _, port = target.rpartition(":")
src = opt("--src", None)
auth = opt("--auth", None)
xff = opt("--xff", None)


def connect():
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    if src:
        s.bind((src, 0))
    s.connect((host.strip("[]"), int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def head(sid, clen):
    h = "POST / HTTP/1.1\r\nHost: meek.example\r\nContent-Type: application/octet-stream\r\n"
    h += "X-Session-Id: %s\r\nContent-Length: %d\r\n" % (sid, clen)
    if auth:
        h += "X-Meek-Auth: %s\r\n" % auth
    if xff:
        h += "X-Forwarded-For: %s\r\n" % xff
    return (h + "\r\n").encode()


def read_answer(f):
    st = f.readline().split()
    if len(st) < 2:
        return "closed", True
    n, close = 0, False
    while True:
        l = f.readline()
        if l in (b"\r\n", b""):
            break
        k, _, v = l.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            n = int(v)
        elif k == b"connection" and v.strip().lower() == b"close":
            close = True
    f.read(n)
    return st[1].decode(), close


def flood(body):
    import threading
    conns = int(opt("--conns", "16"))
    counts, lock, left = {}, threading.Lock(), [count]

    def worker():
        s = f = None
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            try:
                if s is None:
                    s = connect()
                    f = s.makefile("rb")
                s.sendall(head(os.urandom(16).hex(), len(body)) + body)
                st, close = read_answer(f)
            except OSError:
                st, close = "closed", True
            with lock:
                counts[st] = counts.get(st, 0) + 1
            if close and s is not None:
                s.close()
                s = None
        if s is not None:
            s.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("flood sent=%d elapsed=%.2f" % (count, time.monotonic() - t0))
    for k in sorted(counts):
        print("status=%s count=%d" % (k, counts[k]))


def stall():
    clen, part, hold = int(opt("--clen", "65536")), int(opt("--part", "1000")), float(opt("--hold", "60"))
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(count):
        s = connect()
        s.sendall(head(os.urandom(16).hex(), clen) + b"x" * part)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    print("ready %d" % len(socks), flush=True)
    t0, closed, shown = time.monotonic(), 0, -1
    while closed < len(socks) and time.monotonic() - t0 < hold:
        for key, _ in sel.select(timeout=1.0):
            try:
                d = key.fileobj.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                closed += 1
        if closed != shown:
            print("closed %d after %.1f" % (closed, time.monotonic() - t0), flush=True)
            shown = closed
    print("end %d" % closed, flush=True)


if mode == "flood":
    flood(b"\x05\x01\x00")
elif mode == "empty":
    flood(b"")
elif mode == "stall":
    stall()
else:
    sys.exit("meek-attack.py: unknown mode " + mode)
