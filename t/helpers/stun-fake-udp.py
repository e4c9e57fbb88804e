# SPDX-License-Identifier: MIT
# stun-fake-udp.py MODE [PASSWORD] — a fake STUN server on UDP. Prints
# "ready udp:127.0.0.1:PORT", then answers Binding requests:
#   ok          XOR-MAPPED-ADDRESS, SOFTWARE, FINGERPRINT
#   garbage     random bytes        wrong-tid  a correct answer, other tid
#   bad-integrity  MESSAGE-INTEGRITY with a key that is not PASSWORD
#   truncated   a correct answer cut short   silent  nothing
#   error       a 400 Bad Request error response
#   other-source   a correct answer sent from another port
import hashlib, hmac, os, socket, struct, sys, zlib
mode = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind(("127.0.0.1", 0))
print("ready udp:127.0.0.1:%d" % s.getsockname()[1], flush=True)

def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)

def msg(typ, tid, attrs, key=None, fp=True):
    body = b"".join(attrs)
    if key is not None:
        head = struct.pack("!HHI", typ, len(body) + 24, 0x2112A442) + tid
        body += attr(0x0008, hmac.new(key, head + body, hashlib.sha1).digest())
    if fp:
        head = struct.pack("!HHI", typ, len(body) + 8, 0x2112A442) + tid
        crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack("!I", crc))
    return struct.pack("!HHI", typ, len(body), 0x2112A442) + tid + body

while True:
    req, peer = s.recvfrom(2048)
    if len(req) < 20 or mode == "silent":
        continue
    tid = req[8:20]
    ip = bytes(a ^ b for a, b in zip(socket.inet_aton(peer[0]), struct.pack("!I", 0x2112A442)))
    xma = attr(0x0020, struct.pack("!BBH", 0, 1, peer[1] ^ 0x2112) + ip)
    sw = attr(0x8022, b"fake\tserver\n")
    if mode == "ok":
        out = msg(0x0101, tid, [xma, sw])
    elif mode == "garbage":
        out = os.urandom(64)
    elif mode == "wrong-tid":
        out = msg(0x0101, os.urandom(12), [xma, sw])
    elif mode == "bad-integrity":
        out = msg(0x0101, tid, [xma, sw], key=b"not-" + sys.argv[2].encode())
    elif mode == "truncated":
        out = msg(0x0101, tid, [xma, sw])[:30]
    elif mode == "error":
        out = msg(0x0111, tid, [attr(0x0009, struct.pack("!HBB", 0, 4, 0) + b"Bad Request")])
    elif mode == "other-source":
        other.sendto(msg(0x0101, tid, [xma, sw]), peer)
        continue
    s.sendto(out, peer)
