#!/bin/sh
# SPDX-License-Identifier: MIT
# Matchmaking as Snowflake does it, and relay choice: a restricted client
# gets no restricted or unknown-NAT proxy ("no proxies" at once, not after
# a timeout) but does get an unrestricted one; an unrestricted client is
# given a restricted proxy before an unrestricted one; of two proxies the
# one with fewer clients wins; the relay handed out is one the proxy's
# AcceptedRelayPattern admits (wss:// before ws://), and a proxy admitting
# none gets "incorrect relay pattern" at once; a proxy that drops an offer
# with a ws:// relay is given only wss:// relays afterwards; with
# --client-wait, clients queue and are served in arrival order.
. "$PW_TOP/t/lib.sh"

pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:127.0.0.1:0 --proxy-timeout 8 --client-timeout 1 \
	--client-wait 2 --relay ws://relay.example.net/ --relay wss://relay.example.net/ \
	--relay wss://other.example.org/ --poll-rate 1000 --poll-burst 1000 --admin "unix:$T/admin.sock"
python3 - "$pw_port" "$PW_PY" "$T/admin.sock" <<'PY' || fail "matching"
import json, sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
w.ADMIN = sys.argv[3]
offer = json.dumps({"type": "offer", "sdp": "v=0\r\n"})

def want(what, got, exp):
    if got != exp:
        sys.exit("%s: got %r, want %r" % (what, got, exp))

def poll(sid, **kw):
    kw.setdefault("pattern", "relay.example.net$")
    return w.held("/proxy", w.proxy_body(sid, **kw))

def fields(p):
    st, b = p.get()
    return json.loads(b)

# A restricted client and only non-unrestricted proxies: no match, promptly
# after --client-wait (2 s), not the client timeout.
a = poll("restricted-1", nat="restricted")
b = poll("unknown-1", nat="unknown")
t0 = time.time()
want("restricted client, no unrestricted proxy", w.post("/client", w.client_body(offer, nat="restricted")),
     (200, b'{"error":"no snowflake proxies currently available"}'))
dt = time.time() - t0
# --client-wait is 2 s, the proxies' polls are held 8 s: 5 s tells them
# apart with room for a loaded machine (2.8 s left it 0.8 s).
if dt > 5:
    sys.exit("no-match answer took %.2fs" % dt)
print("# restricted client: no match after %.2fs" % dt)
# An unrestricted client takes the restricted and unknown proxies (fresher first) before the
# unrestricted one.
u = poll("unrestricted-1", nat="unrestricted")
c = w.Bg("/client", w.client_body(offer, nat="unrestricted"))
want("unrestricted client uses the unknown-NAT proxy (the fresher) first", fields(b)["Status"], "client match")
c.get()
c = w.Bg("/client", w.client_body(offer, nat="unrestricted"))
want("then the restricted one", fields(a)["Status"], "client match")
c.get()
# Now a restricted client gets the unrestricted proxy.
c = w.Bg("/client", w.client_body(offer, nat="restricted"))
f = fields(u)
want("restricted client gets the unrestricted proxy", (f["Status"], f["NAT"]), ("client match", "restricted"))
want("wss:// before ws://", f["RelayURL"], "wss://relay.example.net/")
c.get()
# Fewer clients wins.
busy = poll("busy", nat="unrestricted", clients=16)
idle = poll("idle", nat="unrestricted", clients=0)
c = w.Bg("/client", w.client_body(offer, nat="unrestricted"))
want("the proxy with free slots", fields(idle)["Status"], "client match")
c.get()
c = w.Bg("/client", w.client_body(offer, nat="unrestricted"))
want("then the busy one", fields(busy)["Status"], "client match")
c.get()
# The relay matches the proxy's pattern.
o = poll("other", nat="unrestricted", pattern="^other.example.org$")
c = w.Bg("/client", w.client_body(offer))
want("relay admitted by the pattern", fields(o)["RelayURL"], "wss://other.example.org/")
c.get()
want("pattern admitting none", w.post("/proxy", w.proxy_body("x", pattern="snowflake.torproject.net$")),
     (200, b'{"Status":"incorrect relay pattern","Offer":"","NAT":"","RelayURL":""}'))
# Arrival order: two queued clients, the first one gets the next proxy.
c1 = w.held("/client", w.client_body(offer + " "))
c2 = w.held("/client", w.client_body(offer + "  "))
f = fields(poll("late", nat="unrestricted"))
want("oldest client first", f["Offer"], offer + " ")
f = fields(poll("later", nat="unrestricted"))
want("then the next", f["Offer"], offer + "  ")
c1.get()
c2.get()
print("# matching ok")
PY

# ws:// only: a proxy that drops the offer (never answers) is given no
# ws:// relay for a while, so a ws://-only broker gives it "incorrect
# relay pattern" on its next poll.
pw_stop rdv
pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:127.0.0.1:0 --proxy-timeout 3 --client-timeout 1 \
	--relay ws://relay.example.net/ --admin "unix:$T/admin2.sock"
python3 - "$pw_port" "$PW_PY" "$T/admin2.sock" <<'PY' || fail "ws relay"
import json, sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
w.ADMIN = sys.argv[3]
offer = json.dumps({"type": "offer", "sdp": "v=0\r\n"})
p = w.held("/proxy", w.proxy_body("tls-only", pattern="relay.example.net$"))
c = w.Bg("/client", w.client_body(offer))
st, b = p.get()
if json.loads(b)["RelayURL"] != "ws://relay.example.net/":
    sys.exit("first offer: %r" % b)
if c.get() != (200, b'{"error":"timed out waiting for answer!"}'):
    sys.exit("client: %r" % (c.get(),))
st, b = w.post("/proxy", w.proxy_body("tls-only-2", pattern="relay.example.net$"))
if json.loads(b)["Status"] != "incorrect relay pattern":
    sys.exit("after dropping a ws:// offer: %r" % b)
print("# ws:// relay withheld after a silent drop")
PY
pw_stop rdv
