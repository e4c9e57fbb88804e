# SPDX-License-Identifier: MIT
# rdvwire.py: Snowflake broker requests for the rendezvous tests, imported
# by their inline scripts (sys.path gets $PW_PY). post() is one request on
# its own connection; Proxy and Client run a poll in a thread, so a test
# can hold a proxy's poll open while a client posts its offer.
import http.client, json, threading

PORT = 0


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
