/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket bridge's frame side (wslay under common/ws): a valid
 * upgrade, then the input as frames from the peer, then EOF. The bridge
 * must end (no hang, no leak) and never hand the local side more than
 * the input carried.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n";

struct fz {
	int local[2];
	int done;
};

static int
fz_request(void *arg, struct ws *ws, const struct wshs_request *r)
{
	(void)ws;
	(void)r;
	return ((struct fz *)arg)->local[0];
}

static void
fz_done(void *arg, const char *why)
{
	(void)why;
	((struct fz *)arg)->done = 1;
}

static const struct ws_cb fz_cb = { .request = fz_request, .done = fz_done };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_loop *loop;
	struct ws_opts o = { .role = WS_SERVER, .handshake_timeout = 5 };
	struct fz f = { .done = 0 };
	uint8_t sink[65536];
	size_t local_bytes = 0;
	struct ws *ws;
	int net[2], i;

	if (size > 60000)
		return 0;
	if (loop == NULL)
		loop = ev_loop_new(EVFLAG_AUTO);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, net) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f.local) == -1)
		abort();
	ws = ws_new(loop, net[0], -1, &o, &fz_cb, &f);
	if (ws == NULL)
		abort();
	if (write(net[1], req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		abort();
	if (size > 0 && write(net[1], data, size) != (ssize_t)size)
		abort();
	shutdown(net[1], SHUT_WR);
	for (i = 0; i < 10000 && !f.done; i++) {
		ssize_t r;

		ev_run(loop, EVRUN_NOWAIT);
		while ((r = read(f.local[1], sink, sizeof(sink))) > 0)
			local_bytes += (size_t)r;
		while (read(net[1], sink, sizeof(sink)) > 0)
			;
	}
	if (!f.done)
		ws_abort(ws, "fuzz: still open");
	if (local_bytes > size)
		abort();
	close(net[1]);
	close(f.local[1]);
	return 0;
}
