# SPDX-License-Identifier: MIT
# meek-echo.py ENDPOINT [--push BYTES] — one-process upstream for the meek
# tests, many connections at once: echoes every byte back, or with --push
# writes BYTES bytes to each new connection as fast as it is read (and
# echoes nothing). ENDPOINT is unix:/path or tcp:HOST:PORT (port 0 allowed).
# Prints "ready ENDPOINT" once it accepts; "conns=N" on stderr at exit.
import asyncio, os, signal, sys

push = 0
if "--push" in sys.argv:
    push = int(sys.argv[sys.argv.index("--push") + 1])
conns = 0

async def serve(r, w):
    global conns
    conns += 1
    try:
        if push:
            chunk, left = b"\0" * 65536, push
            while left > 0:
                w.write(chunk[: min(left, 65536)])
                left -= min(left, 65536)
                await w.drain()
            await r.read()
        else:
            while True:
                b = await r.read(65536)
                if not b:
                    break
                w.write(b)
                await w.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        w.close()

async def main():
    ep = sys.argv[1]
    if ep.startswith("unix:"):
        srv = await asyncio.start_unix_server(serve, ep[5:])
        name = ep
    else:
        h, _, p = ep[4:].rpartition(":")
        srv = await asyncio.start_server(serve, h, int(p), backlog=2048)
        name = "tcp:%s:%d" % (h, srv.sockets[0].getsockname()[1])
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    print("ready " + name, flush=True)
    await stop
    srv.close()
    print("conns=%d" % conns, file=sys.stderr)

asyncio.run(main())
