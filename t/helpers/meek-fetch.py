# SPDX-License-Identifier: MIT
# meek-fetch.py HOST:PORT DEST-PORT PATH [--mark BYTES] — a lantern-box
# style meek client in one session: SOCKS5 greeting and CONNECT to
# 127.0.0.1:DEST-PORT (the upstream is a SOCKS5 server: egress or
# microsocks), then "GET /PATH HTTP/1.0", polling with X-Meek-Seq and
# X-Meek-Max-Body (256 KiB) until the far end closes (410). Prints "mark"
# once BYTES of the answer arrived, then "total=N sha256=H" over the HTTP
# body. Exit 1 on any surprise.
import hashlib, os, socket, sys
from httphead import read_head

h, _, p = sys.argv[1].rpartition(":")
dport, path = int(sys.argv[2]), sys.argv[3]
mark = int(sys.argv[sys.argv.index("--mark") + 1]) if "--mark" in sys.argv else -1
sid = os.urandom(16).hex()
s = socket.create_connection((h, int(p)))
s.settimeout(30)
f = s.makefile("rb")
seq = 0

def post(body):
    global seq
    s.sendall(("POST / HTTP/1.1\r\nHost: meek.example\r\nContent-Type: application/octet-stream\r\n"
               "X-Session-Id: %s\r\nX-Meek-Seq: %d\r\nX-Meek-Max-Body: 262144\r\n"
               "Content-Length: %d\r\n\r\n" % (sid, seq, len(body))).encode() + body)
    seq += 1
    st, n = read_head(f)
    if len(st) < 2:
        sys.exit("connection closed")
    return int(st[1]), f.read(n)

def until(n, body):
    got = b""
    while len(got) < n:
        st, b = post(body)
        body = b""
        if st != 200:
            sys.exit("status %d during the handshake" % st)
        got += b
    return got

if until(2, b"\x05\x01\x00")[:2] != b"\x05\x00":
    sys.exit("bad method reply")
rep = until(10, b"\x05\x01\x00\x01\x7f\x00\x00\x01" + dport.to_bytes(2, "big"))
if rep[:3] != b"\x05\x00\x00":
    sys.exit("CONNECT reply %s" % rep.hex())
st, data = post(("GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
data = bytearray(data)
marked = False
while True:
    st, b = post(b"")
    if st == 410:
        break
    if st != 200:
        sys.exit("status %d" % st)
    data += b
    if mark >= 0 and not marked and len(data) >= mark:
        print("mark", flush=True)
        marked = True
head, _, body = bytes(data).partition(b"\r\n\r\n")
clen = [l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
if clen and int(clen[0]) != len(body):
    sys.exit("short body: %d of %d" % (len(body), int(clen[0])))
print("total=%d sha256=%s polls=%d" % (len(body), hashlib.sha256(body).hexdigest(), seq), flush=True)
