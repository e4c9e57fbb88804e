#!/bin/sh
# SPDX-License-Identifier: MIT
# A volunteer whose poll connection is gone is never handed a client: a
# fresher proxy that vanished (reset or FIN while its poll was held) loses
# to an older live one, and with only dead proxies the client hears "no
# proxies" at once instead of waiting out --client-timeout. The pool count
# on the admin listener drops as the dead polls are seen. A Sid that polls
# again while its first poll is held replaces it.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:127.0.0.1:0 --proxy-timeout 20 --client-timeout 10 \
	--relay wss://snowflake.torproject.net/ --admin "unix:$T/admin.sock"
python3 - "$pw_port" "$PW_PY" "$T/admin.sock" <<'PY' || fail "dead proxy"
import json, socket, struct, sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
w.ADMIN = sys.argv[3]
offer = json.dumps({"type": "offer", "sdp": "v=0\r\n"})

def raw_poll(sid):
    """A poll on a socket of our own, returned once the broker holds it."""
    n = w.metric("rendezvous_proxy_polls_total")
    s = socket.create_connection(("127.0.0.1", w.PORT))
    b = w.proxy_body(sid).encode()
    s.sendall(b"POST /proxy HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b))
    w.wait_metric("rendezvous_proxy_polls_total", n + 1)
    return s

live = w.held("/proxy", w.proxy_body("live"))
for i, how in enumerate(("rst", "fin")):
    s = raw_poll("dead-%s" % how)
    if how == "rst":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
t0 = time.time()
c = w.Bg("/client", w.client_body(offer))
st, b = live.get()
if json.loads(b)["Status"] != "client match":
    sys.exit("the live proxy was not matched: %r" % b)
w.post("/answer", w.answer_body("live", '{"type":"answer","sdp":"v=0"}'))
if c.get()[0] != 200 or b"answer" not in c.get()[1]:
    sys.exit("client: %r" % (c.get(),))
print("# matched with the live proxy in %.2fs" % (time.time() - t0))
# Only a dead proxy: "no proxies" at once.
s = raw_poll("dead-again")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
t0 = time.time()
got = w.post("/client", w.client_body(offer))
dt = time.time() - t0
if got != (200, b'{"error":"no snowflake proxies currently available"}') or dt > 3:
    sys.exit("only a dead proxy: %r after %.2fs" % (got, dt))
print("# only a dead proxy: no-proxies answer after %.2fs" % dt)
# The same Sid polls again while its first poll is held: the first is let
# go with "no match" at once, the second is the one a client gets.
first = w.held("/proxy", w.proxy_body("dup"))
t0 = time.time()
second = w.Bg("/proxy", w.proxy_body("dup"))
got = first.get()
if got != (200, b'{"Status":"no match","Offer":"","NAT":"","RelayURL":""}') or time.time() - t0 > 3:
    sys.exit("first poll of a repeated Sid: %r after %.2fs" % (got, time.time() - t0))
c = w.Bg("/client", w.client_body(offer))
st, b = second.get()
if json.loads(b)["Status"] != "client match":
    sys.exit("second poll of a repeated Sid: %r" % b)
w.post("/answer", w.answer_body("dup", '{"type":"answer","sdp":"v=0"}'))
if b"answer" not in c.get()[1]:
    sys.exit("client of the repeated Sid: %r" % (c.get(),))
PY
[ "$(rdv_metric "$T/admin.sock" rendezvous_proxies_waiting)" = 0 ] || fail "dead polls still counted"
[ "$(rdv_metric "$T/admin.sock" rendezvous_client_timeouts_total)" = 0 ] || fail "a client timed out"
pw_stop rdv
