# SPDX-License-Identifier: MIT
# ws-pipe.py — an independent WebSocket implementation (Debian's
# python3-websockets) at either end of a pipeworks WebSocket carrier, for
# interop tests. Run with /usr/bin/python3 (the module is Debian's).
#
#   ws-pipe.py client URL
#       A command carrier: stdin -> binary messages (every other one
#       fragmented in three), received messages -> stdout.
#   ws-pipe.py server HOST:PORT
#       Prints "ready ws://127.0.0.1:PORT/", then relays each WebSocket
#       to a new TCP connection to HOST:PORT, the same way.
#
# Both ping every 0.5 s and close the connection when a pong is 2 s late,
# so a peer that does not answer pings fails the test.
import asyncio, os, sys
import websockets

PING = dict(ping_interval=0.5, ping_timeout=2, max_size=None, compression=None)

async def send_all(ws, read):
    n = 0
    while True:
        b = await read()
        if not b:
            return
        n += 1
        if n % 2 == 0 and len(b) >= 3:
            k = len(b) // 3
            async def parts(b=b, k=k):
                for p in (b[:k], b[k:2 * k], b[2 * k:]):
                    yield p
            await ws.send(parts())
        else:
            await ws.send(b)

async def client(url):
    loop = asyncio.get_running_loop()
    async with websockets.connect(url, **PING) as ws:
        async def read():
            return await loop.run_in_executor(None, os.read, 0, 65536)
        async def down():
            async for m in ws:
                os.write(1, m if isinstance(m, bytes) else m.encode())
        up = asyncio.ensure_future(send_all(ws, read))
        await down()
        up.cancel()

async def server(target):
    host, _, port = target.rpartition(":")
    async def handle(ws, path=None):
        r, w = await asyncio.open_connection(host, int(port))
        async def read():
            return await r.read(65536)
        up = asyncio.ensure_future(send_all(ws, read))
        try:
            async for m in ws:
                w.write(m if isinstance(m, bytes) else m.encode())
                await w.drain()
        finally:
            up.cancel()
            w.close()
    async with websockets.serve(handle, "127.0.0.1", 0, **PING) as srv:
        print("ready ws://127.0.0.1:%d/" % srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

if sys.argv[1] == "client":
    asyncio.run(client(sys.argv[2]))
else:
    asyncio.run(server(sys.argv[2]))
