#!/bin/sh
# SPDX-License-Identifier: MIT
# rendezvous's limits (DESIGN.md §8), each with the legitimate request that
# still works after it: an oversize body (413 before it is read) and an
# oversize chunked one, a header flood (431), a slowloris head cut off by
# --read-timeout, a silent connection closed, the per-address connection
# cap, the per-address poll rate and the cap on held proxy polls (both
# answered "no match" at once), the cap on waiting clients; every refusal
# counted on the admin listener.
. "$PW_TOP/t/lib.sh"
. "$PW_TOP/t/lib-rdv.sh"

pw_start rdv 1 "$PW_BIN/rendezvous" -l tcp:127.0.0.1:0 --proxy-timeout 5 --client-timeout 2 \
	--read-timeout 2 --max-conns-per-addr 6 --poll-rate 1 --poll-burst 4 --max-proxies 2 \
	--max-clients 1 --relay wss://snowflake.torproject.net/ --admin "unix:$T/admin.sock"
python3 - "$pw_port" "$PW_PY" "$T/admin.sock" <<'PY' || fail "limits"
import json, socket, sys, time
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
w.ADMIN = sys.argv[3]
offer = json.dumps({"type": "offer", "sdp": "v=0\r\n"})

def raw(data, wait=5):
    s = socket.create_connection(("127.0.0.1", w.PORT))
    s.settimeout(wait)
    got = b""
    try:
        s.sendall(data)
        while True:
            c = s.recv(4096)
            if not c:
                return got, "closed"
            got += c
    except socket.timeout:
        return got, "open"
    except (ConnectionResetError, BrokenPipeError):
        return got, "reset"
    finally:
        s.close()

got, st = raw(b"POST /client HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + b"a" * 1000)
if not got.startswith(b"HTTP/1.1 413 ") or st == "open":
    sys.exit("oversize body: %r %s" % (got[:40], st))
big = b"186a1\r\n" + b"a" * 100001 + b"\r\n0\r\n\r\n"
got, st = raw(b"POST /client HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + big)
if not (got.startswith(b"HTTP/1.1 413 ") or got.startswith(b"HTTP/1.1 400 ")) or st == "open":
    sys.exit("oversize chunked body: %r %s" % (got[:40], st))
got, st = raw(b"POST /proxy HTTP/1.1\r\nX-Flood: " + b"a" * 9000)
if not got.startswith(b"HTTP/1.1 431 ") or st == "open":
    sys.exit("header flood: %r %s" % (got[:40], st))
got, st = raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
if not got.startswith(b"HTTP/1.1 400 ") or st == "open":
    sys.exit("TLS hello: %r %s" % (got[:40], st))
# A chunked proxy poll is read like any other.
b = w.proxy_body("chunky").encode()
got, st = raw(b"POST /proxy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(b), b), 8)
if b'"Status":"no match"' not in got:
    sys.exit("chunked poll: %r" % got)
# Slowloris: one byte a second is cut off by the 2 s read timeout.
s = socket.create_connection(("127.0.0.1", w.PORT))
t0 = time.time()
closed = False
for c in b"POST /proxy HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 20:
    try:
        s.send(bytes([c]))
        s.settimeout(1)
        if s.recv(100) == b"":
            closed = True
            break
    except socket.timeout:
        continue
    except (ConnectionResetError, BrokenPipeError):
        closed = True
        break
if not closed or time.time() - t0 > 6:
    sys.exit("slowloris not cut off (%.1fs)" % (time.time() - t0))
print("# slowloris closed after %.1fs" % (time.time() - t0))
s.close()
# Silent connections count toward the per-address cap (6); the 7th is closed at once.
n = w.metric("rendezvous_connections_total")
held = [socket.create_connection(("127.0.0.1", w.PORT)) for _ in range(6)]
w.wait_metric("rendezvous_connections_total", n + 6)
x = socket.create_connection(("127.0.0.1", w.PORT))
x.settimeout(2)
try:
    r = x.recv(10)
except (ConnectionResetError, socket.timeout):
    r = b"timeout"
if r != b"":
    sys.exit("7th connection from one address not closed: %r" % r)
t0 = time.time()
for s in held:
    s.settimeout(5)
    try:
        if s.recv(10) != b"":
            sys.exit("a silent connection got bytes")
    except ConnectionResetError:
        pass
print("# silent connections closed after %.1fs" % (time.time() - t0))
time.sleep(1.5)  # refill the poll bucket
# Poll rate: burst 4 then 1/s. Cap on held polls: 2.
polls = [w.held("/proxy", w.proxy_body("p%d" % i)) for i in range(2)]
t0 = time.time()
if w.post("/proxy", w.proxy_body("over-cap"))[1] != b'{"Status":"no match","Offer":"","NAT":"","RelayURL":""}' or time.time() - t0 > 1:
    sys.exit("the third held poll was not refused at once")
for i in range(3):
    w.post("/proxy", w.proxy_body("rate%d" % i))
# Cap on waiting clients: 1; the proxies held are matched with it.
c1 = w.held("/client", w.client_body(offer))
got = w.post("/client", w.client_body(offer))
if got != (200, b'{"error":"no snowflake proxies currently available"}'):
    sys.exit("second client over the cap: %r" % (got,))
c1.get()
for p in polls:
    p.get()
print("# limits ok")
PY
for l in per_addr poll_rate proxies clients; do
	v=$(rdv_metric "$T/admin.sock" "rendezvous_refused_total{limit=\"$l\"}")
	[ "${v:-0}" -ge 1 ] || fail "refusals for $l not counted ($v)"
	note "refused for $l: $v"
done
[ "$(rdv_metric "$T/admin.sock" rendezvous_oversize_total)" -ge 2 ] || fail "oversize not counted"
# Still serving.
python3 - "$pw_port" "$PW_PY" <<'PY' || fail "a legitimate poll after the attacks"
import sys
sys.path.insert(0, sys.argv[2])
import rdvwire as w
w.PORT = int(sys.argv[1])
import time
time.sleep(1.2)
st, b = w.post("/proxy", w.proxy_body("legit"))
if st != 200 or b'"Status":"no match"' not in b:
    sys.exit("legit poll: %r" % b)
PY
pw_stop rdv
