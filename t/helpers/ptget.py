# SPDX-License-Identifier: MIT
# ptget.py PT_PORT ARGS EGRESS_DEST_PORT PATH: SOCKS5 to obfs4proxy with ARGS
# in username/password, then SOCKS5 to egress through the meek tunnel, then
# an HTTP/1.0 GET; prints "total=N sha256=H" of the body.
import hashlib, socket, sys
pt_port, args, dport, path = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
s = socket.create_connection(("127.0.0.1", pt_port), timeout=60)
def readn(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("EOF after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        b += c
    return b
s.sendall(b"\x05\x01\x02")
if readn(2) != b"\x05\x02":
    sys.exit("obfs4proxy did not choose username/password")
# pt-spec: arguments in the username; a password of one NUL when they fit.
user, pw = args[:255], args[255:] or b"\x00"
s.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw)
if readn(2) != b"\x01\x00":
    sys.exit("obfs4proxy refused the arguments")
s.sendall(b"\x05\x01\x00\x01\xc0\x00\x02\x14\x00\x50")   # the bridge address, ignored
r = readn(10)
if r[1] != 0:
    sys.exit("obfs4proxy CONNECT reply %d" % r[1])
# Through the tunnel: egress's SOCKS5.
s.sendall(b"\x05\x01\x00")
if readn(2) != b"\x05\x00":
    sys.exit("egress method reply")
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + dport.to_bytes(2, "big"))
h = readn(4)
if h[1] != 0:
    sys.exit("egress SOCKS5 reply %d" % h[1])
readn({1: 4, 4: 16}[h[3]] + 2)
s.sendall(b"GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
head = b""
while b"\r\n\r\n" not in head:
    head += readn(1)
length = None
for line in head.split(b"\r\n")[1:]:
    k, _, v = line.partition(b":")
    if k.strip().lower() == b"content-length":
        length = int(v)
if length is None:
    sys.exit("no Content-Length: %r" % head)
body = readn(length)
print("total=%d sha256=%s" % (len(body), hashlib.sha256(body).hexdigest()), flush=True)
