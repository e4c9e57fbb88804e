/* SPDX-License-Identifier: MIT */
/*
 * WebSocket carriers (cws.h).
 */
#include "cws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "ctls.h"
#include "net/net.h"
#include "ws/ws.h"

struct cws {
	struct cws *prev, *next;
	struct cws_live *live; /* the program's, where it is listed */
	struct ws *ws;
	char name[ENDPOINT_HOST_MAX + 16];
};

static void
cws_done(void *arg, const char *why)
{
	struct cws *c = arg;

	log_debug("ws carrier %s: %s", c->name, why);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->live->ws = c->next;
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

/* The network side: a TCP socket, or for wss:// a socketpair end with TLS behind it. -1 on failure. */
static int
cws_net(struct ev_loop *loop, const struct carrier *car, const char *name, int *connecting)
{
	struct tls_conn_opts to = { .sni = car->tls.sni, .verify_name = car->tls.verify };
	char err[TLS_ERR_MAX];
	int fd, sv[2], saved;

	*connecting = 1;
	if (car->ep.kind == EP_WS) {
		struct endpoint tcp = car->ep;

		tcp.kind = EP_TCP;
		tcp.nopts = 0;
		return net_connect(&tcp);
	}
	if ((fd = net_connect(&car->tls.front)) == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (ctls_start(loop, &car->live->tls, fd, sv[1], car->tls.ctx, &to, name, err, sizeof(err)) == -1) {
		log_warnx("wss %s: %s", name, err);
		close(sv[0]);
		errno = EPROTO;
		return -1;
	}
	*connecting = 0;
	return sv[0];
}

int
cws_open(struct ev_loop *loop, const struct carrier *car)
{
	const struct endpoint *ep = &car->ep;
	struct ws_opts o = { .role = WS_CLIENT, .handshake_timeout = CWS_HANDSHAKE_TIMEOUT };
	char host[ENDPOINT_HOST_MAX + 16];
	int fd, sv[2], saved, dflt = ep->port == (ep->kind == EP_WSS ? 443 : 80);
	struct cws *c;

	if (snprintf(host, sizeof(host), ep->host_is_v6 ? "[%s]" : "%s", ep->host) >= (int)sizeof(host) ||
	    (!dflt && snprintf(host + strlen(host), sizeof(host) - strlen(host), ":%u",
	                       (unsigned)ep->port) >= (int)(sizeof(host) - strlen(host)))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	snprintf(c->name, sizeof(c->name), "%s", host);
	if ((fd = cws_net(loop, car, host, &o.connecting)) == -1) {
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
	c->live = car->live;
	c->next = c->live->ws;
	if (c->next)
		c->next->prev = c;
	c->live->ws = c;
	return sv[0];
}

void
cws_abort_all(struct cws_live *live)
{
	while (live->ws != NULL)
		ws_abort(live->ws->ws, "shutting down");
	ctls_abort_all(&live->tls);
}
