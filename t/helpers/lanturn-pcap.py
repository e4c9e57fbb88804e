# SPDX-License-Identifier: MIT
# lanturn-pcap.py PCAP PORT [HEX…] — what a capture of lanturn calls shows
# on the wire. PORT is lanturn-egress's UDP port; "up" is toward it, "down"
# from it. Only the latest call counts (the client address whose first
# datagram comes last): lanturn-egress keeps sending to an earlier call's
# client until its idle timeout. For each direction and RTP payload type:
#   DIR pt=PT packets=N pps=R min=B max=B markers=M marker_rate=R
# (sizes are UDP payload bytes, SRTP header and tag included; rates over
# the span from that stream's first to its last packet), then
#   DIR dtls=N rtcp=N other=N
# and, for each HEX needle, "needle HEX N" with N the datagrams (of every
# call) that hold those bytes in the clear. Reads classic pcap (Ethernet or Linux cooked).
import sys

import pcapudp

path, port = sys.argv[1], int(sys.argv[2])
needles = [bytes.fromhex(h) for h in sys.argv[3:]]

streams = {}
counts = {}
first = {}
found = [0] * len(needles)
dgrams = []
for t, src, sport, dst, dport, pay in pcapudp.datagrams(path):
    if dport == port:
        d, peer = "up", (src, sport)
    elif sport == port:
        d, peer = "down", (dst, dport)
    else:
        continue
    first.setdefault(peer, t)
    for i, n in enumerate(needles):
        if n in pay:
            found[i] += 1
    dgrams.append((t, d, peer, pay))
latest = max(first, key=lambda p: first[p]) if first else None
for t, d, peer, pay in dgrams:
    if peer != latest:
        continue
    c = counts.setdefault(d, {"dtls": 0, "rtcp": 0, "other": 0})
    b0 = pay[0] if pay else 0
    if 20 <= b0 <= 63:
        c["dtls"] += 1
    elif 128 <= b0 <= 191 and len(pay) >= 12:
        if 192 <= pay[1] <= 223:
            c["rtcp"] += 1
            continue
        pt, marker = pay[1] & 0x7F, pay[1] >> 7
        s = streams.setdefault((d, pt), {"n": 0, "t0": t, "t1": t, "min": 1 << 30, "max": 0, "m": 0})
        s["n"] += 1
        s["t1"] = t
        s["min"] = min(s["min"], len(pay))
        s["max"] = max(s["max"], len(pay))
        s["m"] += marker
    else:
        c["other"] += 1
for (d, pt), s in sorted(streams.items()):
    span = max(s["t1"] - s["t0"], 1e-6)
    print("%s pt=%d packets=%d pps=%.1f min=%d max=%d markers=%d marker_rate=%.1f" %
          (d, pt, s["n"], (s["n"] - 1) / span, s["min"], s["max"], s["m"], s["m"] / span))
for d, c in sorted(counts.items()):
    print("%s dtls=%d rtcp=%d other=%d" % (d, c["dtls"], c["rtcp"], c["other"]))
for n, k in zip(sys.argv[3:], found):
    print("needle %s %d" % (n, k))
