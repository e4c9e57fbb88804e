# SPDX-License-Identifier: MIT
# slow-proxy.py HOST:PORT BYTES_PER_SECOND — a TCP forwarder to HOST:PORT
# that prints "ready tcp:127.0.0.1:PORT" and passes answers (upstream to
# client) no faster than BYTES_PER_SECOND per connection; requests pass
# as they come. A download behind it is paced at its source, so buffers
# further down the path never hold more than what was paced out.
import socket, sys, threading, time
h, _, p = sys.argv[1].rpartition(":")
rate = float(sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print("ready tcp:127.0.0.1:%d" % ls.getsockname()[1], flush=True)
def pump(a, b, paced):
    t0, sent = time.monotonic(), 0
    try:
        while True:
            d = a.recv(16384)
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
    t = threading.Thread(target=pump, args=(u, c, True), daemon=True)
    t.start()
    pump(c, u, False)
    t.join()
    c.close()
    u.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
