#!/bin/sh
# SPDX-License-Identifier: MIT
# rendezvous speaks Snowflake's broker wire byte for byte, as the 2.5.1
# programs expect it: a held proxy poll ends in the exact "no match" object
# after --proxy-timeout; the proxy keeps its Sid across polls and the poll
# that matches hands it the client's offer encoded as a JSON string (SDP
# JSON inside), the client's NAT type and the relay URL; the answer goes
# back to the client as {"answer":…} with the answer string exactly as the
# proxy sent it, and the proxy gets {"Status":"success"}; an answer for a
# client no longer waiting gets "client gone"; the client errors are HTTP
# 200 with Snowflake's texts; a malformed or other-version proxy poll or
# answer gets 400; a legacy client (bare SDP JSON) gets the bare answer or
# 503; unknown paths 404, OPTIONS and robots.txt as the real broker.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

cat >"$T/bridges" <<'B'
{"displayName":"default","webSocketAddress":"wss://snowflake.torproject.net/","fingerprint":"2B280B23E1107BB62ABFC40DDCC8824814F80A72"}
{"displayName":"second","webSocketAddress":"wss://02.snowflake.torproject.net","fingerprint":"8838024498816A039FCBBAB14E6F40A0843051FA"}
B
pw_start rdv 2 "$PW_BIN/rendezvous" -l tcp:127.0.0.1:0 --bridge-list "$T/bridges" \
	--proxy-timeout 1 --client-timeout 2 --admin "unix:$T/admin.sock"
python3 - "$pw_port" "$PW_PY" "$T/admin.sock" <<'PY' || fail "wire"
import json, sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
w.ADMIN = sys.argv[3]

def want(what, got, exp):
    if got != exp:
        sys.exit("%s: got %r, want %r" % (what, got, exp))

t0 = time.time()
want("idle poll", w.post("/proxy", w.proxy_body("sid-one")),
     (200, b'{"Status":"no match","Offer":"","NAT":"","RelayURL":""}'))
held = time.time() - t0
if not 0.8 < held < 5:
    sys.exit("idle poll held %.2fs, want about 1s" % held)
print("# idle poll held %.2fs" % held)

offer = json.dumps({"type": "offer", "sdp": "v=0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n<&>"})
answer = json.dumps({"type": "answer", "sdp": "v=0\r\na=candidate:2 1 udp 1 192.0.2.2 6000 typ host\r\n"})
# The same Sid polls again and is matched.
p = w.held("/proxy", w.proxy_body("sid-one", nat="unrestricted"))
c = w.Bg("/client", w.client_body(offer, nat="restricted", fingerprint="8838024498816A039FCBBAB14E6F40A0843051FA"))
st, body = p.get()
want("match status", st, 200)
exp = (b'{"Status":"client match","Offer":' + json.dumps(offer).replace("<", "\\u003c").replace(">", "\\u003e")
       .replace("&", "\\u0026").encode() + b',"NAT":"restricted","RelayURL":"wss://02.snowflake.torproject.net"}')
want("match body", body, exp)
if json.loads(json.loads(body)["Offer"])["type"] != "offer":
    sys.exit("the offer is not SDP JSON inside a string")
want("answer", w.post("/answer", w.answer_body("sid-one", answer)), (200, b'{"Status":"success"}'))
st, body = c.get()
want("client status", st, 200)
want("client answer", json.loads(body), {"answer": answer})

# Late answer: the client timed out (no answer within 2 s).
p = w.held("/proxy", w.proxy_body("sid-two"))
c = w.Bg("/client", w.client_body(offer))
p.get()
want("client timeout", c.get(), (200, b'{"error":"timed out waiting for answer!"}'))
want("client gone", w.post("/answer", w.answer_body("sid-two", answer)), (200, b'{"Status":"client gone"}'))

