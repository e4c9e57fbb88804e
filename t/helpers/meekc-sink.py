# SPDX-License-Identifier: MIT
# meekc-sink.py PATH — listen on the UNIX socket PATH, take one connection,
# read it to EOF, print "bytes=N sha256=H" and exit.
import hashlib, os, socket, sys

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
print("ready unix:" + path, flush=True)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
print("bytes=%d sha256=%s" % (n, h.hexdigest()), flush=True)
os.unlink(path)
