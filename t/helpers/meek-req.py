# SPDX-License-Identifier: MIT
# meek-req.py TARGET STEP… — a raw HTTP/1.1 meek client for the tests.
# TARGET is HOST:PORT or unix:/path. Each STEP is a JSON object, run in
# order on one keep-alive connection (reopened after a close or "new"):
#   {"sid": ID, "seq": N, "maxbody": N, "auth": TOKEN, "body": HEX,
#    "bodylen": N, "method": "POST", "path": "/", "ctype": null,
#    "headers": {"Name": "value"}, "noclen": true}   one request
#   {"raw": HEX}               send these bytes as they are, then read one answer
#   {"poll": {…request…}, "until": HEX, "max": N}
#                              repeat the request (empty body, seq + 1 each
#                              time when it has one) until the bodies
#                              together contain HEX; prints them all
#   {"pipeline": [{…}, …]}     send several requests at once, then read the answers
#   {"new": true}              open a new connection
# A request step with "text": true prints its answer body as it is instead.
# Prints one line per answer: "status=N len=L body=HEX" (HEX cut at 128
# bytes), or "closed" when the server closed instead of answering.
# Exit status 1 on a protocol surprise (message on stdout).
import json, os, socket, sys

def die(msg):
    print("meek-req: " + msg, flush=True)
    sys.exit(1)

def connect(target):
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(target[5:])
    else:
        if target.startswith("tcp:"):
            target = target[4:]
        h, _, p = target.rpartition(":")
        s = socket.create_connection((h.strip("[]"), int(p)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(30)
    return s

def build(r):
    body = bytes.fromhex(r.get("body", ""))
    if "bodylen" in r:
        body = os.urandom(int(r["bodylen"]))
    lines = ["%s %s HTTP/1.1" % (r.get("method", "POST"), r.get("path", "/")), "Host: meek.example"]
    if r.get("ctype", "application/octet-stream") is not None:
        lines.append("Content-Type: " + r.get("ctype", "application/octet-stream"))
    for k, hk in (("sid", "X-Session-Id"), ("seq", "X-Meek-Seq"), ("maxbody", "X-Meek-Max-Body"), ("auth", "X-Meek-Auth")):
        if k in r:
            lines.append("%s: %s" % (hk, r[k]))
    for k, v in r.get("headers", {}).items():
        lines.append("%s: %s" % (k, v))
    if body or not r.get("noclen"):
        if body or r.get("method", "POST") == "POST":
            lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

class Conn:
    def __init__(self, target):
        self.target, self.s, self.buf = target, None, b""

    def sock(self):
        if self.s is None:
            self.s, self.buf = connect(self.target), b""
        return self.s

    def fill(self):
        try:
            c = self.s.recv(1 << 20)
        except (ConnectionResetError, socket.timeout):
            c = b""
        if not c:
            return False
        self.buf += c
        return True

    def answer(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            if not self.fill():
                self.s.close()
                self.s = None
                return None, None
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            die("bad status line %r" % lines[0])
        status, hdrs = int(parts[1]), {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = 0 if head_only else int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            if not self.fill():
                die("EOF in a body (%d of %d)" % (len(self.buf), n))
        body, self.buf = self.buf[:n], self.buf[n:]
        if hdrs.get("connection", "").lower() == "close":
            self.s.close()
            self.s = None
        return status, body

def show(status, body, text=False):
    if status is not None and text:
        sys.stdout.write(body.decode("latin-1"))
        sys.stdout.flush()
    elif status is None:
        print("closed", flush=True)
    else:
        print("status=%d len=%d body=%s" % (status, len(body), body[:128].hex()), flush=True)

c = Conn(sys.argv[1])
for a in sys.argv[2:]:
    st = json.loads(a)
    if st.get("new"):
        if c.s:
            c.s.close()
        c.s = None
    elif "raw" in st:
        c.sock().sendall(bytes.fromhex(st["raw"]))
        show(*c.answer())
    elif "pipeline" in st:
        c.sock().sendall(b"".join(build(r) for r in st["pipeline"]))
        for r in st["pipeline"]:
            show(*c.answer(r.get("method") == "HEAD"))
    elif "poll" in st:
        r, want, got = dict(st["poll"]), bytes.fromhex(st["until"]), b""
        for i in range(int(st.get("max", 50))):
            c.sock().sendall(build(r))
            status, body = c.answer()
            if status != 200:
                show(status, body or b"")
                die("poll answered %r" % status)
            got += body
            if want in got:
                break
            r.pop("body", None)
            r.pop("bodylen", None)
            if "seq" in r:
                r["seq"] = int(r["seq"]) + 1
        print("polled len=%d body=%s" % (len(got), got[:256].hex()), flush=True)
        if want not in got:
            die("never saw %s" % st["until"])
    else:
        c.sock().sendall(build(st))
        show(*c.answer(st.get("method") == "HEAD"), text=st.get("text", False))
