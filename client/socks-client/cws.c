/* SPDX-License-Identifier: MIT */
/*
 * WebSocket carriers (cws.h).
 */
#include "cws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "net/net.h"
#include "ws/ws.h"

struct cws {
	struct cws *prev, *next;
	struct ws *ws;
	char name[ENDPOINT_HOST_MAX + 16];
};

/* The live bridges: one process, one loop. */
static struct cws *cws_list;

static void
cws_done(void *arg, const char *why)
{
	struct cws *c = arg;

	log_debug("ws carrier %s: %s", c->name, why);
	if (c->prev)
		c->prev->next = c->next;
	else
		cws_list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void
cws_opened(void *arg)
{
	struct cws *c = arg;

	log_debug("ws carrier %s: upgraded", c->name);
}

static const struct ws_cb cws_cb = {
	.open = cws_opened,
	.done = cws_done,
};

int
cws_open(struct ev_loop *loop, const struct endpoint *ep)
{
	struct ws_opts o = { .role = WS_CLIENT, .handshake_timeout = CWS_HANDSHAKE_TIMEOUT,
	                     .connecting = 1 };
	struct endpoint tcp = *ep;
	char host[ENDPOINT_HOST_MAX + 16];
	int fd, sv[2], saved;
	struct cws *c;

	tcp.kind = EP_TCP;
	tcp.nopts = 0;
	if (snprintf(host, sizeof(host), ep->host_is_v6 ? "[%s]:%u" : "%s:%u", ep->host,
	             (unsigned)ep->port) >= (int)sizeof(host)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	snprintf(c->name, sizeof(c->name), "%s", host);
	if ((fd = net_connect(&tcp)) == -1) {
		saved = errno;
		free(c);
		errno = saved;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1) {
		saved = errno;
		close(fd);
		free(c);
		errno = saved;
		return -1;
	}
	o.host = host;
	o.path = ep->path[0] != '\0' ? ep->path : "/";
	if ((c->ws = ws_new(loop, fd, sv[1], &o, &cws_cb, c)) == NULL) {
		close(sv[0]);
		free(c);
		errno = ENOMEM;
		return -1;
	}
	c->next = cws_list;
	if (cws_list)
		cws_list->prev = c;
	cws_list = c;
	return sv[0];
}

void
cws_abort_all(void)
{
	while (cws_list != NULL)
		ws_abort(cws_list->ws, "shutting down");
}
