#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# peer-stuck.py N RELEASE SECONDS CMD… — a client that never reads: run a
# carrier CMD (peer-client), write up to N random bytes to its stdin and
# never read its stdout, so what comes back (an echo relay's answer)
# fills every buffer on the way. Prints "stalled A" (flushed) once A bytes
# were taken and the writer made no progress for a second (held back),
# then holds until the file RELEASE exists (or SECONDS), kills the child
# and prints "accepted A", "rc C".
import os, subprocess, sys, threading, time

n, release, secs, cmd = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
sent = [0]


def writer():
    block = os.urandom(65536)
    try:
        while sent[0] < n:
            p.stdin.write(block)
            p.stdin.flush()
            sent[0] += len(block)
    except (BrokenPipeError, OSError):
        pass


threading.Thread(target=writer, daemon=True).start()
end = time.monotonic() + secs
last, since, said = -1, time.monotonic(), False
while time.monotonic() < end and not os.path.exists(release):
    now = time.monotonic()
    if sent[0] != last:
        last, since = sent[0], now
    elif not said and now - since >= 1.0 and p.poll() is None:
        print("stalled %d" % sent[0], flush=True)
        said = True
    time.sleep(0.05)
p.kill()
rc = p.wait()
print("accepted %d" % sent[0])
print("rc %s" % rc)
