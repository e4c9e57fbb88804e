# SPDX-License-Identifier: MIT
# rdv-wsrelay.py HOST PORT: a stand-in for the Snowflake server's WebSocket
# endpoint (until egress has its own ws listener): listens on 127.0.0.1
# port 0, prints "ready ws://127.0.0.1:PORT/", upgrades any path, logs
# "upgrade TARGET" on stdout (the proxy's ?client_ip= included), and pipes
# the binary/text message payloads to a TCP connection to HOST:PORT (the
# egress's Turbo Tunnel listener) and that connection's bytes back as binary
# messages. Pings get pongs; a close frame or EOF ends the pair.
import asyncio, base64, hashlib, struct, sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
UP_HOST, UP_PORT = sys.argv[1], int(sys.argv[2])


def frame(op, payload):
    n = len(payload)
    if n < 126:
        h = struct.pack("!BB", 0x80 | op, n)
    elif n < 65536:
        h = struct.pack("!BBH", 0x80 | op, 126, n)
    else:
        h = struct.pack("!BBQ", 0x80 | op, 127, n)
    return h + payload


async def ws_to_tcp(r, w, up):
    while True:
        h = await r.readexactly(2)
        op, n = h[0] & 15, h[1] & 127
        if n == 126:
            n = struct.unpack("!H", await r.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await r.readexactly(8))[0]
        mask = await r.readexactly(4) if h[1] & 128 else b"\0\0\0\0"
        data = bytearray(await r.readexactly(n))
        for i in range(n):
            data[i] ^= mask[i & 3]
        if op in (0, 1, 2):
            up.write(bytes(data))
            await up.drain()
        elif op == 9:
            w.write(frame(10, bytes(data)))
        elif op == 8:
            w.write(frame(8, b""))
            return


async def tcp_to_ws(upr, w):
    while True:
        b = await upr.read(2048)
        if not b:
            return
        w.write(frame(2, b))
        await w.drain()


async def serve(r, w):
    try:
        head = await r.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        key = ""
        for l in lines[1:]:
            if l.lower().startswith("sec-websocket-key:"):
                key = l.split(":", 1)[1].strip()
        print("upgrade", lines[0].split(" ")[1], flush=True)
        acc = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        w.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: %s\r\n\r\n" % acc).encode())
        upr, upw = await asyncio.open_connection(UP_HOST, UP_PORT)
        t1 = asyncio.ensure_future(ws_to_tcp(r, w, upw))
        t2 = asyncio.ensure_future(tcp_to_ws(upr, w))
        await asyncio.wait([t1, t2], return_when=asyncio.FIRST_COMPLETED)
        for t in (t1, t2):
            t.cancel()
        upw.close()
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        pass
    w.close()


async def main():
    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    print("ready ws://127.0.0.1:%d/" % srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()

try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
