# SPDX-License-Identifier: MIT
# meekc-deaf.py UNIX-PATH — prints "ready unix:UNIX-PATH", accepts and never
# reads. An upstream that never reads: meek-server stops taking request bodies,
# meek-client stops reading stdin past its backlog, its RSS stays flat,
# and the writer is held back instead of everything being buffered.
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
print("ready unix:" + sys.argv[1], flush=True)
conns = []
while True:
    c, _ = s.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conns.append(c)
