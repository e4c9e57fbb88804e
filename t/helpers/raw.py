# SPDX-License-Identifier: MIT
# raw.py TARGET ACTION…  — TARGET is HOST:PORT or unix:/path. Actions:
#   s:HEX   send          d:HEX  send one byte at a time (1 ms apart)
#   z:N     send N garbage bytes (stops quietly when the peer closes)
#   A:N     the same with N letters "a" (a huge header line, a long name)
#   x:HEX   expect exactly these bytes next     r:N  read N bytes, print their hex
#   rep     read a SOCKS5 reply, print "rep=N"  l  read one line, print it
#   h       shut down writing                   p:S  pause S seconds
#   c       expect the peer to close within 5 s (EOF or reset); bytes read
#           before the close are printed as "data=HEX"
#   open    expect the connection still open after 0.5 s of silence
# Exit 0 when every expectation held, 1 otherwise (message on stdout).
import os, socket, sys, time

def die(msg):
    print("raw: " + msg, flush=True)
    sys.exit(1)

def conn(target):
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(target[5:])
    else:
        h, _, p = target.rpartition(":")
        s = socket.create_connection((h.strip("[]"), int(p)), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    return s

def readn(s, n):
    b = b""
    while len(b) < n:
        try:
            c = s.recv(n - len(b))
        except socket.timeout:
            die("timeout after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        except ConnectionResetError:
            die("reset after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        if not c:
            die("EOF after %d of %d bytes (%s)" % (len(b), n, b.hex()))
        b += c
    return b

s = conn(sys.argv[1])
for a in sys.argv[2:]:
    op, _, arg = a.partition(":")
    if op == "s":
        s.sendall(bytes.fromhex(arg))
    elif op == "d":
        for byte in bytes.fromhex(arg):
            s.sendall(bytes([byte]))
            time.sleep(0.001)
    elif op in ("z", "A"):
        n, sent, x = int(arg), 0, 0x9E3779B9
        chunk = bytes((x * (i + 1) >> 13) & 0xFF for i in range(65536)) if op == "z" else b"a" * 65536
        try:
            while sent < n:
                sent += s.send(chunk[: min(65536, n - sent)])
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            print("garbage: peer stopped taking bytes after %d (%s)" % (sent, type(e).__name__), flush=True)
    elif op == "x":
        want = bytes.fromhex(arg)
        got = readn(s, len(want))
        if got != want:
            die("expected %s, got %s" % (want.hex(), got.hex()))
    elif op == "r":
        b = readn(s, int(arg))
        print(b[:32].hex() + ("… (%d bytes)" % len(b) if len(b) > 32 else ""), flush=True)
    elif op == "rep":
        h = readn(s, 4)
        if h[0] != 5:
            die("not a SOCKS5 reply: %s" % h.hex())
        alen = {1: 4, 4: 16}.get(h[3])
        if alen is None and h[3] == 3:
            alen = readn(s, 1)[0]
        if alen is None:
            die("bad ATYP in reply: %s" % h.hex())
        readn(s, alen + 2)
        print("rep=%d" % h[1], flush=True)
    elif op == "l":
        b = b""
        while not b.endswith(b"\n"):
            b += readn(s, 1)
        print(b.decode("latin-1").rstrip("\r\n"), flush=True)
    elif op == "h":
        s.shutdown(socket.SHUT_WR)
    elif op == "p":
        time.sleep(float(arg))
    elif op == "c":
        data, end = b"", time.monotonic() + 5
        while True:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                c = s.recv(65536)
            except socket.timeout:
                die("still open after 5 s (data=%s)" % data[:64].hex())
            except ConnectionResetError:
                c = b""
            if not c:
                break
            data += c
            if len(data) > 1 << 20:
                die("more than 1 MiB of answer")
        if data:
            print("data=" + data[:256].hex(), flush=True)
        print("closed", flush=True)
    elif op == "open":
        s.settimeout(0.5)
        try:
            c = s.recv(1)
            die("expected silence, got %s" % ("EOF" if not c else c.hex()))
        except socket.timeout:
            pass
        s.settimeout(5)
    else:
        die("unknown action " + a)
sys.exit(0)
