#!/bin/sh
# SPDX-License-Identifier: MIT
# egress --events -: one JSON line per stream accept and per close, with the
# documented keys, byte counts that match the transfer, and a result that
# tells a success from a refusal; the session's events name its user.
. "$PW_TOP/t/lib.sh"

pw_httpd 3000000
pw_start egress 1 pw_egress -l tcp:127.0.0.1:0 --events - \
	--allow "127.0.0.1:$httpd_port"
egress_ep=$pw_ep egress_port=$pw_port
pw_start client 1 pw_socks_client -l tcp:127.0.0.1:0 -C "$egress_ep"
client_port=$pw_port
H=$httpd_port

pw_fetch direct big.bin --socks5 "127.0.0.1:$egress_port" "http://127.0.0.1:$H/big.bin"
pw_fetch via-client big.bin --socks5-hostname "127.0.0.1:$client_port" "http://127.0.0.1:$H/big.bin"
pw_refused refused 2 --socks5 "127.0.0.1:$egress_port" "http://127.0.0.1:25/"
pw_stop client
pw_stop egress

python3 - "$T/egress.out" "$H" 3000000 <<'PY' || fail "events check failed"
import json, sys
path, port, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
events = []
for n, line in enumerate(open(path), 1):
    line = line.rstrip("\n")
    # The key's status line, after the ready line, before any event.
    if not line or (n == 1 and line.startswith("fingerprint sha256:")):
        continue
    try:
        ev = json.loads(line)
    except ValueError as e:
        sys.exit("line %d is not JSON (%s): %r" % (n, e, line))
    if not isinstance(ev, dict):
        sys.exit("line %d is not an object: %r" % (n, line))
    events.append(ev)
    print("#", line)
base = {"time", "event", "session", "source", "destination"}
closing = base | {"bytes_up", "bytes_down", "duration", "result"}
for ev in events:
    want = closing if ev.get("event") == "close" else base
    missing = want - set(ev)
    if missing:
        sys.exit("event lacks %s: %r" % (sorted(missing), ev))
    if ev["event"] not in ("accept", "close"):
        sys.exit("unknown event %r" % ev["event"])
acc = [e for e in events if e["event"] == "accept"]
clo = [e for e in events if e["event"] == "close"]
if len(clo) != 3:
    sys.exit("want 3 closes (2 downloads, 1 refusal), got %d" % len(clo))
if len([e for e in acc if str(port) in str(e["destination"])]) != 2:
    sys.exit("want 2 accepts to port %s, got %r" % (port, acc))
ok = [e for e in clo if str(port) in str(e["destination"])]
bad = [e for e in clo if ":25" in str(e["destination"])]
if len(ok) != 2 or len(bad) != 1:
    sys.exit("want 2 closes to port %s and 1 to port 25: %r" % (port, clo))
for e in ok:
    for k in ("bytes_up", "bytes_down", "duration"):
        if not isinstance(e[k], (int, float)) or e[k] < 0:
            sys.exit("%s is not a non-negative number: %r" % (k, e))
    if e["bytes_down"] < size:
        sys.exit("bytes_down %r < %d for a %d-byte download" % (e["bytes_down"], size, size))
    if not 0 < e["bytes_up"] < 10000:
        sys.exit("bytes_up %r for one GET request" % e["bytes_up"])
if ok[0]["result"] != ok[1]["result"]:
    sys.exit("two successes with different results: %r %r" % (ok[0]["result"], ok[1]["result"]))
if bad[0]["result"] == ok[0]["result"]:
    sys.exit("a refusal has the result of a success: %r" % bad[0])
users = sorted(str(e.get("user")) for e in ok)
if users != ["None", "tester"]:
    sys.exit("want the session's stream by user tester, SOCKS5's without: %r" % users)
if bad[0]["bytes_down"] != 0:
    sys.exit("a refused stream counted bytes_down: %r" % bad[0])
sessions = {e["session"] for e in acc}
print("# %d events, results: ok=%r refused=%r, sessions %r" % (len(events), ok[0]["result"], bad[0]["result"], sessions))
PY
