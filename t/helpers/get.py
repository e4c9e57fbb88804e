# SPDX-License-Identifier: MIT
# get.py [options] PROXY HOST PORT PATH — fetch http://HOST:PORT/PATH through
# a SOCKS5 proxy (default) or an HTTP CONNECT proxy (--http), PROXY being
# HOST:PORT. Prints "status=N" (the SOCKS5 reply or CONNECT status), then
# "mark" once --mark BYTES of body arrived, then "total=N sha256=H".
#   --stall S      read nothing for S seconds after the request
#   --rate MBPS    read no faster than this
#   --rss PID,…    sample these PIDs' VmRSS (kB) and print "rss PID base max"
#                  (base taken after the stall begins, max over the transfer)
#   --mark B[,B…]  print "mark" each time that many body bytes have arrived
#   --markfile F   write "mark" to F (a fifo) instead of stdout
import hashlib, socket, sys, time

args, opts = [], {"stall": 0.0, "rate": 0.0, "rss": "", "mark": -1, "markfile": "", "http": False}
it = iter(sys.argv[1:])
for a in it:
    if a == "--http":
        opts["http"] = True
    elif a.startswith("--"):
        opts[a[2:]] = next(it)
    else:
        args.append(a)
proxy, host, port, path = args
ph, _, pp = proxy.rpartition(":")
stall, rate = float(opts["stall"]), float(opts["rate"])
marks = sorted(int(m) for m in str(opts["mark"]).split(",") if int(m) >= 0)
pids = [p for p in opts["rss"].split(",") if p]

def rss(pid):
    try:
        for line in open("/proc/%s/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return -1
    return -1

s = socket.create_connection((ph, int(pp)), timeout=20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb", buffering=0)

def readn(n):
    b = b""
    while len(b) < n:
        c = f.read(n - len(b))
        if not c:
            print("EOF in proxy reply", flush=True)
            sys.exit(1)
        b += c
    return b

if opts["http"]:
    s.sendall(b"CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n" % (host.encode(), port.encode(), host.encode(), port.encode()))
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += readn(1)
    code = int(head.split()[1])
    print("status=%d" % code, flush=True)
    if code != 200:
        sys.exit(2)
else:
    s.sendall(b"\x05\x01\x00")
    if readn(2) != b"\x05\x00":
        print("bad method reply", flush=True)
        sys.exit(1)
    hb = host.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(hb)]) + hb + int(port).to_bytes(2, "big"))
    h = readn(4)
    readn({1: 4, 4: 16}.get(h[3], 0) + 2 if h[3] != 3 else readn(1)[0] + 2)
    print("status=%d" % h[1], flush=True)
    if h[1] != 0:
        sys.exit(2)

s.sendall(b"GET /%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" % (path.encode(), host.encode(), port.encode()))
base = {p: rss(p) for p in pids}
peak = dict(base)
if stall:
    time.sleep(stall / 2)
    for p in pids:
        peak[p] = max(peak[p], rss(p))
    time.sleep(stall / 2)
for p in pids:
    peak[p] = max(peak[p], rss(p))
head = b""
while b"\r\n\r\n" not in head:
    c = f.read(1)
    if not c:
        print("EOF in HTTP head", flush=True)
        sys.exit(1)
    head += c
length = None
for line in head.split(b"\r\n")[1:]:
    k, _, v = line.partition(b":")
    if k.strip().lower() == b"content-length":
        length = int(v)
print("http=%s" % head.split()[1].decode(), flush=True)
h, total, t0, nsample = hashlib.sha256(), 0, time.monotonic(), 0
while True:
    c = f.read(65536)
    if not c:
        break
    h.update(c)
    total += len(c)
    while marks and marks[0] <= total:
        marks.pop(0)
        if opts["markfile"]:
            with open(opts["markfile"], "w") as m:
                m.write("mark\n")
        else:
            print("mark", flush=True)
    if pids and total // (4 << 20) != nsample:
        nsample = total // (4 << 20)
        for p in pids:
            peak[p] = max(peak[p], rss(p))
    if rate:
        ahead = total / (rate * 1e6) - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
for p in pids:
    print("rss %s %d %d" % (p, base[p], peak[p]), flush=True)
print("total=%d sha256=%s" % (total, h.hexdigest()), flush=True)
if length is not None and total != length:
    print("short body: %d of %d" % (total, length), flush=True)
    sys.exit(1)
