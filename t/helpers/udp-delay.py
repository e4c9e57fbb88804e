# SPDX-License-Identifier: MIT
# udp-delay.py MS HOST:PORT: a UDP relay on 127.0.0.1 (port 0) that
# forwards what its one client sends to HOST:PORT and the answers back,
# each datagram MS milliseconds late in each direction (a 2 x MS round
# trip, no loss, no reordering), for a call over a long path. Prints
# "ready udp:127.0.0.1:PORT"; stops on SIGTERM. Datagrams wait in
# memory: a sender's window bounds how many.
import collections, signal, socket, sys, threading, time

d = float(sys.argv[1]) / 1000.0
host, port = sys.argv[2].rsplit(":", 1)
target = (host, int(port))
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", 0))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 0))
for s in (front, back):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
client = [None]


def relay(rd, wr, dest):
    q = collections.deque()
    cv = threading.Condition()

    def writer():
        while True:
            with cv:
                while not q:
                    cv.wait()
                t, b = q.popleft()
            w = t - time.monotonic()
            if w > 0:
                time.sleep(w)
            to = dest()
            if to is not None:
                try:
                    wr.sendto(b, to)
                except OSError:
                    pass

    threading.Thread(target=writer, daemon=True).start()
    while True:
        b, src = rd.recvfrom(65536)
        if rd is front:
            client[0] = src
        with cv:
            q.append((time.monotonic() + d, b))
            cv.notify()


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
threading.Thread(target=relay, args=(back, front, lambda: client[0]), daemon=True).start()
print("ready udp:127.0.0.1:%d" % front.getsockname()[1], flush=True)
relay(front, back, lambda: target)
