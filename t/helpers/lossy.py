# SPDX-License-Identifier: MIT
# lossy.py LOSS SWAP UNIX-PATH SEED — a command carrier for socks-client -C
# that parses the Turbo Tunnel encapsulation both ways and drops LOSS (a
# fraction) of the data packets and swaps neighbours with chance SWAP,
# from a seeded random generator, so a run is repeatable.
import os, random, socket, sys, threading
loss, swap, path = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
rng = random.Random(int(sys.argv[4]))
lock = threading.Lock()
dropped = [0]

def chance(p):
    with lock:
        return rng.random() < p

def frames(rd, wr, skip):
    """Copy skip bytes, then chunk by chunk, dropping and swapping data chunks."""
    buf, held = b"", None
    def need(n):
        nonlocal buf
        while len(buf) < n:
            b = rd(65536)
            if not b:
                raise EOFError
            buf += b
    try:
        need(skip) if skip else None
        wr(buf[:skip]); buf = buf[skip:]
        while True:
            need(1)
            n, i, more = buf[0] & 0x3f, 1, buf[0] & 0x40
            while more:
                need(i + 1)
                n, more, i = (n << 7) | (buf[i] & 0x7f), buf[i] & 0x80, i + 1
            need(i + n)
            chunk, buf = buf[:i + n], buf[i + n:]
            if chance(loss):
                with lock:
                    dropped[0] += 1
                    if dropped[0] % 50 == 0:
                        sys.stderr.write("lossy: dropped %d\n" % dropped[0])
                        sys.stderr.flush()
                continue
            if held is None and chance(swap):
                held = chunk
                continue
            wr(chunk)
            if held is not None:
                wr(held); held = None
    except (EOFError, OSError):
        pass

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
def out(b):
    os.write(1, b)
up = threading.Thread(target=frames, args=(lambda n: os.read(0, n), s.sendall, 16), daemon=True)
up.start()
frames(s.recv, out, 0)
