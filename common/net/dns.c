/* SPDX-License-Identifier: MIT */
/*
 * See dns.h. c-ares reports the sockets it wants watched through its
 * socket-state callback; each gets an ev_io from a small list, and one
 * ev_timer follows ares_timeout() for retransmissions, re-armed after
 * every call into c-ares.
 *
 * A query has two owners: the caller until its callback ran or it was
 * cancelled (cb != NULL), and c-ares until its completion ran (in_ares).
 * It is freed when both let go. Callbacks run only from the query's own
 * timer: a deadline while c-ares works, a zero delay once the answer is
 * in, so no caller is re-entered from dns_lookup() or from inside c-ares
 * (where dns_free() would destroy the channel under its own feet).
 */
#include "dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/evio.h"
#include "base/log.h"

struct dns_watch {
	ev_io io;
	struct dns *d;
	struct dns_watch *next;
};

struct dns {
	struct ev_loop *loop;
	ares_channel ch;
	ev_timer tick;
	struct dns_watch *watches;
	struct dns_query *queries; /* every query not yet freed */
	size_t inflight, max_inflight;
	double timeout;
	int family;
};

struct dns_query {
	struct dns *d;
	struct dns_query *prev, *next;
	dns_cb cb; /* NULL once delivered or cancelled */
	void *arg;
	uint16_t port;
	int in_ares; /* c-ares still owes its completion */
	ev_timer timer;
	enum dns_status st;
	struct dns_result res;
};

/* --- c-ares on the loop ------------------------------------------------ */

static void
dns_rearm(struct dns *d)
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
	struct dns *d = dw->d;

	(void)loop;
	ares_process_fd(d->ch, (revents & EV_READ) ? w->fd : ARES_SOCKET_BAD,
	    (revents & EV_WRITE) ? w->fd : ARES_SOCKET_BAD);
	dns_rearm(d);
}

static void
dns_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns *d = w->data;

	(void)loop;
	(void)revents;
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm(d);
}

static void
dns_watch_set(struct dns *d, struct dns_watch *dw, int events)
{
	if ((dw->io.events & (EV_READ | EV_WRITE)) == events && ev_is_active(&dw->io))
		return;
	evio_want(d->loop, &dw->io, 0);
	ev_io_set(&dw->io, dw->io.fd, events);
	evio_want(d->loop, &dw->io, events != 0);
}

static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = data;
	struct dns_watch **pp, *dw;
	int events = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	for (pp = &d->watches; (dw = *pp) != NULL && dw->io.fd != fd; pp = &dw->next)
		;
	if (dw == NULL) {
		if (events == 0)
			return;
		if ((dw = calloc(1, sizeof(*dw))) == NULL) {
			/* The query on this socket then ends by its timeout. */
			log_warnx("dns: out of memory");
			return;
		}
		dw->d = d;
		dw->next = d->watches;
		d->watches = dw;
		ev_io_init(&dw->io, dns_io, fd, events);
	}
	dns_watch_set(d, dw, events);
	if (events == 0) {
		*pp = dw->next;
		free(dw);
	}
}

/* --- queries ----------------------------------------------------------- */

static void
dns_query_free(struct dns_query *q)
{
	struct dns *d = q->d;

	ev_timer_stop(d->loop, &q->timer);
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		d->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	free(q);
}

/* The caller lets go; c-ares may still hold the query. */
static void
dns_query_release(struct dns_query *q)
{
	q->cb = NULL;
	ev_timer_stop(q->d->loop, &q->timer);
	if (!q->in_ares)
		dns_query_free(q);
}

static void
dns_fire(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns_query *q = w->data;
	struct dns_result res;
	enum dns_status st;
	dns_cb cb = q->cb;
	void *arg = q->arg;

	(void)loop;
	(void)revents;
	if (q->in_ares) {
		q->st = DNS_TIMEOUT;
		q->res.why = "timed out";
		q->res.n = 0;
	}
	/* Copied out first: the callback may free the whole resolver. */
	st = q->st;
	memcpy(&res, &q->res, sizeof(res));
	dns_query_release(q);
	cb(arg, st, &res);
}

static void
dns_deliver_soon(struct dns_query *q)
{
	ev_timer_stop(q->d->loop, &q->timer);
	ev_timer_set(&q->timer, 0, 0);
	ev_timer_start(q->d->loop, &q->timer);
}

static enum dns_status
dns_status_of(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return DNS_OK;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
		return DNS_NOTFOUND;
	case ARES_ETIMEOUT:
		return DNS_TIMEOUT;
	default:
		return DNS_FAIL;
	}
}

static int
dns_add(struct dns_query *q, const struct sockaddr *sa, socklen_t len)
{
	union dns_addr *a = &q->res.addr[q->res.n];

	if (q->res.n == DNS_ADDRS_MAX)
		return -1;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(a->sin)) {
		memcpy(&a->sin, sa, sizeof(a->sin));
		a->sin.sin_port = htons(q->port);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(a->sin6)) {
		memcpy(&a->sin6, sa, sizeof(a->sin6));
		a->sin6.sin6_port = htons(q->port);
	} else
		return 0;
	q->res.n++;
	return 0;
}

