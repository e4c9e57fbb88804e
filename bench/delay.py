# SPDX-License-Identifier: MIT
# bench/delay.py MS UNIX-PATH: a carrier command for socks-client -C that
# connects to the egress's UNIX socket and delays every byte by MS
# milliseconds in each direction (a 2 x MS round trip with unlimited
# bandwidth), for measuring what a session moves over a slow path.
import collections, os, socket, sys, threading, time

d = float(sys.argv[1]) / 1000.0
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[2])
def pump(rd, wr, close):
    q = collections.deque(); cv = threading.Condition(); done = [False]
    def writer():
        while True:
            with cv:
                while not q and not done[0]: cv.wait()
                if not q: break
                t, b = q.popleft()
            w = t - time.monotonic()
            if w > 0: time.sleep(w)
            wr(b)
        close()
    th = threading.Thread(target=writer, daemon=True); th.start()
    while True:
        b = rd(262144)
        with cv:
            if not b: done[0] = True; cv.notify(); break
            q.append((time.monotonic() + d, b)); cv.notify()
    th.join()
def out_w(b):
    v = memoryview(b)
    while v: n = os.write(1, v); v = v[n:]
t1 = threading.Thread(target=pump, args=(lambda n: os.read(0, n), s.sendall, lambda: s.shutdown(socket.SHUT_WR)), daemon=True)
t1.start()
pump(s.recv, out_w, lambda: os.close(1))
