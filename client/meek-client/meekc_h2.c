/* SPDX-License-Identifier: MIT */
/*
 * meek-client's HTTP/2 transport: one TLS connection to the front with
 * ALPN "h2,http/1.1", every request a stream of it, as a browser sends
 * concurrent requests to one site. The HTTP/2 framing is the h2 adapter
 * (common/h2); this file moves its bytes over the TLS connection and
 * turns streams back into answers for the scheduler.
 *
 * A request's head is the HTTP/1.1 head the scheduler formatted once
 * (its fields become the stream's header fields, Host its :authority),
 * so a retry over either transport carries the same fields and body.
 * When the front answers ALPN with anything but h2, this transport
 * steps aside for good and hands every request to the HTTP/1.1 one.
 * A connection that fails, stalls past a request's deadline or ends
 * (GOAWAY) takes its streams with it: each goes back for a counted
 * retry, and the next request opens a new connection.
 */
#include "meekc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "h2/h2.h"
#include "net/net.h"
#include "proto/http.h"
#include "tls/tls.h"

enum xstate { X_NONE, X_CONNECTING, X_HANDSHAKE, X_OPEN };

/* One answer being received, by slot index. */
struct xans {
	int status, over;
	char ctype[128], location[256], pipe[MEEK_PIPE_VALUE_MAX];
};

struct meekc_h2 {
	struct meekc *m;
	struct meekc_sock k;
	enum xstate st;
	struct h2 *h2;
	ev_io io;
	int off; /* the front does not speak h2: HTTP/1.1 from now on */
	struct meekc_slot *queue[MEEKC_SLOTS];
	size_t nqueue;
	struct xans ans[MEEKC_SLOTS];
	struct http_head head; /* scratch: our own request heads */
};

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))
#define XREAD 16384

static void x_flush(struct meekc_h2 *x);

static size_t
x_idx(const struct meekc_h2 *x, const struct meekc_slot *sl)
{
	return (size_t)(sl - x->m->slots);
}

static void
x_close(struct meekc_h2 *x)
{
	ev_io_stop(x->m->loop, &x->io);
	h2_free(x->h2);
	x->h2 = NULL;
	meekc_sock_close(&x->k);
	x->st = X_NONE;
}

/* The connection is gone: every request on it or waiting for it is retried. */
static void
x_fail(struct meekc_h2 *x, const char *why)
{
	struct meekc *m = x->m;
	struct meekc_slot *wait[MEEKC_SLOTS];
	size_t i, n = x->nqueue;

	log_debug("HTTP/2 connection: %s", why);
	x_close(x);
	memcpy(wait, x->queue, n * sizeof(wait[0]));
	x->nqueue = 0;
	for (i = 0; i < n; i++)
		wait[i]->conn = NULL;
	for (i = 0; i < MEEKC_SLOTS; i++)
		if (m->slots[i].conn == x && m->slots[i].st == SL_SENT) {
			m->slots[i].conn = NULL;
			meekc_failed(m, &m->slots[i], why, 0);
		}
	for (i = 0; i < n; i++)
		meekc_failed(m, wait[i], why, 0);
}

static void
x_update(struct meekc_h2 *x)
{
	size_t pend = 0;
	int ev = EV_READ;

	if (x->k.fd == -1) {
		ev_io_stop(x->m->loop, &x->io);
		return;
	}
	if (x->h2 != NULL)
		(void)h2_pending(x->h2, &pend);
	if (x->st == X_CONNECTING || x->k.want_write || pend > 0)
		ev = x->st == X_OPEN ? EV_READ | EV_WRITE : EV_WRITE;
	if (ev_is_active(&x->io) && (x->io.events & (EV_READ | EV_WRITE)) == ev)
		return;
	ev_io_stop(x->m->loop, &x->io);
	ev_io_set(&x->io, x->k.fd, ev);
	ev_io_start(x->m->loop, &x->io);
}

