/* SPDX-License-Identifier: MIT */
/*
 * meek-client's HTTP/1.1 transport: up to MEEKC_SLOTS keep-alive
 * connections (TLS, or plain for tests), each carrying one request at a
 * time, so several requests of a pipelined session travel side by side
 * as they would from a browser on a front that speaks only HTTP/1.1. A
 * serial session uses one connection, as before.
 *
 * Each connection has one close path (hc_close) and its watcher's
 * interest is derived from its state (hc_events). A slot is handed
 * back to the scheduler exactly once per attempt: answered, or failed.
 */
#include "meekc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "proto/httpbody.h"
#include "tls/crypto.h"
#include "tls/tls.h"

enum hstate { H_NONE, H_CONNECTING, H_HANDSHAKE, H_IDLE, H_SENDING, H_RECEIVING };

struct h1c {
	struct meekc_h1 *h;
	struct meekc_sock k;
	enum hstate st;
	unsigned nreq;  /* requests answered on this connection */
	ev_io io;
	struct meekc_slot *sl;
	size_t sent;
};

struct meekc_h1 {
	struct meekc *m;
	struct h1c c[MEEKC_SLOTS];
	struct meekc_slot *queue[MEEKC_SLOTS];
	size_t nqueue;
	struct http_head head; /* scratch for answer heads */
};

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

static void hc_send(struct h1c *c);
static void hc_recv(struct h1c *c);

static void
hc_close(struct h1c *c)
{
	struct meekc *m = c->h->m;

	if (c->k.fd == -1)
		return;
	ev_io_stop(m->loop, &c->io);
	meekc_sock_close(&c->k);
	c->st = H_NONE;
	c->nreq = 0;
}

static int
hc_events(const struct h1c *c)
{
	switch (c->st) {
	case H_NONE:
		return 0;
	case H_CONNECTING:
		return EV_WRITE;
	case H_SENDING:
		return c->k.tc != NULL && !c->k.want_write ? EV_READ : EV_WRITE;
	case H_HANDSHAKE:
	case H_RECEIVING:
	case H_IDLE:
		return c->k.want_write ? EV_WRITE : EV_READ;
	}
	return 0;
}

static void
hc_update(struct h1c *c)
{
	struct ev_loop *loop = c->h->m->loop;
	int ev = c->k.fd == -1 ? 0 : hc_events(c);

	if (ev == 0) {
		ev_io_stop(loop, &c->io);
		return;
	}
	if (ev_is_active(&c->io) && c->io.fd == c->k.fd && (c->io.events & (EV_READ | EV_WRITE)) == ev)
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->k.fd, ev);
	ev_io_start(loop, &c->io);
}

/* The attempt on c failed: the connection goes, the slot goes back to the scheduler. */
static void
hc_fail(struct h1c *c, const char *why)
{
	struct meekc_slot *sl = c->sl;
	int reused = c->nreq > 0 && sl != NULL && sl->rsp_len == 0;

	hc_close(c);
	c->sl = NULL;
	if (sl == NULL) {
		log_debug("connection lost between requests: %s", why);
		return;
	}
	sl->conn = NULL;
	meekc_failed(c->h->m, sl, why, reused);
}

static void
hc_open(struct h1c *c)
{
	if (meekc_sock_open(c->h->m, &c->k) == -1) {
		hc_fail(c, "connect failed");
		return;
	}
	c->st = H_CONNECTING;
	c->nreq = 0;
}

static void
hc_take(struct h1c *c, struct meekc_slot *sl)
{
	c->sl = sl;
	c->sent = 0;
	sl->conn = c;
	sl->rsp_len = 0;
	if (c->k.fd == -1) {
		hc_open(c);
		return;
	}
	if (c->st == H_IDLE) {
		c->st = H_SENDING;
		hc_send(c);
	}
}

void
meekc_h1_submit(struct meekc_h1 *h, struct meekc_slot *sl)
{
	struct h1c *pick = NULL;
	size_t i;

	/* A kept-alive connection first, then one being opened, then a new one. */
	for (i = 0; i < MEEKC_SLOTS && pick == NULL; i++)
		if (h->c[i].sl == NULL && h->c[i].st == H_IDLE)
			pick = &h->c[i];
	for (i = 0; i < MEEKC_SLOTS && pick == NULL; i++)
		if (h->c[i].sl == NULL && h->c[i].k.fd != -1)
			pick = &h->c[i];
	for (i = 0; i < MEEKC_SLOTS && pick == NULL; i++)
		if (h->c[i].k.fd == -1)
			pick = &h->c[i];
	if (pick == NULL) {
		if (h->nqueue < MEEKC_SLOTS)
			h->queue[h->nqueue++] = sl;
		return;
	}
	hc_take(pick, sl);
	hc_update(pick);
}

