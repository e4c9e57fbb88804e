# SPDX-License-Identifier: MIT
# tcpcut.py HOST:PORT [BYTES_PER_SECOND] — a TCP forwarder to HOST:PORT
# that prints "ready tcp:127.0.0.1:PORT" and, on SIGUSR1, cuts every
# connection it forwards at that moment (both sides closed at once, as a
# path dies); later connections are forwarded as usual. For carriers (a
# WebSocket) that must die under a live session. With BYTES_PER_SECOND,
# answers (upstream to client) pass no faster than that per connection:
# a download behind it is paced at its source, so buffers further down
# the path never hold more than what was paced out.
import os, signal, socket, sys, threading, time
h, _, p = sys.argv[1].rpartition(":")
rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
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
def pump(a, b, paced=False):
    t0, sent = time.monotonic(), 0
    try:
        while True:
            d = a.recv(16384 if paced else 65536)
            if not d:
                break
            b.sendall(d)
            if paced:
                sent += len(d)
                ahead = sent / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
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
    t = threading.Thread(target=pump, args=(u, c, rate > 0), daemon=True)
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
