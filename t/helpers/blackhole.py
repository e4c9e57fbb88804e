# SPDX-License-Identifier: MIT
# blackhole.py — prints two ready lines: a port that never answers, then a
# port with nothing behind it (refused). The first is a listener whose
# accept queue is full: it drops SYNs, so connect() times out.
import signal, socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
p = s.getsockname()[1]
fill = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(("127.0.0.1", p))
    except BlockingIOError:
        pass
    fill.append(c)
d = socket.socket(); d.bind(("127.0.0.1", 0)); dead = d.getsockname()[1]; d.close()
print("ready tcp:127.0.0.1:%d" % p)
print("ready tcp:127.0.0.1:%d" % dead, flush=True)
signal.pause()
