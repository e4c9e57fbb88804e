/* SPDX-License-Identifier: MIT */
/*
 * c-ares on libev. c-ares tells us which sockets it wants watched
 * through its socket-state callback; each gets an ev_io, and one
 * ev_timer tracks ares_timeout() for retransmissions. After every call
 * into c-ares the timer is re-armed.
 *
 * c-ares cannot cancel one query, so a query outlives its requester:
 * resolver_cancel() only clears the callback, and the c-ares completion
 * frees the query. c-ares may also complete a query inside
 * ares_getaddrinfo() (numeric names, /etc/hosts); such answers are
 * delivered from a zero-delay timer so callers never re-enter.
 */
#include "resolver.h"

#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct resolver_sock {
	ev_io io;
	struct resolver *r;
	struct resolver_sock *next;
};

struct resolver {
	struct ev_loop *loop;
	ares_channel ch;
	ev_timer timer;
	struct resolver_sock *socks;
};

struct resolver_query {
	struct resolver *r;
	resolver_cb cb; /* NULL once cancelled */
	void *arg;
	uint16_t port;
	int inside;     /* completion ran inside ares_getaddrinfo() */
	ev_timer defer;
	enum resolver_status st;
	struct resolver_result res;
};

static void
resolver_arm(struct resolver *r)
{
	struct timeval tv, *tvp;

	ev_timer_stop(r->loop, &r->timer);
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp == NULL)
		return;
	ev_timer_set(&r->timer, (double)tvp->tv_sec + (double)tvp->tv_usec / 1e6, 0);
	ev_timer_start(r->loop, &r->timer);
}

static void
resolver_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct resolver_sock *s = (struct resolver_sock *)w;
	struct resolver *r = s->r;

	(void)loop;
	ares_process_fd(r->ch, (revents & EV_READ) ? w->fd : ARES_SOCKET_BAD,
	                (revents & EV_WRITE) ? w->fd : ARES_SOCKET_BAD);
	resolver_arm(r);
}

static void
resolver_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolver *r = w->data;

	(void)loop;
	(void)revents;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolver_arm(r);
}

static void
resolver_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	struct resolver_sock **pp, *s;
	int events = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	for (pp = &r->socks; (s = *pp) != NULL; pp = &s->next)
		if (s->io.fd == fd)
			break;
	if (s == NULL) {
		if (events == 0)
			return;
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			/* The query on this socket then ends by timeout. */
			log_warnx("resolver: out of memory");
			return;
		}
		s->r = r;
		s->next = r->socks;
		r->socks = s;
		ev_io_init(&s->io, resolver_io_cb, fd, events);
		ev_io_start(r->loop, &s->io);
		return;
	}
	ev_io_stop(r->loop, &s->io);
	if (events == 0) {
		*pp = s->next;
		free(s);
		return;
	}
	ev_io_set(&s->io, fd, events);
	ev_io_start(r->loop, &s->io);
}

struct resolver *
resolver_new(struct ev_loop *loop, char *err, size_t errlen)
{
	struct ares_options opts;
	struct resolver *r;
	int rc;

	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		ares_library_cleanup();
		return NULL;
	}
	r->loop = loop;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = resolver_sock_state;
	opts.sock_state_cb_data = r;
	if ((rc = ares_init_options(&r->ch, &opts, ARES_OPT_SOCK_STATE_CB)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(r);
		ares_library_cleanup();
		return NULL;
	}
	ev_init(&r->timer, resolver_timer_cb);
	r->timer.data = r;
	return r;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	ev_timer_stop(r->loop, &r->timer);
	/* Fires the remaining (cancelled) completions, which free their queries. */
	ares_destroy(r->ch);
	while (r->socks != NULL) {
		struct resolver_sock *s = r->socks;

		r->socks = s->next;
		ev_io_stop(r->loop, &s->io);
		free(s);
	}
	free(r);
	ares_library_cleanup();
}

static void
resolver_deliver(struct resolver_query *q)
{
	if (q->cb != NULL)
		q->cb(q->arg, q->st, &q->res);
	free(q);
}

static void
resolver_defer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	resolver_deliver(w->data);
}

static enum resolver_status
resolver_status_of(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return RESOLVER_OK;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
		return RESOLVER_NOTFOUND;
	case ARES_ETIMEOUT:
		return RESOLVER_TIMEOUT;
	default:
		return RESOLVER_FAIL;
	}
}

static void
resolver_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct resolver_query *q = arg;
	struct ares_addrinfo_node *n;

	(void)timeouts;
	q->st = resolver_status_of(status);
	for (n = ai ? ai->nodes : NULL; n != NULL; n = n->ai_next) {
		union resolver_addr *a = &q->res.addr[q->res.n];

		if (q->res.n == RESOLVER_ADDRS_MAX)
			break;
		if (n->ai_family == AF_INET && n->ai_addrlen >= sizeof(a->sin)) {
			memcpy(&a->sin, n->ai_addr, sizeof(a->sin));
			a->sin.sin_port = htons(q->port);
		} else if (n->ai_family == AF_INET6 && n->ai_addrlen >= sizeof(a->sin6)) {
			memcpy(&a->sin6, n->ai_addr, sizeof(a->sin6));
			a->sin6.sin6_port = htons(q->port);
		} else
			continue;
		q->res.n++;
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	if (q->st == RESOLVER_OK && q->res.n == 0)
		q->st = RESOLVER_NOTFOUND;
	if (q->inside) {
		ev_timer_init(&q->defer, resolver_defer_cb, 0, 0);
		q->defer.data = q;
		ev_timer_start(q->r->loop, &q->defer);
		return;
	}
	resolver_deliver(q);
}

struct resolver_query *
resolver_lookup(struct resolver *r, const char *name, uint16_t port, resolver_cb cb, void *arg)
{
	struct ares_addrinfo_hints hints;
	struct resolver_query *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->port = port;
	q->inside = 1;
	ev_init(&q->defer, resolver_defer_cb);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ares_getaddrinfo(r->ch, name, NULL, &hints, resolver_done, q);
	q->inside = 0;
	resolver_arm(r);
	return q;
}

void
resolver_cancel(struct resolver_query *q)
{
	if (q == NULL)
		return;
	if (ev_is_active(&q->defer)) {
		ev_timer_stop(q->r->loop, &q->defer);
		free(q);
		return;
	}
	q->cb = NULL;
}
