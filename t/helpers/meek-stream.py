# SPDX-License-Identifier: MIT
# meek-stream.py HOST:PORT [options] — push random bytes through a meek
# session whose upstream echoes, and check that the same bytes come back.
#   --bytes N     bytes to send (default 200000)
#   --chunk N     request body size at most (default 65536)
#   --cap N       send X-Meek-Max-Body: N (0: do not send it; default 0)
#   --want-cap N  fail when an answer body is longer than N
#   --classic     Tor meek style: no X-Meek-Seq, no Content-Type, no body
#                 (no Content-Length either) on empty polls, 11-char id
#   --sid ID      session id (default random 32 hex)
# Prints "echoed=N answers=K maxlen=M".
import os, socket, sys, base64
from httphead import read_head

args = {"bytes": 200000, "chunk": 65536, "cap": 0, "want-cap": 0, "classic": False, "sid": ""}
it = iter(sys.argv[2:])
for a in it:
    if a == "--classic":
        args["classic"] = True
    else:
        args[a[2:]] = next(it)
h, _, p = sys.argv[1].rpartition(":")
total, chunk, cap, want_cap = int(args["bytes"]), int(args["chunk"]), int(args["cap"]), int(args["want-cap"])
classic = args["classic"]
sid = args["sid"] or (base64.b64encode(os.urandom(8)).decode().rstrip("=").replace("/", "_").replace("+", "-") if classic else os.urandom(16).hex())
data = os.urandom(total)
s = socket.create_connection((h, int(p)))
s.settimeout(30)
f = s.makefile("rb")

def post(body, seq):
    hd = ["POST / HTTP/1.1", "Host: meek.example", "X-Session-Id: " + sid]
    if classic:
        hd.append("User-Agent: ")
    else:
        hd += ["Content-Type: application/octet-stream", "X-Meek-Seq: %d" % seq]
    if cap:
        hd.append("X-Meek-Max-Body: %d" % cap)
    if body or not classic:
        hd.append("Content-Length: %d" % len(body))
    s.sendall(("\r\n".join(hd) + "\r\n\r\n").encode() + body)
    status, n = read_head(f)
    if len(status) < 2 or status[1] != b"200":
        sys.exit("answer %r" % status)
    return f.read(n)

sent, got, seq, answers, maxlen, idle = 0, b"", 0, 0, 0, 0
while len(got) < total:
    body = data[sent:sent + chunk]
    sent += len(body)
    b = post(body, seq)
    seq += 1
    answers += 1
    maxlen = max(maxlen, len(b))
    if want_cap and len(b) > want_cap:
        sys.exit("answer of %d bytes over the cap %d" % (len(b), want_cap))
    got += b
    idle = idle + 1 if not b and not body else 0
    if idle > 100:
        sys.exit("no progress: %d of %d echoed" % (len(got), total))
if got != data:
    sys.exit("echo differs (%d bytes)" % len(got))
print("echoed=%d answers=%d maxlen=%d" % (len(got), answers, maxlen))
