# SPDX-License-Identifier: MIT
# t/lib-rdv.sh — helpers for the rendezvous tests (POSIX sh). Source after t/lib.sh.
#
#   rdv_metric SOCK NAME   the value of metric NAME (labels included, as
#                          printed) from the admin listener on unix socket SOCK.
rdv_metric() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
b = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    b += c
for l in b.decode().splitlines():
    if l.startswith(sys.argv[2] + " "):
        print(l.split()[1])
PY
}
