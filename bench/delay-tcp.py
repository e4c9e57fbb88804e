# SPDX-License-Identifier: MIT
# bench/delay-tcp.py MS PORT: a TCP proxy on 127.0.0.1 (an ephemeral
# port) to 127.0.0.1:PORT that delays every byte by MS milliseconds in
# each direction (a 2 x MS round trip with unlimited bandwidth): this
# kernel has no netem, so this stands in front of Caddy for the meek
# round-trip figures. Prints "ready tcp:127.0.0.1:LISTEN-PORT".
import collections, socket, sys, threading, time

d = float(sys.argv[1]) / 1000.0
target = ("127.0.0.1", int(sys.argv[2]))

def pump(src, dst):
    q, cv, done = collections.deque(), threading.Condition(), [False]
    def writer():
        while True:
            with cv:
                while not q and not done[0]:
                    cv.wait()
                if not q:
                    break
                t, b = q.popleft()
            w = t - time.monotonic()
            if w > 0:
                time.sleep(w)
            try:
                dst.sendall(b)
            except OSError:
                break
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    th = threading.Thread(target=writer, daemon=True)
    th.start()
    while True:
        try:
            b = src.recv(262144)
        except OSError:
            b = b""
        with cv:
            if not b:
                done[0] = True
                cv.notify()
                break
            q.append((time.monotonic() + d, b))
            cv.notify()

def serve(c):
    u = socket.create_connection(target)
    for s in (c, u):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(128)
print("ready tcp:127.0.0.1:%d" % ls.getsockname()[1], flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
