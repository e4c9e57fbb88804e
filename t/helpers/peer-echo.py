#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# peer-echo.py N SECONDS CMD… — run a carrier CMD (peer-client) whose far
# end echoes (a WebSocket echo relay), write N random bytes to its stdin
# and read its stdout. Once N bytes came back, stdin is closed and the
# child waited for. Prints "sent S", "echoed E", "match yes|no" (the
# echoed bytes against what was sent), "rc C" (the child's exit code,
# or "rc timeout" after SECONDS; the child is then killed). With
# PEER_ECHO_HOLD=FILE in the environment, stdin stays open after the echo
# until FILE exists (a client that holds its volunteer).
import os, subprocess, sys, threading, time

n, secs, cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
data = os.urandom(n)
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
sent = [0]


def writer():
    try:
        for i in range(0, n, 16384):
            p.stdin.write(data[i:i + 16384])
            p.stdin.flush()
            sent[0] = min(n, i + 16384)
    except (BrokenPipeError, OSError):
        pass


threading.Thread(target=writer, daemon=True).start()
got = bytearray()
end = time.monotonic() + secs
while len(got) < n and time.monotonic() < end:
    b = p.stdout.read1(65536)
    if not b:
        break
    got += b
hold = os.environ.get("PEER_ECHO_HOLD")
while hold and not os.path.exists(hold) and time.monotonic() < end:
    time.sleep(0.05)
try:
    p.stdin.close()
except OSError:
    pass
try:
    rc = p.wait(timeout=max(1.0, end - time.monotonic()))
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    rc = "timeout"
print("sent %d" % sent[0])
print("echoed %d" % len(got))
print("match %s" % ("yes" if bytes(got) == data[:len(got)] and len(got) == n else "no"))
print("rc %s" % rc)
