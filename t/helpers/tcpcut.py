# SPDX-License-Identifier: MIT
# tcpcut.py HOST:PORT — a TCP forwarder to HOST:PORT that prints
# "ready tcp:127.0.0.1:PORT" and, on SIGUSR1, cuts every connection it
# forwards at that moment (both sides closed at once, as a path dies);
# later connections are forwarded as usual. For carriers (a WebSocket)
# that must die under a live session.
import os, signal, socket, sys, threading
h, _, p = sys.argv[1].rpartition(":")
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print("ready tcp:127.0.0.1:%d" % ls.getsockname()[1], flush=True)
live = set()
lock = threading.Lock()
def cut(*_):
    with lock:
        for s in list(live):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
signal.signal(signal.SIGUSR1, cut)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    try:
        u = socket.create_connection((h, int(p)))
    except OSError:
        c.close()
        return
    with lock:
        live.update((c, u))
    t = threading.Thread(target=pump, args=(u, c), daemon=True)
    t.start()
    pump(c, u)
    t.join()
    with lock:
        live.difference_update((c, u))
    c.close()
    u.close()
while True:
    try:
        c, _ = ls.accept()
    except InterruptedError:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
