# SPDX-License-Identifier: MIT
# httphead.py — imported by the meek test clients (the script's own folder
# is on Python's path): read one HTTP/1.1 answer head from a binary file.
def read_head(f):
    """Return (status line split into words, Content-Length or 0); the
    words are [] when the peer closed before answering."""
    st = f.readline().split()
    n = 0
    while True:
        l = f.readline()
        if l in (b"\r\n", b""):
            break
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    return st, n