static void
dns_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct dns_query *q = arg;
	struct ares_addrinfo_node *n;

	(void)timeouts;
	q->in_ares = 0;
	q->d->inflight--;
	if (q->cb == NULL) {
		/* Cancelled, timed out, or dns_free(): nobody is waiting. */
		if (ai != NULL)
			ares_freeaddrinfo(ai);
		dns_query_free(q);
		return;
	}
	q->st = dns_status_of(status);
	for (n = ai != NULL ? ai->nodes : NULL; n != NULL; n = n->ai_next)
		if (dns_add(q, n->ai_addr, n->ai_addrlen) == -1)
			break;
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	q->res.why = status == ARES_SUCCESS ? "no address" : ares_strerror(status);
	if (q->st == DNS_OK && q->res.n == 0)
		q->st = DNS_NOTFOUND;
	if (q->st == DNS_OK)
		q->res.why = NULL;
	dns_deliver_soon(q);
}

/* Literal addresses need no c-ares (and must not count against the bound). */
static int
dns_literal(struct dns_query *q, const char *name)
{
	union dns_addr a;

	memset(&a, 0, sizeof(a));
	if (q->d->family != AF_INET6 && inet_pton(AF_INET, name, &a.sin.sin_addr) == 1) {
		a.sin.sin_family = AF_INET;
		return dns_add(q, &a.sa, sizeof(a.sin)) == 0;
	}
	if (q->d->family != AF_INET && inet_pton(AF_INET6, name, &a.sin6.sin6_addr) == 1) {
		a.sin6.sin6_family = AF_INET6;
		return dns_add(q, &a.sa, sizeof(a.sin6)) == 0;
	}
	return 0;
}

static void
dns_ask(struct dns_query *q, const char *name)
{
	struct dns *d = q->d;
	struct ares_addrinfo_hints h;

	memset(&h, 0, sizeof(h));
	h.ai_family = d->family;
	h.ai_socktype = SOCK_STREAM;
	q->in_ares = 1;
	d->inflight++;
	ev_timer_set(&q->timer, d->timeout, 0);
	ev_timer_start(d->loop, &q->timer);
	/* May complete at once (/etc/hosts): dns_done then defers the answer. */
	ares_getaddrinfo(d->ch, name, NULL, &h, dns_done, q);
	dns_rearm(d);
}

struct dns_query *
dns_lookup(struct dns *d, const char *name, uint16_t port, dns_cb cb, void *arg)
{
	struct dns_query *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->port = port;
	ev_init(&q->timer, dns_fire);
	q->timer.data = q;
	q->next = d->queries;
	if (d->queries != NULL)
		d->queries->prev = q;
	d->queries = q;
	if (dns_literal(q, name)) {
		q->st = DNS_OK;
		dns_deliver_soon(q);
	} else if (d->inflight >= d->max_inflight) {
		q->st = DNS_BUSY;
		q->res.why = "too many lookups in flight";
		dns_deliver_soon(q);
	} else
		dns_ask(q, name);
	return q;
}

void
dns_cancel(struct dns_query *q)
{
	if (q != NULL)
		dns_query_release(q);
}

size_t
dns_inflight(const struct dns *d)
{
	return d->inflight;
}

socklen_t
dns_addr_len(const union dns_addr *a)
{
	return a->sa.sa_family == AF_INET ? sizeof(a->sin) : sizeof(a->sin6);
}

/* --- the resolver ------------------------------------------------------ */

static int
dns_channel(struct dns *d, const struct dns_opts *o, char *err, size_t errlen)
{
	struct ares_options ao;
	int rc;

	memset(&ao, 0, sizeof(ao));
	ao.sock_state_cb = dns_sock_state;
	ao.sock_state_cb_data = d;
	if ((rc = ares_init_options(&d->ch, &ao, ARES_OPT_SOCK_STATE_CB)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return -1;
	}
	if (o->servers != NULL && (rc = ares_set_servers_ports_csv(d->ch, o->servers)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: servers %s: %s", o->servers, ares_strerror(rc));
		ares_destroy(d->ch);
		return -1;
	}
	return 0;
}

struct dns *
dns_new(struct ev_loop *loop, const struct dns_opts *o, char *err, size_t errlen)
{
	static const struct dns_opts defaults;
	struct dns *d;
	int rc;

	if (o == NULL)
		o = &defaults;
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
	d->timeout = o->timeout > 0 ? o->timeout : DNS_TIMEOUT_DEFAULT;
	d->max_inflight = o->max_inflight > 0 ? o->max_inflight : DNS_INFLIGHT_DEFAULT;
	d->family = o->family == AF_INET || o->family == AF_INET6 ? o->family : AF_UNSPEC;
	if (dns_channel(d, o, err, errlen) == -1) {
		free(d);
		ares_library_cleanup();
		return NULL;
	}
	ev_init(&d->tick, dns_tick);
	d->tick.data = d;
	return d;
}

void
dns_free(struct dns *d)
{
	struct dns_query *q, *next;

	if (d == NULL)
		return;
	ev_timer_stop(d->loop, &d->tick);
	/* Callers first, so the completions ares_destroy() runs only free. */
	for (q = d->queries; q != NULL; q = next) {
		next = q->next;
		dns_query_release(q);
	}
	ares_destroy(d->ch);
	while (d->watches != NULL) {
		struct dns_watch *dw = d->watches;

		d->watches = dw->next;
		evio_want(d->loop, &dw->io, 0);
		free(dw);
	}
	free(d);
	ares_library_cleanup();
}
