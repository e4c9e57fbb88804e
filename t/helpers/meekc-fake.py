# SPDX-License-Identifier: MIT
# meekc-fake.py MODE LOG [--tls CERT KEY] — a scripted meek server for the
# meek-client tests; the modes and the LOG line are in t/lib-meekc.sh
# (meekc_fake). Prints "ready tcp:127.0.0.1:PORT".
import hashlib, os, signal, socket, socketserver, ssl, sys, threading

signal.signal(signal.SIGTERM, lambda *a: os._exit(0))

mode, log = sys.argv[1], open(sys.argv[2], "a", buffering=1)
tls = None
if len(sys.argv) > 3 and sys.argv[3] == "--tls":
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[4], sys.argv[5])
    tls.set_alpn_protocols(["http/1.1"])
lock, count, dropped = threading.Lock(), [0], []
sni_of = {}

def on_sni(sock, name, ctx):
    sni_of[id(sock)] = name or "-"

if tls:
    tls.sni_callback = on_sni

# What a web server that is not meek answers: a page, a redirect, a 404 page.
HTML = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>" + b"x" * 2000 + b"</body></html>\n"
PAGES = {
    "html": (200, "Content-Type: text/html; charset=utf-8\r\n", HTML),
    "redirect": (301, "Location: https://www.example.com/\r\nContent-Type: text/html\r\n", HTML[:80]),
    "page404": (404, "Content-Type: text/html\r\n", HTML),
    "teapot": (418, "", b""),
}

def read_request(f):
    line = f.readline()
    if not line:
        return None
    hdr = {}
    while True:
        l = f.readline()
        if l in (b"\r\n", b""):
            break
        k, _, v = l.decode("latin-1").partition(":")
        hdr[k.strip().lower()] = v.strip()
    body = f.read(int(hdr.get("content-length", "0")))
    return hdr, body

class H(socketserver.StreamRequestHandler):
    def handle(self):
        sni = "-"
        if tls:
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                return
            sni = sni_of.get(id(self.request), "-")
        while True:
            try:
                r = read_request(self.rfile)
            except (OSError, ValueError):
                return
            if r is None:
                return
            hdr, body = r
            with lock:
                count[0] += 1
                n = count[0]
            log.write("seq=%s len=%d sha=%s sni=%s host=%s sid=%s max=%s auth=%s x=%s pipe=%s\n" % (
                hdr.get("x-meek-seq", "-"), len(body), hashlib.sha256(body).hexdigest()[:16],
                sni, hdr.get("host", "-"), hdr.get("x-session-id", "-"),
                hdr.get("x-meek-max-body", "-"), hdr.get("x-meek-auth", "-"),
                hdr.get("x-test", "-"), hdr.get("x-meek-pipeline", "-").replace(" ", "")))
            status, extra, out = 200, "", body
            if mode.startswith("dropdata") and body and not dropped:
                dropped.append(1)
                return
            if mode == "garbage":
                self.wfile.write(b"\x16\x03\x01 not http at all\r\n\r\n")
                return
            if mode == "huge":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" %
                                 (int(hdr.get("x-meek-max-body", "0")) + 1))
                return
            if mode in PAGES:
                st, hdrs, page = PAGES[mode]
                self.wfile.write(("HTTP/1.1 %d X\r\n%sContent-Length: %d\r\n\r\n" %
                                  (st, hdrs, len(page))).encode() + page)
                self.wfile.flush()
                continue
            if mode.startswith("busy:") and n <= int(mode[5:]):
                # A front's error page: 503 with an HTML body, then service.
                self.wfile.write(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n"
                                  "Content-Length: %d\r\n\r\n" % len(HTML)).encode() + HTML)
                self.wfile.flush()
                continue
            if mode.startswith("status:"):
                status, out = int(mode[7:]), b""
            if mode.startswith("gone:") and n > int(mode[5:]):
                status, out = 410, b""
            if mode.endswith("close"):
                extra = "Connection: close\r\n"
            if mode == "chunked":
                head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                parts = [b"%x\r\n%s\r\n" % (len(out[i:i + 1000]), out[i:i + 1000])
                         for i in range(0, len(out), 1000)]
                self.wfile.write(head.encode() + b"".join(parts) + b"0\r\n\r\n")
            else:
                head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n" % (status, len(out), extra)
                self.wfile.write(head.encode() + out)
            self.wfile.flush()
            if extra or status != 200:
                return

class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    def get_request(self):
        s, a = self.socket.accept()
        if tls:
            s = tls.wrap_socket(s, server_side=True, do_handshake_on_connect=False)
        return s, a

srv = S(("127.0.0.1", 0), H)
print("ready tcp:127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
