#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# ws-echo.py HOST — a WebSocket (RFC 6455) echo server for the Snowflake
# proxy interop test: any path; every data message comes back as one
# binary message; ping answered, close returned. Prints
# "ready tcp:HOST:PORT", and "client_ip VALUE" for each upgrade that
# carried a client_ip query parameter.
import base64
import hashlib
import socket
import struct
import sys
import threading
import urllib.parse

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        k = c.recv(n - len(b))
        if not k:
            raise EOFError
        b += k
    return b


def frame(op, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | op, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | op, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | op, 127, n)
    return head + payload


def serve(c):
    try:
        req = b""
        while b"\r\n\r\n" not in req:
            k = c.recv(4096)
            if not k or len(req) > 16384:
                return
            req += k
        lines = req.split(b"\r\n")
        target = lines[0].split(b" ")[1].decode()
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        if "client_ip" in q:
            print("client_ip %s" % q["client_ip"][0], flush=True)
        key = [l.split(b":", 1)[1].strip() for l in lines if l.lower().startswith(b"sec-websocket-key:")][0]
        acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
        c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n")
        while True:
            b0, b1 = recv_exact(c, 2)
            op, n = b0 & 15, b1 & 127
            if n == 126:
                n = struct.unpack("!H", recv_exact(c, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", recv_exact(c, 8))[0]
            mask = recv_exact(c, 4) if b1 & 128 else b"\0\0\0\0"
            data = bytes(x ^ mask[i % 4] for i, x in enumerate(recv_exact(c, n)))
            if op == 8:
                c.sendall(frame(8, b""))
                return
            if op == 9:
                c.sendall(frame(10, data))
            elif op in (0, 1, 2):
                c.sendall(frame(2, data))
    except (EOFError, OSError, IndexError):
        pass
    finally:
        c.close()


s = socket.socket()
s.bind((sys.argv[1], 0))
s.listen(16)
print("ready tcp:%s:%d" % (sys.argv[1], s.getsockname()[1]), flush=True)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
