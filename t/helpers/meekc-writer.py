# SPDX-License-Identifier: MIT
# meekc-writer.py FIFO PID BYTES — write up to BYTES into FIFO, stopping
# once a write has been blocked for 2 s; sample PID's RSS from the first
# MiB on. Prints "sent=N rss_base=KB rss_peak=KB".
import os, select, sys, time
fd, pid, want = os.open(sys.argv[1], os.O_WRONLY), sys.argv[2], int(sys.argv[3])
os.set_blocking(fd, False)
def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
chunk, sent, base, peak = b"x" * 65536, 0, None, 0
while sent < want:
    # Blocked for 2 s: the backpressure holds.
    if not select.select([], [fd], [], 2.0)[1]:
        break
    try:
        sent += os.write(fd, chunk)
    except BlockingIOError:
        continue
    if base is None and sent >= 1 << 20:
        base = rss()
    if base is not None:
        peak = max(peak, rss())
print("sent=%d rss_base=%d rss_peak=%d" % (sent, base or -1, max(peak, rss())), flush=True)
