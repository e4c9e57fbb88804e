# SPDX-License-Identifier: MIT
# meek-pipe.py MODE TARGET ADMIN SID — pipelined meek requests for the
# meek-server tests, each request on its own connection (as a front
# would carry them). TARGET is HOST:PORT, ADMIN the admin endpoint
# (unix:/path). Modes:
#   order  seq 1 ("BBBB") is sent first; once /metrics counts it as
#          reordered, seq 0 ("AAAA") follows; then polls until the echo
#          upstream has returned 8 bytes. Prints "answers=A,B pipe=VALUE
#          echoed=TEXT" (A, B: statuses of seq 1 and 0).
#   gap    seq 1, 2 and 3 with bodies, never seq 0; once /metrics counts
#          them as reordered, seq 40 (out of the window). Prints "seq=N status=S body=TEXT" per answer, in
#          the order they came.
#   retry  seq 0 ("AAAA") and seq 1, then seq 0 again as a retry of an
#          answer that was lost; then polls. Prints "statuses=A,B,C
#          retry=same|different echoed=TEXT".
# Exit status 1 on a protocol surprise (message on stdout).
import http.client, socket, sys, threading

mode, target, admin, sid = sys.argv[1:5]
host, _, port = target.rpartition(":")

def request(seq, body, base=0, window=8):
    return ("POST / HTTP/1.1\r\nHost: meek.example\r\nX-Session-Id: %s\r\nX-Meek-Seq: %d\r\n"
            "X-Meek-Pipeline: v=1, window=%d, base=%d\r\nContent-Length: %d\r\n\r\n" %
            (sid, seq, window, base, len(body))).encode() + body

def answer(s):
    r = http.client.HTTPResponse(s)
    r.begin()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()

def send(seq, body, base=0):
    s = socket.create_connection((host, int(port)))
    s.settimeout(30)
    s.sendall(request(seq, body, base))
    return s

def metric(name):
    a = socket.socket(socket.AF_UNIX)
    a.connect(admin[5:])
    a.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = a.recv(65536)
        if not d:
            break
        data += d
    for line in data.decode().splitlines():
        k, _, v = line.partition(" ")
        if k == name:
            return int(v)
    return None

def order():
    b = send(1, b"BBBB")
    for _ in range(3000):
        if metric("pipelined_reordered") == 1:
            break
    else:
        print("seq 1 never counted as reordered")
        sys.exit(1)
    a = send(0, b"AAAA")
    sa, ha, da = answer(a)
    sb, hb, db = answer(b)
    got, seq = da + db, 2
    while len(got) < 8 and seq < 200:
        s = send(seq, b"", base=seq)
        st, _, d = answer(s)
        if st != 200:
            print("poll %d answered %d" % (seq, st))
            sys.exit(1)
        got += d
        seq += 1
    print("answers=%d,%d pipe=%s echoed=%s" % (sb, sa, ha.get("x-meek-pipeline", "-").replace(" ", ""),
                                              got.decode("latin-1")))

def gap():
    before = metric("pipelined_reordered") or 0
    conns = [(q, send(q, b"%d" % q * 1000)) for q in (1, 2, 3)]
    # seq 40 only after 1..3 wait: arriving first, out of its own window,
    # it would make the session a serial one.
    for _ in range(3000):
        if (metric("pipelined_reordered") or 0) >= before + 3:
            break
    else:
        print("seq 1..3 never counted as reordered")
        sys.exit(1)
    out, lock = [], threading.Lock()
    def wait(q, s):
        st, _, d = answer(s)
        with lock:
            out.append("seq=%d status=%d body=%s" % (q, st, d.decode().strip()))
    ts = [threading.Thread(target=wait, args=c) for c in conns]
    for t in ts:
        t.start()
    st, _, d = answer(send(40, b"x"))
    with lock:
        out.append("seq=40 status=%d body=%s" % (st, d.decode().strip()))
    for t in ts:
        t.join()
    print("\n".join(out))

def retry():
    first = send(0, b"AAAA")
    s0, _, d0 = answer(first)
    s1, _, d1 = answer(send(1, b""))
    # The answer to seq 0 was "lost": the retry must get the same bytes and
    # write nothing upstream again.
    r0, _, e0 = answer(send(0, b"AAAA"))
    got, seq = d0 + d1, 2
    while seq < 200 and (len(got) < 4 or seq < 8):
        st, _, d = answer(send(seq, b"", base=seq))
        if st != 200:
            print("poll %d answered %d" % (seq, st))
            sys.exit(1)
        got += d
        seq += 1
    print("statuses=%d,%d,%d retry=%s echoed=%s" % (s0, s1, r0, "same" if e0 == d0 else "different",
                                                   got.decode("latin-1")))

{"order": order, "gap": gap, "retry": retry}[mode]()
