#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The two halves of a Snowflake broker, just enough for one session, for
# the WebRTC interop tests (the real broker is rendezvous). Prints
# "ready tcp:HOST:PORT".
#
#   rtc-broker.py client HOST OFFER_OUT ANSWER_IN
#       A snowflake-client's first POST /client ("1.0\n{"offer":…}") has
#       its offer written as one line to OFFER_OUT; the answer line read
#       from ANSWER_IN goes back as {"answer":"<SDP-JSON>"}. Later polls:
#       "no snowflake proxies currently available".
#   rtc-broker.py proxy HOST OFFER_IN ANSWER_OUT
#       The offer line read from OFFER_IN goes to the first snowflake-
#       proxy poll (POST /proxy) as a "client match"; its POST /answer
#       has the answer written to ANSWER_OUT. Other polls: "no match".
#       OFFER_IN is opened, then ANSWER_OUT, at start: the order an
#       rtc-peer offerer opens them in.
import http.server
import json
import sys
import threading

mode, host, path_a, path_b = sys.argv[1:5]
state = {"served": False, "offer": None, "answer_f": None}
have_offer = threading.Event()


def log(msg):
    sys.stderr.write("rtc-broker: %s\n" % msg)
    sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        log(fmt % args)

    def reply(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(min(int(self.headers.get("Content-Length", "0")), 100000))
        path = self.path.split("?")[0].rstrip("/")
        if mode == "client" and path == "/client" and body.startswith(b"1.0\n"):
            self.client(json.loads(body[4:]))
        elif mode == "proxy" and path == "/proxy":
            self.proxy_poll()
        elif mode == "proxy" and path == "/answer":
            self.proxy_answer(json.loads(body))
        else:
            self.send_error(400)

    def client(self, req):
        if state["served"]:
            self.reply({"error": "no snowflake proxies currently available"})
            return
        state["served"] = True
        with open(path_a, "w") as f:
            f.write(req["offer"] + "\n")
        with open(path_b) as f:
            answer = f.readline().strip()
        log("answered")
        self.reply({"answer": answer})

    def proxy_poll(self):
        if state["served"] or not have_offer.wait(5):
            self.reply({"Status": "no match"})
            return
        state["served"] = True
        log("offer handed to a proxy")
        self.reply({"Status": "client match", "Offer": state["offer"], "NAT": "unknown"})

    def proxy_answer(self, req):
        f = state["answer_f"]
        f.write(req["Answer"] + "\n")
        f.close()
        log("answer passed on")
        self.reply({"Status": "success"})


def read_offer():
    with open(path_a) as f:
        state["answer_f"] = open(path_b, "w")
        state["offer"] = f.readline().strip()
    have_offer.set()


srv = http.server.ThreadingHTTPServer((host, 0), Handler)
if mode == "proxy":
    threading.Thread(target=read_offer, daemon=True).start()
print("ready tcp:%s:%d" % (host, srv.server_address[1]), flush=True)
srv.serve_forever()
