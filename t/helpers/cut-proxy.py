# SPDX-License-Identifier: MIT
# cut-proxy.py UPSTREAM CUT_AFTER CUTS — a TCP relay on 127.0.0.1:0 (prints
# "ready tcp:127.0.0.1:PORT") to UPSTREAM (HOST:PORT or unix:/path) that
# loses answers mid-flight: the first CUTS connections whose answers pass
# CUT_AFTER bytes are closed both ways at that point (the request was
# delivered, the rest of its answer never arrives). Prints "cut N at B"
# for each. Between Caddy and meek-server it makes Caddy reset the HTTP/2
# stream of a request meek-server already took.
import socket, sys, threading

up, after, cuts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
done = 0


def dial():
    if up.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(up[5:])
        return s
    h, _, p = up.rpartition(":")
    return socket.create_connection((h, int(p)))


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def serve(c):
    global done
    try:
        u = dial()
    except OSError:
        c.close()
        return

    def client_to_up():
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    u.shutdown(socket.SHUT_WR)
                    return
                u.sendall(b)
        except OSError:
            return

    threading.Thread(target=client_to_up, daemon=True).start()
    n = 0
    try:
        while True:
            b = u.recv(65536)
            if not b:
                break
            with lock:
                cut = done < cuts and n + len(b) > after
                if cut:
                    done += 1
                    k = done
            if cut:
                c.sendall(b[:after - n if after > n else 0])
                print("cut %d at %d" % (k, max(after, n)), flush=True)
                break
            c.sendall(b)
            n += len(b)
    except OSError:
        pass
    close(c, u)


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print("ready tcp:127.0.0.1:%d" % ls.getsockname()[1], flush=True)
while True:
    conn, _ = ls.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
