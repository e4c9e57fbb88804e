# SPDX-License-Identifier: MIT
# meekc-reader.py FIFO PID STALL LIMIT [term]: read FIFO; after 1 MB stop for
# STALL seconds while sampling PID's RSS; read up to LIMIT bytes, then
# exit, or with "term" send PID a SIGTERM and read on to EOF.
import os, signal, sys, time
fifo, pid, stall, limit = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1
fd = os.open(fifo, os.O_RDONLY)
total, base, peak = 0, None, 0
while total < limit:
    b = os.read(fd, min(65536, limit - total))
    if not b:
        break
    total += len(b)
    if base is None and total >= 1 << 20:
        base = peak = rss()
        end = time.monotonic() + stall
        while time.monotonic() < end:
            peak = max(peak, rss())
            time.sleep(0.05)
    if base is not None:
        peak = max(peak, rss())
if sys.argv[5:] == ["term"]:
    os.kill(int(pid), signal.SIGTERM)
    while os.read(fd, 65536):
        pass
print("total=%d rss_base=%d rss_peak=%d" % (total, base or -1, peak), flush=True)
