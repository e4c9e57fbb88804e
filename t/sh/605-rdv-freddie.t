#!/bin/sh
# SPDX-License-Identifier: MIT
# freddie's wire (reference lantern.md §3.2-3.3) with a scripted consumer
# and volunteer: 418 for another major X-BF-Version (and none), OPTIONS
# preflight with X-BF-Version allowed; two consumers listening when a
# genesis is posted both receive it; the first offer wins the volunteer
# (its held POST answers with the offer envelope) and the second gets 404;
# answer and ICE go round with their own reqIDs, ICE answered at once; a
# genesis posted while no consumer listens is not lost (a consumer that
# comes later is sent it); with two volunteers waiting, two consumers are
# sent different ones (matchmaking, not first-come broadcast); a volunteer
# that vanishes is never proposed and an offer to it gets 404; a genesis
# no one takes gets an empty 200 after 5 s.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:127.0.0.1:0 --relay wss://snowflake.torproject.net/ \
	--admin "unix:$T/admin.sock" --poll-rate 1000 --poll-burst 1000
python3 - "$pw_port" "$PW_PY" "$T/admin.sock" <<'PY' || fail "freddie"
import http.client, json, socket, struct, sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
w.ADMIN = sys.argv[3]

def want(what, got, exp):
    if got != exp:
        sys.exit("%s: got %r, want %r" % (what, got, exp))

want("no version", w.fpost("genesis", 0, "{}", version=None), (418, b"418\n"))
want("major 3", w.fpost("genesis", 0, "{}", version="v3.0.0"), (418, b"418\n"))
want("bad type", w.fpost("genesis", "zero", "{}"), (400, b"400\n"))
h = http.client.HTTPConnection("127.0.0.1", w.PORT, timeout=10)
h.request("OPTIONS", "/v1/signal")
r = h.getresponse()
r.read()
if r.status != 200 or "X-BF-Version" not in (r.getheader("Access-Control-Allow-Headers") or ""):
    sys.exit("OPTIONS: %d %r" % (r.status, r.getheaders()))

genesis = json.dumps({"PathAssertion": {"Allow": [{"Host": "$", "Distance": 1}], "Deny": None, "JITUnavailable": False}})
n = w.metric("rendezvous_freddie_streams_total")
a, b = w.Stream(), w.Stream()
w.wait_metric("rendezvous_freddie_streams_total", n + 2)
vol = w.FBg("genesis", 0, genesis)
ga, gb = a.poll(2), b.poll(2)
if len(ga) != 1 or len(gb) != 1:
    sys.exit("both consumers must get the genesis: %r %r" % (ga, gb))
g = ga[0]
want("genesis envelope", (g["Type"], json.loads(g["Payload"])), (0, json.loads(genesis)))
want("same genesis", gb[0]["ReplyTo"], g["ReplyTo"])
offer = json.dumps({"SDP": {"type": "offer", "sdp": "v=0\r\n"}, "Tag": "t"})
oa = w.FBg(g["ReplyTo"], 1, offer)
st, body = vol.get()
want("volunteer gets the offer", st, 200)
env = json.loads(body)
want("offer envelope", (env["Type"], env["Payload"]), (1, offer))
want("second offer is too late", w.fpost(g["ReplyTo"], 1, offer), (404, b"404\n"))
answer = json.dumps({"type": "answer", "sdp": "v=0\r\na=candidate:1 1 udp 1 192.0.2.2 6000 typ srflx\r\n"})
va = w.FBg(env["ReplyTo"], 2, answer)
st, body = oa.get()
aenv = json.loads(body)
want("consumer gets the answer", (st, aenv["Type"], aenv["Payload"]), (200, 2, answer))
ice = json.dumps({"Candidates": [], "ConsumerSessionID": "0c5a3a2e-0000-4000-8000-000000000000"})
t0 = time.time()
want("ICE answered at once", w.fpost(aenv["ReplyTo"], 3, ice), (200, b""))
if time.time() - t0 > 1:
    sys.exit("ICE took %.2fs" % (time.time() - t0))
st, body = va.get()
want("volunteer gets ICE", (st, json.loads(body)["Type"], json.loads(body)["Payload"]), (200, 3, ice))
a.close(); b.close()
print("# genesis, offer, answer, ICE, 404 when late: ok")

# Posted while nobody listens: consumers arriving later still get them, and
# with two volunteers waiting, two consumers are sent different ones.
n = w.metric("rendezvous_freddie_genesis_total")
v1 = w.FBg("genesis", 0, genesis + " ")
v2 = w.FBg("genesis", 0, genesis + "  ")
w.wait_metric("rendezvous_freddie_genesis_total", n + 2)
c, d = w.Stream(), w.Stream()
gc, gd = c.poll(1), d.poll(1)
if len(gc) != 1 or len(gd) != 1:
    sys.exit("consumers arriving after the geneses: %r %r" % (gc, gd))
if {gc[0]["Payload"], gd[0]["Payload"]} != {genesis + " ", genesis + "  "}:
    sys.exit("two consumers, two volunteers: %r %r" % (gc, gd))
print("# buffered geneses and matchmaking choice: ok")
for s in (c, d):
    s.close()
# A volunteer that vanishes: never proposed, an offer to it is a 404.
s = socket.create_connection(("127.0.0.1", w.PORT))
body = b"data=%7B%7D&send-to=genesis&type=0"
s.sendall(b"POST /v1/signal HTTP/1.1\r\nHost: x\r\nX-BF-Version: v2.3.1\r\n"
          b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
f = w.Stream()
gone = f.poll(1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
time.sleep(0.3)
g2 = w.Stream()
later = g2.poll(1)
if any(m["Payload"] == "{}" for m in later):
    sys.exit("a vanished volunteer was proposed: %r" % later)
vid = [m["ReplyTo"] for m in gone if m["Payload"] == "{}"]
if vid:
    want("offer to a vanished volunteer", w.fpost(vid[0], 1, offer), (404, b"404\n"))
f.close(); g2.close()
# No taker: an empty 200 after about 5 s.
t0 = time.time()
want("genesis with no taker", v2.get(), (200, b""))
print("# vanished volunteer skipped; untaken genesis ended after %.1fs" % (time.time() - t0))
v1.get()
PY
[ "$(rdv_metric "$T/admin.sock" rendezvous_freddie_bad_version_total)" -ge 2 ] || fail "418s not counted"
[ "$(rdv_metric "$T/admin.sock" rendezvous_freddie_matches_total)" -ge 1 ] || fail "matches not counted"
[ "$(rdv_metric "$T/admin.sock" rendezvous_freddie_volunteers_waiting)" = 0 ] || fail "volunteers left over"
pw_stop rdv
