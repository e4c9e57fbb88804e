# SPDX-License-Identifier: MIT
# rdvwire.py: Snowflake broker requests for the rendezvous tests, imported
# by their inline scripts (sys.path gets $PW_PY). post() is one request on
# its own connection; Bg runs one in a thread, so a test can hold a
# proxy's poll open while a client posts its offer. held() is Bg returned
# once the broker has routed the poll (held, queued or matched), seen on
# its admin socket (ADMIN): a test that sets up an order of arrivals waits
# for that event, never for a time that a loaded machine may outlast.
import http.client, json, socket, threading, time

PORT = 0
ADMIN = None  # the broker's admin socket (a path), for metric() and held()


def metric(name, admin=None):
    """The broker's metric name, summed over its labels (unless name gives them)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(admin or ADMIN)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    b = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        b += c
    s.close()
    n = 0
    for l in b.decode().split("\r\n\r\n", 1)[-1].splitlines():
        f = l.split()
        if len(f) == 2 and (f[0] if "{" in name else f[0].split("{")[0]) == name:
            n += int(f[1])
    return n


def wait_metric(name, at_least, admin=None, timeout=20):
    """Until metric(name) reaches at_least: polled, bounded."""
    end = time.time() + timeout
    while True:
        n = metric(name, admin)
        if n >= at_least:
            return n
        if time.time() > end:
            raise SystemExit("%s stayed at %d, want %d" % (name, n, at_least))
        time.sleep(0.01)


def post(path, body, headers=None, port=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port or PORT, timeout=timeout)
    if isinstance(body, str):
        body = body.encode()
    c.request("POST", path, body, headers or {})
    r = c.getresponse()
    b = r.read()
    c.close()
    return r.status, b


def proxy_body(sid, nat="unrestricted", pattern="snowflake.torproject.net$", clients=0, version="1.3"):
    d = {"Sid": sid, "Version": version, "Type": "standalone", "NAT": nat, "Clients": clients}
    if pattern is not None:
        d["AcceptedRelayPattern"] = pattern
    return json.dumps(d, separators=(",", ":"))


def client_body(offer, nat="unrestricted", fingerprint=""):
    return b"1.0\n" + json.dumps({"offer": offer, "nat": nat, "fingerprint": fingerprint},
                                 separators=(",", ":")).encode()


def answer_body(sid, answer):
    return json.dumps({"Version": "1.3", "Sid": sid, "Answer": answer}, separators=(",", ":"))


class Bg(threading.Thread):
    """A request in the background; .result is (status, body) once joined."""

    def __init__(self, path, body, **kw):
        super().__init__(daemon=True)
        self.args, self.kw, self.result = (path, body), kw, None
        self.start()

    def run(self):
        try:
            self.result = post(*self.args, **self.kw)
        except Exception as e:  # the test reports it
            self.result = ("error", repr(e).encode())

    def get(self, timeout=30):
        self.join(timeout)
        return self.result


def held(path, body, **kw):
    """Bg, returned once the broker has routed the poll: its counter of
    proxy or client polls moved on (held, queued or matched by then)."""
    what = "rendezvous_proxy_polls_total" if path == "/proxy" else "rendezvous_client_polls_total"
    n = metric(what)
    b = Bg(path, body, **kw)
    wait_metric(what, n + 1)
    return b


# --- freddie -------------------------------------------------------------
import urllib.parse

BF = {"X-BF-Version": "v2.3.1"}


def fpost(send_to, type_, data, version="v2.3.1", port=None, timeout=30):
    """A freddie POST /v1/signal: (status, body)."""
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    if version is not None:
        h["X-BF-Version"] = version
    body = urllib.parse.urlencode({"data": data, "send-to": send_to, "type": str(type_)})
    c = http.client.HTTPConnection("127.0.0.1", port or PORT, timeout=timeout)
    c.request("POST", "/v1/signal", body, h)
    r = c.getresponse()
    b = r.read()
    c.close()
    return r.status, b


class FBg(Bg):
    def __init__(self, send_to, type_, data, **kw):
        threading.Thread.__init__(self, daemon=True)
        self.a, self.kw, self.result = (send_to, type_, data), kw, None
        self.start()

    def run(self):
        try:
            self.result = fpost(*self.a, **self.kw)
        except Exception as e:
            self.result = ("error", repr(e).encode())


class Stream:
    """A consumer's GET /v1/signal: the JSON lines it has received so far."""

    def __init__(self, port=None):
        self.s = socket.create_connection(("127.0.0.1", port or PORT))
        self.s.sendall(b"GET /v1/signal HTTP/1.1\r\nHost: x\r\nX-BF-Version: v2.3.1\r\n\r\n")
        self.buf, self.head, self.msgs, self.ended = b"", None, [], False

    def poll(self, wait):
        end = time.time() + wait
        while time.time() < end and not self.ended:
            self.s.settimeout(max(0.01, end - time.time()))
            try:
                c = self.s.recv(65536)
            except socket.timeout:
                break
            if not c:
                self.ended = True
                break
            self.buf += c
            self._parse()
        return self.msgs

    def _parse(self):
        if self.head is None:
            if b"\r\n\r\n" not in self.buf:
                return
            self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        while b"\r\n" in self.buf:
            n, rest = self.buf.split(b"\r\n", 1)
            size = int(n, 16)
            if len(rest) < size + 2:
                return
            if size == 0:
                self.ended = True
                return
            for line in rest[:size].splitlines():
                self.msgs.append(json.loads(line))
            self.buf = rest[size + 2:]

    def close(self):
        self.s.close()
