/* SPDX-License-Identifier: MIT */
/*
 * See prober_dns.h. c-ares reports the sockets it wants watched through
 * its socket-state callback; each gets an ev_io from a small list, and
 * one ev_timer follows ares_timeout(). A query cannot be cancelled inside
 * c-ares, so cancelling only forgets the callback and the completion
 * frees the query. Answers that are ready at once (literals) go through
 * a zero-delay timer so the caller is never re-entered.
 */
#include "prober_dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct dns_watch {
	ev_io io;
	struct prober_dns *d;
	struct dns_watch *next;
};

struct prober_dns {
	struct ev_loop *loop;
	ares_channel ch;
	ev_timer tick;
	struct dns_watch *watches;
	int closing;
};

struct prober_dns_q {
	struct prober_dns *d;
	prober_dns_cb cb; /* NULL once cancelled */
	void *arg;
	uint16_t port;
	ev_timer later;
	int st;
	const char *why;
	struct sockaddr_storage ss;
	socklen_t len;
};

static void
dns_rearm(struct prober_dns *d)
{
	struct timeval tv, *tvp;

	ev_timer_stop(d->loop, &d->tick);
	if ((tvp = ares_timeout(d->ch, NULL, &tv)) == NULL)
		return;
	ev_timer_set(&d->tick, (double)tvp->tv_sec + (double)tvp->tv_usec / 1e6, 0);
	ev_timer_start(d->loop, &d->tick);
}

static void
dns_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dns_watch *dw = (struct dns_watch *)w;

	(void)loop;
	ares_process_fd(dw->d->ch, (revents & EV_READ) ? w->fd : ARES_SOCKET_BAD,
	    (revents & EV_WRITE) ? w->fd : ARES_SOCKET_BAD);
	dns_rearm(dw->d);
}

static void
dns_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct prober_dns *d = w->data;

	(void)loop;
	(void)revents;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm(d);
}

static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct prober_dns *d = data;
	struct dns_watch **pp, *dw;
	int ev = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	for (pp = &d->watches; (dw = *pp) != NULL && dw->io.fd != fd; pp = &dw->next)
		;
	if (dw != NULL) {
		ev_io_stop(d->loop, &dw->io);
		if (ev == 0) {
			*pp = dw->next;
			free(dw);
			return;
		}
		ev_io_set(&dw->io, fd, ev);
		ev_io_start(d->loop, &dw->io);
		return;
	}
	if (ev == 0)
		return;
	if ((dw = calloc(1, sizeof(*dw))) == NULL) {
		log_warnx("resolver: out of memory; the lookup will time out");
		return;
	}
	dw->d = d;
	dw->next = d->watches;
	d->watches = dw;
	ev_io_init(&dw->io, dns_io, fd, ev);
	ev_io_start(d->loop, &dw->io);
}

struct prober_dns *
prober_dns_new(struct ev_loop *loop, char *err, size_t errlen)
{
	struct ares_options o;
	struct prober_dns *d;
	int rc;

	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		ares_library_cleanup();
		return NULL;
	}
	d->loop = loop;
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = dns_sock_state;
	o.sock_state_cb_data = d;
	if ((rc = ares_init_options(&d->ch, &o, ARES_OPT_SOCK_STATE_CB)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(d);
		ares_library_cleanup();
		return NULL;
	}
	ev_init(&d->tick, dns_tick);
	d->tick.data = d;
	return d;
}

void
prober_dns_free(struct prober_dns *d)
{
	if (d == NULL)
		return;
	ev_timer_stop(d->loop, &d->tick);
	d->closing = 1;
	ares_destroy(d->ch);
	while (d->watches != NULL) {
		struct dns_watch *dw = d->watches;

		d->watches = dw->next;
		ev_io_stop(d->loop, &dw->io);
		free(dw);
	}
	free(d);
	ares_library_cleanup();
}

static void
dns_deliver(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct prober_dns_q *q = w->data;

	(void)loop;
	(void)revents;
	if (q->cb != NULL)
		q->cb(q->arg, q->st, (struct sockaddr *)&q->ss, q->len, q->why);
	free(q);
}

static void
dns_later(struct prober_dns_q *q)
{
	ev_timer_set(&q->later, 0, 0);
	ev_timer_start(q->d->loop, &q->later);
}

static void
dns_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct prober_dns_q *q = arg;
	struct ares_addrinfo_node *n;

	(void)timeouts;
	q->st = -1;
	q->why = status == ARES_SUCCESS ? "no address" : ares_strerror(status);
	for (n = ai != NULL ? ai->nodes : NULL; n != NULL; n = n->ai_next) {
		if (n->ai_family == AF_INET && n->ai_addrlen >= sizeof(struct sockaddr_in)) {
			q->len = sizeof(struct sockaddr_in);
			memcpy(&q->ss, n->ai_addr, q->len);
			((struct sockaddr_in *)&q->ss)->sin_port = htons(q->port);
		} else if (n->ai_family == AF_INET6 && n->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			q->len = sizeof(struct sockaddr_in6);
			memcpy(&q->ss, n->ai_addr, q->len);
			((struct sockaddr_in6 *)&q->ss)->sin6_port = htons(q->port);
		} else
			continue;
		q->st = 0;
		q->why = NULL;
		break;
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	if (q->d->closing) {
		/* ares_destroy(): the owner is gone and so is every requester. */
		free(q);
		return;
	}
	dns_later(q);
}

/* Literal addresses are answered without c-ares. */
static int
dns_literal(struct prober_dns_q *q, const char *host)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&q->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&q->ss;

	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(q->port);
		q->len = sizeof(*s4);
		return 1;
	}
	memset(&q->ss, 0, sizeof(q->ss));
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(q->port);
		q->len = sizeof(*s6);
		return 1;
	}
	memset(&q->ss, 0, sizeof(q->ss));
	return 0;
}

struct prober_dns_q *
prober_dns_lookup(struct prober_dns *d, const char *host, uint16_t port, prober_dns_cb cb,
                  void *arg)
{
	struct ares_addrinfo_hints h;
	struct prober_dns_q *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->port = port;
	ev_init(&q->later, dns_deliver);
	q->later.data = q;
	if (dns_literal(q, host)) {
		dns_later(q);
		return q;
	}
	memset(&h, 0, sizeof(h));
	h.ai_family = AF_UNSPEC;
	h.ai_socktype = SOCK_DGRAM;
	ares_getaddrinfo(d->ch, host, NULL, &h, dns_done, q);
	dns_rearm(d);
	return q;
}

void
prober_dns_cancel(struct prober_dns_q *q)
{
	if (q == NULL)
		return;
	if (ev_is_active(&q->later)) {
		ev_timer_stop(q->d->loop, &q->later);
		free(q);
		return;
	}
	q->cb = NULL;
}
