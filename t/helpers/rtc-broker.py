#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# rtc-broker.py HOST OFFER_FIFO ANSWER_FIFO — the client half of a
# Snowflake broker, just enough for one client, for the WebRTC interop
# tests (the real broker is rendezvous). Prints "ready tcp:HOST:PORT".
# The first POST /client ("1.0\n{"offer":"<SDP-JSON>",…}") has its
# offer written as one line to OFFER_FIFO; the answer line read back
# from ANSWER_FIFO goes out as {"answer":"<SDP-JSON>"}. Later polls get
# Snowflake's "no snowflake proxies currently available".
import http.server
import json
import sys

host, offer_path, answer_path = sys.argv[1:4]
served = []


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("rtc-broker: " + (fmt % args) + "\n")

    def reply(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(min(int(self.headers.get("Content-Length", "0")), 100000))
        if self.path.rstrip("/") != "/client" or not body.startswith(b"1.0\n"):
            self.send_error(400)
            return
        if served:
            self.reply({"error": "no snowflake proxies currently available"})
            return
        served.append(1)
        offer = json.loads(body[4:])["offer"]
        with open(offer_path, "w") as f:
            f.write(offer + "\n")
        with open(answer_path) as f:
            answer = f.readline().strip()
        sys.stderr.write("rtc-broker: answered\n")
        self.reply({"answer": answer})


srv = http.server.HTTPServer((host, 0), Handler)
print("ready tcp:%s:%d" % (host, srv.server_address[1]), flush=True)
srv.serve_forever()
