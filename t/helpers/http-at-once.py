# SPDX-License-Identifier: MIT
# http-at-once.py — a plain HTTP server where TLS is expected: on
# 127.0.0.1:0 (prints "ready tcp:127.0.0.1:PORT"), it answers the first
# bytes of every connection, whatever they are, with an HTTP/1.1 400 and
# closes, as a web server does when a TLS ClientHello reaches its plain
# HTTP port.
import socket, threading


def serve(c):
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 11\r\nConnection: close\r\n\r\nBad Request")
    except OSError:
        pass
    c.close()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print("ready tcp:127.0.0.1:%d" % ls.getsockname()[1], flush=True)
while True:
    conn, _ = ls.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
