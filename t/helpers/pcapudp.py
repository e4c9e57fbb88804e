# SPDX-License-Identifier: MIT
# pcapudp.py — the IPv4 UDP datagrams of a classic pcap file (Ethernet or
# Linux cooked link type, micro- or nanosecond timestamps, either byte
# order), for the capture readers beside it (imported, not run):
#   for t, src, sport, dst, dport, payload in pcapudp.datagrams(path): …
# src and dst are the 4 address bytes; t is in seconds.
import struct
import sys


def datagrams(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            etype, ip = struct.unpack(">H", pkt[12:14])[0], pkt[14:]
        elif linktype == 113:
            etype, ip = struct.unpack(">H", pkt[14:16])[0], pkt[16:]
        else:
            sys.exit("unknown link type %d" % linktype)
        if etype != 0x0800 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport, ulen = struct.unpack(">HHH", ip[ihl:ihl + 6])
        yield (sec + frac / (1e9 if nano else 1e6), ip[12:16], sport, ip[16:20], dport,
               ip[ihl + 8:ihl + ulen])