void
meekc_h1_abort(struct meekc_h1 *h, struct meekc_slot *sl)
{
	size_t i;

	for (i = 0; i < h->nqueue; i++)
		if (h->queue[i] == sl) {
			memmove(&h->queue[i], &h->queue[i + 1], (h->nqueue - i - 1) * sizeof(h->queue[0]));
			h->nqueue--;
			return;
		}
	if (sl->conn != NULL) {
		struct h1c *c = sl->conn;

		hc_close(c);
		c->sl = NULL;
		sl->conn = NULL;
	}
}

unsigned
meekc_h1_conns(const struct meekc_h1 *h)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < MEEKC_SLOTS; i++)
		n += h->c[i].k.fd != -1;
	return n;
}

/* c is free again: the next waiting slot takes it. */
static void
hc_next(struct h1c *c)
{
	struct meekc_h1 *h = c->h;
	struct meekc_slot *sl;

	if (c->sl != NULL || h->nqueue == 0)
		return;
	sl = h->queue[0];
	memmove(&h->queue[0], &h->queue[1], (h->nqueue - 1) * sizeof(h->queue[0]));
	h->nqueue--;
	hc_take(c, sl);
}

static void
hc_send(struct h1c *c)
{
	struct meekc_slot *sl = c->sl;
	ssize_t r;

	while (c->sent < sl->req_len) {
		r = meekc_sock_write(&c->k, sl->req + c->sent, sl->req_len - c->sent);
		if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
			return;
		if (r < 0) {
			hc_fail(c, meekc_sock_why(&c->k, r, "send"));
			return;
		}
		c->sent += (size_t)r;
	}
	c->st = H_RECEIVING;
	c->k.want_write = 0;
	hc_recv(c);
}

static const char *
hc_value(const struct http_head *hd, const char *name)
{
	const struct http_header *x = http_header_find(hd, name);

	return x != NULL ? x->value : NULL;
}

/* A head that cannot be framed as a meek answer may still say what the far end is. */
static int
hc_head_only(struct h1c *c, struct meekc_answer *a)
{
	struct meekc_slot *sl = c->sl;
	struct http_head *hd = &c->h->head;
	ssize_t hl = http_parse_response_head(sl->rsp, sl->rsp_len, hd);

	if (hl <= 0 || hd->status < 200)
		return -1;
	memset(a, 0, sizeof(*a));
	a->status = hd->status;
	a->ctype = hc_value(hd, "Content-Type");
	a->location = hc_value(hd, "Location");
	return meekc_answer_kind(a->status, a->ctype) == MEEKC_ANS_NOT_MEEK ? 0 : -1;
}

static void
hc_answered(struct h1c *c, const struct meekc_resp *r, size_t used)
{
	struct meekc *m = c->h->m;
	struct meekc_slot *sl = c->sl;
	struct http_head *hd = &c->h->head;
	struct meekc_answer a = { 0 };
	size_t len = r->body_len;

	if (r->chunked)
		(void)http_chunked_decode(sl->rsp + r->body_off, r->body_enc, sl->rsp + r->body_off,
		                          m->cfg->max_body, &len);
	a.status = r->status;
	a.ctype = hc_value(hd, "Content-Type");
	a.location = hc_value(hd, "Location");
	a.pipe = hc_value(hd, MEEK_HDR_PIPELINE);
	a.body = sl->rsp + r->body_off;
	a.len = len;
	c->sl = NULL;
	sl->conn = NULL;
	c->nreq++;
	if (!r->keep_alive || used != sl->rsp_len) {
		/*
		 * Only a 200 is framed to its last byte: any other answer ends at
		 * its head (keep_alive 0), so its body is no surprise and no
		 * log line.
		 */
		if (used != sl->rsp_len && r->status == 200)
			log_info("%zu stray bytes after an answer; reconnecting", sl->rsp_len - used);
		hc_close(c);
	} else {
		c->st = H_IDLE;
	}
	meekc_answered(m, sl, &a);
}

