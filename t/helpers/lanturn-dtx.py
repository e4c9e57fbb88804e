# SPDX-License-Identifier: MIT
# lanturn-dtx.py SOCK MODE SECONDS — an opus call's upstream packet rate as
# lanturn-egress counts it (lanturn_datagrams_in_total of its admin
# listener SOCK, polled every 50 ms), in 1 s windows (the newest sample at
# least 1 s after an older one).
#   quiet: exit 0 as soon as a window holds at most 5 datagrams (a DTX
#     quiet period: one packet a second); 1 if none within SECONDS.
#   steady: watch SECONDS; exit 0 when no window held 5 or fewer
#     (never quiet), 1 otherwise.
# Either way prints "windows=N min=M mean_pps=R elapsed=S" (min: the
# fewest datagrams in a window). Only one call may be alive.
import socket
import sys
import time

sock, mode, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
WINDOW, QUIET = 1.0, 5


def metric():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    for line in data.decode("latin-1").splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == "lanturn_datagrams_in_total":
            return int(f[1])
    raise SystemExit("lanturn-dtx.py: no lanturn_datagrams_in_total")


samples = []
t0 = time.monotonic()
windows, fewest, quiet = 0, None, False
while True:
    now = time.monotonic()
    samples.append((now, metric()))
    if len(samples) == 1 and windows == 0:
        first = samples[0]
    last = samples[-1]
    # the newest window: the latest older sample at least WINDOW back
    old = None
    for t, n in samples:
        if now - t >= WINDOW:
            old = (t, n)
    if old is not None:
        windows += 1
        # datagrams per second of window, scaled to one window
        k = (samples[-1][1] - old[1]) * WINDOW / (now - old[0])
        fewest = k if fewest is None else min(fewest, k)
        samples = [s for s in samples if s[0] >= old[0]]
        if k <= QUIET:
            quiet = True
            if mode == "quiet":
                break
    if now - t0 >= limit:
        break
    time.sleep(0.05)
elapsed = time.monotonic() - t0
span = last[0] - first[0]
print("windows=%d min=%s mean_pps=%.1f elapsed=%.1f" % (
    windows, "-" if fewest is None else "%.0f" % fewest,
    (last[1] - first[1]) / span if span > 0 else 0, elapsed))
sys.exit(0 if (quiet if mode == "quiet" else not quiet and windows > 0) else 1)
