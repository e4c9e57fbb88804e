# SPDX-License-Identifier: MIT
# lanturn-consent.py PCAP TURNPORT — what lanturn-client sends its TURN
# server on UDP port TURNPORT, as far as liveness goes: STUN Binding
# requests to the server itself, and ICE consent checks (STUN Binding
# requests inside ChannelData, to the peer through the relay) with their
# attributes and the gaps between them. Prints
#   server_bindings N
#   consent N attrs=USERNAME,PRIORITY,… username_shape=8:8 gaps=G1,G2,…
#   consent_answers N
# (gaps in seconds between consecutive checks; username_shape "8:8" when
# every USERNAME is 8 hex digits, a colon, 8 hex digits). Classic pcap
# (Ethernet or Linux cooked).
import re
import struct
import sys

import pcapudp

path, port = sys.argv[1], int(sys.argv[2])
NAMES = {0x0006: "USERNAME", 0x0008: "MESSAGE-INTEGRITY", 0x0020: "XOR-MAPPED-ADDRESS",
         0x0024: "PRIORITY", 0x0025: "USE-CANDIDATE", 0x8028: "FINGERPRINT",
         0x8029: "ICE-CONTROLLED", 0x802A: "ICE-CONTROLLING"}


def stun(p):
    """(type, [attribute types], username) of a STUN message, or None."""
    if len(p) < 20 or p[0] & 0xC0 or p[4:8] != b"\x21\x12\xa4\x42":
        return None
    typ, length = struct.unpack(">HH", p[:4])
    attrs, user, off = [], None, 20
    while off + 4 <= 20 + length and off + 4 <= len(p):
        at, al = struct.unpack(">HH", p[off:off + 4])
        attrs.append(at)
        if at == 0x0006:
            user = p[off + 4:off + 4 + al].decode("latin-1")
        off += 4 + ((al + 3) & ~3)
    return typ, attrs, user


server_bindings, answers, times, attr_lists, shapes = 0, 0, [], set(), set()
for t, src, sport, dst, dport, pay in pcapudp.datagrams(path):
    if dport == port:
        m = stun(pay)
        if m and m[0] == 0x0001:
            server_bindings += 1
        elif len(pay) >= 4 and 0x40 <= pay[0] <= 0x4F:
            m = stun(pay[4:4 + struct.unpack(">H", pay[2:4])[0]])
            if m and m[0] == 0x0001:
                times.append(t)
                attr_lists.add(",".join(NAMES.get(a, "0x%04x" % a) for a in m[1]))
                ok = m[2] is not None and re.fullmatch(r"[0-9a-f]{8}:[0-9a-f]{8}", m[2])
                shapes.add("8:8" if ok else "other")
    elif sport == port and len(pay) >= 4 and 0x40 <= pay[0] <= 0x4F:
        m = stun(pay[4:4 + struct.unpack(">H", pay[2:4])[0]])
        if m and m[0] == 0x0101:
            answers += 1
gaps = [b - a for a, b in zip(times, times[1:])]
print("server_bindings %d" % server_bindings)
print("consent %d attrs=%s username_shape=%s gaps=%s" % (
    len(times), "|".join(sorted(attr_lists)) or "-", "|".join(sorted(shapes)) or "-",
    ",".join("%.2f" % g for g in gaps) or "-"))
print("consent_answers %d" % answers)