/* Header fields of our own HTTP/1.1 head, as HTTP/2 wants them. */
static int
x_fields(struct meekc_h2 *x, struct meekc_slot *sl, struct h2_nv *nv, size_t *nnv, char *lower,
         size_t lcap, char *clen, size_t *hlen)
{
	struct http_head *h = &x->head;
	const struct http_header *f;
	ssize_t hl = http_parse_request_head(sl->req, sl->req_len, h);
	size_t i, n = 0, used = 0, j;

	if (hl <= 0 || (f = http_header_find(h, "Host")) == NULL)
		return -1;
	*hlen = (size_t)hl;
	nv[n++] = (struct h2_nv){ ":method", "POST", 7, 4 };
	nv[n++] = (struct h2_nv){ ":scheme", "https", 7, 5 };
	nv[n++] = (struct h2_nv){ ":authority", f->value, 10, f->value_len };
	nv[n++] = (struct h2_nv){ ":path", h->target, 5, h->target_len };
	for (i = 0; i < h->nheaders && n < H2_NV_MAX - 1; i++) {
		f = &h->headers[i];
		if (strcasecmp(f->name, "Host") == 0 || strcasecmp(f->name, "Content-Length") == 0 ||
		    strcasecmp(f->name, "Connection") == 0 || f->name_len > lcap - used)
			continue;
		for (j = 0; j < f->name_len; j++)
			lower[used + j] = (char)((f->name[j] >= 'A' && f->name[j] <= 'Z') ? f->name[j] + 32
			                                                                  : f->name[j]);
		nv[n++] = (struct h2_nv){ lower + used, f->value, f->name_len, f->value_len };
		used += f->name_len;
	}
	snprintf(clen, 24, "%zu", sl->req_len - (size_t)hl);
	nv[n++] = (struct h2_nv){ "content-length", clen, 14, strlen(clen) };
	*nnv = n;
	return 0;
}

static void
x_request(struct meekc_h2 *x, struct meekc_slot *sl)
{
	struct h2_nv nv[H2_NV_MAX];
	char lower[MEEKC_REQ_HEAD_MAX], clen[24], err[H2_ERR_MAX];
	size_t nnv, hlen;

	memset(&x->ans[x_idx(x, sl)], 0, sizeof(x->ans[0]));
	sl->conn = x;
	if (x_fields(x, sl, nv, &nnv, lower, sizeof(lower), clen, &hlen) == -1 ||
	    h2_request(x->h2, nv, nnv, sl->req + hlen, sl->req_len - hlen, sl, err, sizeof(err)) == -1) {
		sl->conn = NULL;
		meekc_fatal(x->m, EX_PW_INTERNAL, "cannot make an HTTP/2 request");
	}
}

static void
x_open(struct meekc_h2 *x)
{
	if (meekc_sock_open(x->m, &x->k) == -1) {
		x_fail(x, "connect failed");
		return;
	}
	x->st = X_CONNECTING;
	x_update(x);
}

void
meekc_h2_submit(struct meekc_h2 *x, struct meekc_slot *sl)
{
	if (x->off) {
		meekc_h1_submit(x->m->h1, sl);
		return;
	}
	if (x->st == X_OPEN) {
		x_request(x, sl);
		x_flush(x);
		x_update(x);
		return;
	}
	sl->conn = x;
	if (x->nqueue < MEEKC_SLOTS)
		x->queue[x->nqueue++] = sl;
	if (x->k.fd == -1)
		x_open(x);
}

void
meekc_h2_abort(struct meekc_h2 *x, struct meekc_slot *sl)
{
	if (x->off || sl->conn != x) {
		meekc_h1_abort(x->m->h1, sl);
		return;
	}
	/* A stream past its deadline: the connection is stalled, start over. */
	sl->conn = NULL;
	if (x->h2 != NULL)
		h2_cancel(x->h2, sl);
	x_fail(x, "timed out");
}

static void
on_header(void *arg, void *req, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct meekc_h2 *x = arg;
	struct xans *a = &x->ans[x_idx(x, req)];
	char *dst = NULL;
	size_t cap = 0;

	if (nlen == 7 && memcmp(name, ":status", 7) == 0 && vlen == 3)
		a->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
	else if (nlen == 12 && memcmp(name, "content-type", 12) == 0)
		dst = a->ctype, cap = sizeof(a->ctype);
	else if (nlen == 8 && memcmp(name, "location", 8) == 0)
		dst = a->location, cap = sizeof(a->location);
	else if (nlen == 15 && strncasecmp(name, MEEK_HDR_PIPELINE, 15) == 0)
		dst = a->pipe, cap = sizeof(a->pipe);
	if (dst != NULL)
		snprintf(dst, cap, "%.*s", (int)(vlen < cap ? vlen : cap - 1), value);
}

static int
on_data(void *arg, void *req, const uint8_t *p, size_t n)
{
	struct meekc_h2 *x = arg;
	struct meekc_slot *sl = req;

	if (n > x->m->cfg->max_body - sl->rsp_len) {
		x->ans[x_idx(x, sl)].over = 1;
		return -1;
	}
	memcpy(sl->rsp + sl->rsp_len, p, n);
	sl->rsp_len += n;
	return 0;
}

