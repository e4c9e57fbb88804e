#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# sdp-tamper.py MODE < IN > OUT — pass one JSON offer/answer line through,
# changed as an attacker on the signalling path would:
#   fingerprint   the first byte of the sha-256 fingerprint + 1
#   setup         setup:actpass -> setup:passive (a role the offerer
#                 must not claim)
#   many          200 extra candidates (after ours)
#   huge          2000 extra candidates
import json
import sys

mode = sys.argv[1]
msg = json.loads(sys.stdin.readline())
sdp = msg["sdp"]
if mode == "fingerprint":
    i = sdp.index("a=fingerprint:sha-256 ") + len("a=fingerprint:sha-256 ")
    sdp = sdp[:i] + "%02X" % ((int(sdp[i:i + 2], 16) + 1) % 256) + sdp[i + 2:]
elif mode == "setup":
    sdp = sdp.replace("a=setup:actpass", "a=setup:passive")
elif mode in ("many", "huge"):
    extra = "".join("a=candidate:%d 1 UDP 1 192.0.2.%d %d typ host\r\n" % (i, 3 + i % 200, 1024 + i)
                    for i in range(200 if mode == "many" else 2000))
    sdp = sdp.replace("a=end-of-candidates\r\n", extra + "a=end-of-candidates\r\n")
msg["sdp"] = sdp
sys.stdout.write(json.dumps(msg) + "\n")
