/* SPDX-License-Identifier: MIT */
/*
 * WebSocket connections of the egress (wsl.h).
 */
#include "wsl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/membudget.h"
#include "conn.h"
#include "tt.h"
#include "tt/carrier_io.h"
#include "tt/tunnel.h"
#include "ws/ws.h"

#define WSL_ADMIT (TUNNEL_ADMIT_SESSION > WS_MEM_ADMIT ? TUNNEL_ADMIT_SESSION : WS_MEM_ADMIT)
struct wsl {
	struct wsl *prev, *next;
	struct egress *eg;
	const struct egress_listen *el;
	struct ws *ws;
	struct conn_slot slot; /* until the upgrade; then the carrier's */
	ev_tstamp t_accept;
	char source[NET_ADDRSTR_MAX];
	int has_source;
	size_t charged; /* itself and tt_carrier_cost(), for its carrier */
};

/* An IP literal that names someone: not unspecified (some proxies send 0.0.0.0). */
static int
wsl_client_ip(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(1); /* Snowflake's stub port */
		return sin->sin_addr.s_addr != INADDR_ANY ? 0 : -1;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(1);
		return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ? -1 : 0;
	}
	return -1;
}

static int
wsl_request(void *arg, struct ws *ws, const struct wshs_request *r)
{
	struct wsl *w = arg;
	struct egress *eg = w->eg;
	struct sockaddr_storage ss;
	struct conn_slot slot;
	char ip[WSHS_PARAM_MAX + 1];
	double left;
	int sv[2], q;

	(void)ws;
	if (eg->draining)
		return -1;
	q = wshs_query_param(r->target, "client_ip", ip, sizeof(ip));
	if (q != 0 && !w->el->trusted) {
		log_debug("ws %s: client_ip ignored (listener not trusted)",
		          w->has_source ? w->source : "?");
	} else if (q == 1 && wsl_client_ip(ip, &ss) == 0) {
		if (conn_slot_rekey(eg, &w->slot, &ss) == -1)
			return -1;
		net_addr_format((struct sockaddr *)&ss, w->source, sizeof(w->source));
		w->has_source = 1;
		log_debug("ws: client_ip %s", w->source);
	} else if (q != 0) {
		log_debug("ws: client_ip unusable, ignored");
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	left = eg->handshake_timeout - (ev_now(eg->loop) - w->t_accept);
	slot = w->slot;
	memset(&w->slot, 0, sizeof(w->slot)); /* the carrier holds it now */
	tt_carrier(eg, sv[1], NULL, 0, w->has_source ? w->source : NULL, &slot, left, w->el->upstream, 1);
	return sv[0];
}

static void
wsl_done(void *arg, const char *why)
{
	struct wsl *w = arg;
	struct egress *eg = w->eg;

	log_debug("ws %s: %s", w->has_source ? w->source : "?", why);
	if (strcmp(why, WS_WHY_TIMEOUT) == 0)
		limits_refuse(&eg->lim, LIMIT_HANDSHAKE, ev_now(eg->loop));
	conn_slot_give(eg, &w->slot);
	membudget_uncharge(tunnel_global(), w->charged);
	if (w->prev)
		w->prev->next = w->next;
	else
		eg->wsls = w->next;
	if (w->next)
		w->next->prev = w->prev;
	eg->nwsl--;
	free(w);
}

static const struct ws_cb wsl_cb = {
	.request = wsl_request,
	.done = wsl_done,
};

void
wsl_accept(struct egress *eg, int fd, const struct sockaddr_storage *peer,
           const struct egress_listen *el)
{
	struct ws_opts o = {
		.role = WS_SERVER, .handshake_timeout = eg->handshake_timeout, .mb = tunnel_global(),
	};
	struct conn_slot slot;
	struct wsl *w;

	/*
	 * A WebSocket whose carrier ended gave its slot back but may wait
	 * WS_CLOSE_WAIT for the peer's Close: --max-conns bounds those too.
	 */
	if (eg->nwsl >= eg->max_conns) {
		limits_refuse(&eg->lim, LIMIT_CONNS, ev_now(eg->loop));
		close(fd);
		return;
	}
	/*
	 * Its buffers are charged to --max-memory, like the sessions'. A
	 * WebSocket is a carrier for a session: it is admitted when a new
	 * session would be, which also keeps the room the streams and reads
	 * of the sessions that exist need.
	 */
	if (membudget_refuse(o.mb, WSL_ADMIT)) {
		limits_refuse(&eg->lim, LIMIT_MEMORY, ev_now(eg->loop));
		close(fd);
		return;
	}
	if (conn_slot_take(eg, &slot, peer) == -1) {
		close(fd);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warnx("out of memory for a WebSocket");
		conn_slot_give(eg, &slot);
		close(fd);
		return;
	}
	w->eg = eg;
	w->el = el;
	w->slot = slot;
	/*
	 * With the carrier it feeds once upgraded (its struct and output
	 * buffer), from its accept, so that admission sees what every
	 * WebSocket accepted will cost, to its end: the two end within
	 * WS_CLOSE_WAIT of each other, as either end closing the socketpair
	 * ends the other.
	 */
	w->charged = membudget_cost(sizeof(*w)) + tt_carrier_cost();
	membudget_force(o.mb, w->charged);
	w->t_accept = ev_now(eg->loop);
	if (peer->ss_family == AF_INET || peer->ss_family == AF_INET6) {
		w->has_source = 1;
		net_addr_format((const struct sockaddr *)peer, w->source, sizeof(w->source));
	}
	w->next = eg->wsls;
	if (eg->wsls)
		eg->wsls->prev = w;
	eg->wsls = w;
	eg->nwsl++;
	if ((w->ws = ws_new(eg->loop, fd, -1, &o, &wsl_cb, w)) == NULL) {
		log_warnx("out of memory for a WebSocket");
		wsl_done(w, "out of memory");
	}
}

void
wsl_abort_all(struct egress *eg)
{
	while (eg->wsls != NULL)
		ws_abort(eg->wsls->ws, "shutting down");
}
