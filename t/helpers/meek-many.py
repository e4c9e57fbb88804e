# SPDX-License-Identifier: MIT
# meek-many.py HOST:PORT SESSIONS CONNS — open SESSIONS meek sessions at
# once over CONNS keep-alive connections (requests pipelined, one thread
# per connection). Each session sends its own 16-byte message (seq 0)
# and polls (seq 1, 2, …) until its echo is back whole. Prints
# "sessions=N echoed=N polls=P"; exit 1 when an echo is missing or wrong.
import os, socket, sys, threading
from httphead import read_head

h, _, p = sys.argv[1].rpartition(":")
nsess, nconn = int(sys.argv[2]), int(sys.argv[3])
sids = [os.urandom(16).hex() for _ in range(nsess)]
msgs = [os.urandom(16) for _ in range(nsess)]
got = [b""] * nsess
polls = [0]
errors = []

def req(i, seq, body):
    return ("POST / HTTP/1.1\r\nHost: meek.example\r\nContent-Type: application/octet-stream\r\n"
            "X-Session-Id: %s\r\nX-Meek-Seq: %d\r\nX-Meek-Max-Body: 262144\r\n"
            "Content-Length: %d\r\n\r\n" % (sids[i], seq, len(body))).encode() + body

def answer(f):
    st, n = read_head(f)
    if len(st) < 2 or st[1] != b"200":
        raise RuntimeError("answer %r" % st)
    return f.read(n)

def worker(mine):
    try:
        s = socket.create_connection((h, int(p)))
        s.settimeout(60)
        f = s.makefile("rb")
        s.sendall(b"".join(req(i, 0, msgs[i]) for i in mine))
        for i in mine:
            got[i] += answer(f)
        seq = 1
        while True:
            todo = [i for i in mine if len(got[i]) < 16]
            if not todo:
                break
            if seq > 50:
                raise RuntimeError("%d sessions never echoed" % len(todo))
            s.sendall(b"".join(req(i, seq, b"") for i in todo))
            for i in todo:
                got[i] += answer(f)
            polls[0] += len(todo)
            seq += 1
        s.close()
    except Exception as e:
        errors.append(repr(e))

ths = [threading.Thread(target=worker, args=(list(range(k, nsess, nconn)),)) for k in range(nconn)]
for t in ths:
    t.start()
for t in ths:
    t.join()
if errors:
    sys.exit("errors: %s" % errors[:3])
bad = [i for i in range(nsess) if got[i] != msgs[i]]
if bad:
    sys.exit("%d sessions got the wrong bytes" % len(bad))
print("sessions=%d echoed=%d polls=%d" % (nsess, nsess - len(bad), polls[0]))
