# SPDX-License-Identifier: MIT
# tcpcut.py [-w PREFIX] HOST:PORT [BYTES_PER_SECOND] — a TCP forwarder to
# HOST:PORT that prints "ready tcp:127.0.0.1:PORT" and, on SIGUSR1, cuts
# every connection it forwards at that moment (both sides closed at once,
# as a path dies); later connections are forwarded as usual. For carriers (a
# WebSocket) that must die under a live session. With BYTES_PER_SECOND,
# answers (upstream to client) pass no faster than that per connection:
# a download behind it is paced at its source, so buffers further down
# the path never hold more than what was paced out. With -w PREFIX, it
# is also a tee: the Nth connection's bytes (N from 1) go to PREFIX.N.up
# (client to HOST:PORT) and PREFIX.N.down (the answers), each chunk
# written out before it is passed on, so whatever a peer has received is
# already in the files.
import os, signal, socket, sys, threading, time
args = sys.argv[1:]
prefix = None
if args[:1] == ["-w"]:
    prefix, args = args[1], args[2:]
h, _, p = args[0].rpartition(":")
rate = float(args[1]) if len(args) > 1 else 0.0
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print("ready tcp:127.0.0.1:%d" % ls.getsockname()[1], flush=True)
live = set()
lock = threading.Lock()
nconns = 0
def cut(*_):
    with lock:
        for s in list(live):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
signal.signal(signal.SIGUSR1, cut)
def pump(a, b, paced=False, rec=None):
    t0, sent = time.monotonic(), 0
    try:
        while True:
            d = a.recv(16384 if paced else 65536)
            if not d:
                break
            if rec:
                rec.write(d)
                rec.flush()
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
    global nconns
    try:
        u = socket.create_connection((h, int(p)))
    except OSError:
        c.close()
        return
    with lock:
        live.update((c, u))
        nconns += 1
        n = nconns
    up = down = None
    if prefix:
        up = open("%s.%d.up" % (prefix, n), "wb")
        down = open("%s.%d.down" % (prefix, n), "wb")
    t = threading.Thread(target=pump, args=(u, c, rate > 0, down), daemon=True)
    t.start()
    pump(c, u, False, up)
    t.join()
    with lock:
        live.difference_update((c, u))
    c.close()
    u.close()
    for f in (up, down):
        if f:
            f.close()
while True:
    try:
        c, _ = ls.accept()
    except InterruptedError:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
