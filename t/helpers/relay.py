# SPDX-License-Identifier: MIT
# relay.py unix:/path | HOST:PORT — stdin -> socket, socket -> stdout; a
# command carrier for socks-client -C "python3 t/helpers/relay.py …".
import os, socket, sys, threading
t = sys.argv[1]
if t.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(t[5:])
else:
    h, _, p = t.rpartition(":")
    s = socket.create_connection((h, int(p)))
def up():
    while True:
        b = os.read(0, 65536)
        if not b:
            s.shutdown(socket.SHUT_WR)
            return
        s.sendall(b)
threading.Thread(target=up, daemon=True).start()
while True:
    b = s.recv(65536)
    if not b:
        break
    while b:
        b = b[os.write(1, b):]