# Client errors: HTTP 200, exact texts.
nop = b'{"error":"no snowflake proxies currently available"}'
want("no proxies", w.post("/client", w.client_body(offer)), (200, nop))
want("version", w.post("/client", b"2.0\n{}"), (200, b'{"error":"unsupported message version"}'))
want("no newline", w.post("/client", b"1.0"), (200, b'{"error":"unsupported message version"}'))
want("no offer", w.post("/client", b'1.0\n{"nat":"unknown"}'), (200, b'{"error":"no supplied offer"}'))
want("bad nat", w.post("/client", w.client_body(offer, nat="sideways")), (200, b'{"error":"invalid NAT type"}'))
want("bad fpr", w.post("/client", w.client_body(offer, fingerprint="abc")),
     (200, b'{"error":"cannot decode fingerprint"}'))
want("unknown bridge", w.post("/client", w.client_body(offer, fingerprint="00" * 20)),
     (200, b'{"error":"bridge not found"}'))
st, body = w.post("/client", b"1.0\n{not json")
want("malformed client JSON", st, 200)
if b'"error"' not in body:
    sys.exit("malformed client JSON: %r" % body)
# Legacy client: bare SDP JSON, bare answer or 503.
want("legacy no proxies", w.post("/client", offer, {"Snowflake-NAT-Type": "unrestricted"}), (503, b""))
p = w.held("/proxy", w.proxy_body("sid-three"))
c = w.Bg("/client", offer, headers={"Snowflake-NAT-Type": "unrestricted"})
st, body = p.get()
want("legacy offer to proxy", json.loads(json.loads(body)["Offer"]), json.loads(offer))
want("legacy answer", w.post("/answer", w.answer_body("sid-three", answer)), (200, b'{"Status":"success"}'))
want("legacy client", c.get(), (200, answer.encode()))

# Proxy errors: 400, empty body.
for name, b in (("no sid", w.proxy_body("")), ("version 2", w.proxy_body("x", version="2.0")),
                ("no version", '{"Sid":"x"}'), ("bad nat", w.proxy_body("x", nat="sideways")),
                ("sid type", '{"Sid":5,"Version":"1.3"}'), ("clients type", '{"Sid":"x","Version":"1.3","Clients":"8"}'),
                ("negative clients", '{"Sid":"x","Version":"1.3","Clients":-8}'),
                ("array", "[]"), ("malformed", '{"Sid":'), ("trailing", w.proxy_body("x") + "}")):
    want("proxy " + name, w.post("/proxy", b), (400, b""))
for name, b in (("no answer", '{"Version":"1.3","Sid":"x"}'), ("version", w.answer_body("x", answer).replace("1.3", "3.1")),
                ("malformed", "{")):
    want("answer " + name, w.post("/answer", b), (400, b""))
# Go's decoder matches field names without regard to case.
want("case-insensitive fields", w.post("/answer", '{"version":"1.3","sid":"nobody","answer":"a"}'),
     (200, b'{"Status":"client gone"}'))

import http.client
h = http.client.HTTPConnection("127.0.0.1", w.PORT, timeout=10)
h.request("GET", "/nowhere")
r = h.getresponse()
want("404", (r.status, r.read()), (404, b"404 page not found\n"))
h.request("OPTIONS", "/proxy")
r = h.getresponse()
r.read()
want("OPTIONS", (r.status, r.getheader("Access-Control-Allow-Origin")), (200, "*"))
h.request("GET", "/robots.txt")
r = h.getresponse()
want("robots", (r.status, r.read()), (200, b"User-agent: *\nDisallow: /\n"))
h.request("GET", "/proxy")
r = h.getresponse()
r.read()
want("GET /proxy", r.status, 405)
print("# wire ok")
PY
[ "$(rdv_metric "$T/admin.sock" rendezvous_matches_total)" = 3 ] || fail "matches: $(rdv_metric "$T/admin.sock" rendezvous_matches_total)"
[ "$(rdv_metric "$T/admin.sock" rendezvous_client_timeouts_total)" = 1 ] || fail "client timeouts"
[ "$(rdv_metric "$T/admin.sock" 'rendezvous_matches_nat_total{nat="restricted"}')" = 1 ] || fail "per-NAT matches"
pw_stop rdv