static void
on_done(void *arg, void *req, int ok, const char *why)
{
	struct meekc_h2 *x = arg;
	struct meekc_slot *sl = req;
	struct xans *a = &x->ans[x_idx(x, sl)];
	struct meekc_answer ans = { 0 };

	sl->conn = NULL;
	if (a->over || !ok || a->status < 200) {
		meekc_failed(x->m, sl, a->over ? "answer larger than the body cap" : why, 0);
		return;
	}
	ans.status = a->status;
	ans.ctype = a->ctype[0] ? a->ctype : NULL;
	ans.location = a->location[0] ? a->location : NULL;
	ans.pipe = a->pipe[0] ? a->pipe : NULL;
	ans.body = sl->rsp;
	ans.len = a->status == 200 ? sl->rsp_len : 0;
	meekc_answered(x->m, sl, &ans);
}

static const struct h2_cbs x_cbs = { on_header, on_data, on_done };

/* ALPN chose: h2 starts the session, anything else hands over to HTTP/1.1. */
static void
x_ready(struct meekc_h2 *x)
{
	char err[H2_ERR_MAX];
	size_t i, n = x->nqueue;

	if (strcmp(meekc_sock_alpn(&x->k), "h2") != 0) {
		log_info("the front does not speak HTTP/2 (ALPN %s): HTTP/1.1 connections",
		         meekc_sock_alpn(&x->k));
		x->off = 1;
		x_close(x);
		x->nqueue = 0;
		for (i = 0; i < n; i++) {
			x->queue[i]->conn = NULL;
			meekc_h1_submit(x->m->h1, x->queue[i]);
		}
		return;
	}
	if ((x->h2 = h2_client_new(&x_cbs, x, err, sizeof(err))) == NULL) {
		meekc_fatal(x->m, EX_PW_INTERNAL, err);
		return;
	}
	log_info("HTTP/2 connection to the front (ALPN h2, %s)", meekc_sock_version(&x->k));
	x->st = X_OPEN;
	x->nqueue = 0;
	for (i = 0; i < n && !x->m->finished; i++)
		x_request(x, x->queue[i]);
}

static void
x_flush(struct meekc_h2 *x)
{
	const uint8_t *p;
	size_t n;
	ssize_t r;

	while (x->h2 != NULL && (p = h2_pending(x->h2, &n), n > 0)) {
		r = meekc_sock_write(&x->k, p, n);
		if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
			return;
		if (r < 0) {
			x_fail(x, meekc_sock_why(&x->k, r, "send"));
			return;
		}
		h2_written(x->h2, (size_t)r);
	}
	x->k.want_write = 0;
	if (x->h2 != NULL && !h2_alive(x->h2))
		x_fail(x, "the front ended the HTTP/2 connection");
}

static void
x_read(struct meekc_h2 *x)
{
	uint8_t b[XREAD];
	char err[H2_ERR_MAX];
	ssize_t n;

	while (x->h2 != NULL) {
		n = meekc_sock_read(&x->k, b, sizeof(b));
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return;
		if (n < 0) {
			x_fail(x, meekc_sock_why(&x->k, n, "receive"));
			return;
		}
		if (h2_recv(x->h2, b, (size_t)n, err, sizeof(err)) == -1) {
			x_fail(x, err);
			return;
		}
	}
}

static void
x_handshake(struct meekc_h2 *x)
{
	char why[TLS_ERR_MAX + 64];

	switch (meekc_sock_handshake(x->m, &x->k, why, sizeof(why))) {
	case 0:
		return;
	case -2:
		meekc_fatal(x->m, EX_PW_TEMP, why);
		return;
	case -1:
		x_fail(x, why);
		return;
	}
	x_ready(x);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct meekc_h2 *x = container_of(w, struct meekc_h2, io);
	char why[TLS_ERR_MAX + 8];
	int e;

	(void)loop;
	switch (x->st) {
	case X_CONNECTING:
		if ((e = net_connect_result(x->k.fd)) != 0) {
			x_fail(x, strerror(e));
			break;
		}
		if (meekc_sock_tls(x->m, &x->k, "h2,http/1.1", why, sizeof(why)) == -1) {
			meekc_fatal(x->m, EX_PW_TEMP, why);
			break;
		}
		x->st = X_HANDSHAKE;
		x_handshake(x);
		break;
	case X_HANDSHAKE:
		x_handshake(x);
		break;
	case X_OPEN:
		if (revents & EV_READ)
			x_read(x);
		if (x->st == X_OPEN)
			x_flush(x);
		break;
	case X_NONE:
		break;
	}
	if (!x->m->finished)
		x_update(x);
	meekc_update(x->m);
}

struct meekc_h2 *
meekc_h2_new(struct meekc *m)
{
	struct meekc_h2 *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->m = m;
	x->k.fd = -1;
	ev_io_init(&x->io, on_io, -1, EV_READ);
	return x;
}

void
meekc_h2_free(struct meekc_h2 *x)
{
	if (x == NULL)
		return;
	x_close(x);
	free(x);
}
