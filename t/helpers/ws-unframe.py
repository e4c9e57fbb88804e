# SPDX-License-Identifier: MIT
# ws-unframe.py FILE… — the payloads of the WebSocket frames (RFC 6455)
# recorded in each FILE, unmasked, on stdout: what a carrier's messages
# carried, for a grep. A FILE is one direction of one connection as
# tcpcut.py -w records it: an HTTP head (the upgrade request or its
# answer), then frames. A file without a complete head gives nothing; a
# frame cut short at the end (the connection closed under it) gives what
# it has. Control frames' payloads come out too.
import sys

out = sys.stdout.buffer
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        b = f.read()
    i = b.find(b"\r\n\r\n")
    if i < 0:
        continue
    i += 4
    while i + 2 <= len(b):
        masked, n = b[i + 1] & 0x80, b[i + 1] & 0x7F
        i += 2
        if n >= 126:
            k = 2 if n == 126 else 8
            n = int.from_bytes(b[i:i + k], "big")
            i += k
        key = b[i:i + 4] if masked else b""
        i += len(key)
        p = b[i:i + n]
        i += n
        if len(key) == 4:
            # XOR with the key repeated, as one big integer.
            k = (key * (len(p) // 4 + 1))[:len(p)]
            p = (int.from_bytes(p, "big") ^ int.from_bytes(k, "big")).to_bytes(len(p), "big")
        out.write(p)