static void
hc_recv(struct h1c *c)
{
	struct meekc *m = c->h->m;
	struct meekc_slot *sl = c->sl;
	struct meekc_answer a;
	struct meekc_resp r;
	ssize_t n, f;

	for (;;) {
		if (sl->rsp_len == m->rsp_cap) {
			hc_fail(c, "answer larger than the body cap");
			return;
		}
		n = meekc_sock_read(&c->k, sl->rsp + sl->rsp_len, m->rsp_cap - sl->rsp_len);
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return;
		if (n < 0) {
			hc_fail(c, meekc_sock_why(&c->k, n, "receive"));
			return;
		}
		sl->rsp_len += (size_t)n;
		f = meekc_resp_frame(sl->rsp, sl->rsp_len, m->cfg->max_body, &c->h->head, &r);
		if (f < 0 && hc_head_only(c, &a) == 0) {
			c->sl = NULL;
			sl->conn = NULL;
			hc_close(c);
			meekc_answered(m, sl, &a);
			return;
		}
		if (f < 0) {
			hc_fail(c, "malformed or over-cap response");
			return;
		}
		if (f > 0) {
			hc_answered(c, &r, (size_t)f);
			return;
		}
	}
}

/* Between requests: a kept-alive connection that the server closes. */
static void
hc_idle_read(struct h1c *c)
{
	uint8_t b[256];
	ssize_t n;

	for (;;) {
		n = meekc_sock_read(&c->k, b, sizeof(b));
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return;
		if (n > 0)
			log_info("unexpected bytes from the server between requests");
		else if (n == TLS_ERROR)
			log_debug("%s", meekc_sock_why(&c->k, n, "idle connection"));
		hc_close(c);
		return;
	}
}

static void
hc_tls_start(struct h1c *c)
{
	char why[TLS_ERR_MAX + 8];

	if (meekc_sock_tls(c->h->m, &c->k, "http/1.1", why, sizeof(why)) == -1) {
		meekc_fatal(c->h->m, EX_PW_TEMP, why);
		return;
	}
	c->st = H_HANDSHAKE;
}

static void
hc_ready(struct h1c *c)
{
	c->st = c->sl != NULL ? H_SENDING : H_IDLE;
	if (c->sl != NULL)
		hc_send(c);
	else
		hc_next(c);
}

static void
hc_handshake(struct h1c *c)
{
	char why[TLS_ERR_MAX + 64];

	switch (meekc_sock_handshake(c->h->m, &c->k, why, sizeof(why))) {
	case 0:
		return;
	case -2:
		meekc_fatal(c->h->m, EX_PW_TEMP, why);
		return;
	case -1:
		hc_fail(c, why);
		return;
	}
	/* --tls firefox offers h2 as Firefox does; this is an HTTP/1.1 connection. */
	if (strcmp(meekc_sock_alpn(&c->k), "h2") == 0) {
		meekc_fatal(c->h->m, EX_PW_TEMP, "the front chose h2 on an HTTP/1.1 connection");
		return;
	}
	hc_ready(c);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct h1c *c = container_of(w, struct h1c, io);
	struct meekc *m = c->h->m;
	int e;

	(void)loop;
	(void)revents;
	switch (c->st) {
	case H_CONNECTING:
		e = net_connect_result(c->k.fd);
		if (e != 0) {
			errno = e;
			hc_fail(c, strerror(e));
			break;
		}
		if (m->cfg->url.https) {
			hc_tls_start(c);
			if (meekc_sock_secure(&c->k))
				hc_handshake(c);
		} else {
			hc_ready(c);
		}
		break;
	case H_HANDSHAKE:
		hc_handshake(c);
		break;
	case H_SENDING:
		hc_send(c);
		break;
	case H_RECEIVING:
		hc_recv(c);
		break;
	case H_IDLE:
		hc_idle_read(c);
		break;
	case H_NONE:
		break;
	}
	if (c->st == H_IDLE)
		hc_next(c);
	hc_update(c);
	meekc_update(m);
}

struct meekc_h1 *
meekc_h1_new(struct meekc *m)
{
	struct meekc_h1 *h = calloc(1, sizeof(*h));
	size_t i;

	if (h == NULL)
		return NULL;
	h->m = m;
	for (i = 0; i < MEEKC_SLOTS; i++) {
		h->c[i].h = h;
		h->c[i].k.fd = -1;
		ev_io_init(&h->c[i].io, on_io, -1, EV_READ);
	}
	return h;
}

void
meekc_h1_free(struct meekc_h1 *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < MEEKC_SLOTS; i++)
		hc_close(&h->c[i]);
	free(h);
}
