# SPDX-License-Identifier: MIT
# udp-sinks.py — 600 UDP sockets on loopback that never answer; their
# stun: URIs go to ./sinks.txt, then "ready udp:127.0.0.1:PORT" (the first).
import signal, socket
socks = []
for _ in range(600):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
with open("sinks.txt", "w") as f:
    for s in socks:
        f.write("stun:127.0.0.1:%d\n" % s.getsockname()[1])
print("ready udp:127.0.0.1:%d" % socks[0].getsockname()[1], flush=True)
signal.pause()
