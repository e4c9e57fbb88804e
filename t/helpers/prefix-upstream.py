# SPDX-License-Identifier: MIT
# prefix-upstream.py HOST:PORT — a fixed upstream (egress ,upstream=) that
# stands in for tor's ORPort in tests: on each connection it reads a
# SOCKS-style destination prefix (ATYP ADDR PORT), prints
# "prefix ADDR:PORT", answers the status byte 00, then relays the rest to
# HOST:PORT. Prints "ready tcp:127.0.0.1:PORT" first.
import socket, struct, sys, threading
h, _, p = sys.argv[1].rpartition(":")
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print("ready tcp:127.0.0.1:%d" % ls.getsockname()[1], flush=True)
def need(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise OSError("short")
        b += d
    return b
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
def serve(c):
    try:
        t = need(c, 1)[0]
        if t == 1:
            addr = socket.inet_ntoa(need(c, 4))
        elif t == 3:
            addr = need(c, need(c, 1)[0]).decode()
        elif t == 4:
            addr = socket.inet_ntop(socket.AF_INET6, need(c, 16))
        else:
            raise OSError("atyp")
        port = struct.unpack(">H", need(c, 2))[0]
        print("prefix %s:%d" % (addr, port), flush=True)
        u = socket.create_connection((h, int(p)))
        c.sendall(b"\0")
    except OSError:
        c.close()
        return
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
    pump(c, u)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
