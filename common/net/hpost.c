/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.1 POST on libev (hpost.h): connect, TLS handshake for
 * https://, send, receive; one watcher whose events follow what the
 * socket or the TLS layer waits for.
 */
#include "net/hpost.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "proto/http.h"

enum hpost_phase { HP_CONNECT, HP_HANDSHAKE, HP_SEND, HP_RECV };

struct hpost {
	struct ev_loop *loop;
	int fd;
	enum hpost_phase phase;
	ev_io io;
	ev_timer timer;
	ev_idle later; /* a failure found at start, reported from the loop */
	hpost_cb cb;
	void *arg;
	const struct hpost_url *url;
	void *ts; /* the TLS session (url->tls), https only */
	char *req;
	size_t req_len, req_off;
	char *resp;
	size_t resp_len, resp_cap, max_body;
	const char *why;
	char err[160];
	struct http_head head;
};

static int
is_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

int
hpost_parse_url(const char *url, const char *front, struct hpost_url *u, char *err, size_t errlen)
{
	char buf[ENDPOINT_STR_MAX + 8];
	const char *rest;
	unsigned dflt;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "http://", 7) == 0) {
		rest = url + 7;
		dflt = 80;
	} else if (strncmp(url, "https://", 8) == 0) {
		rest = url + 8;
		dflt = 443;
		u->https = 1;
	} else {
		snprintf(err, errlen, "%s: not an http:// or https:// URL", url);
		return -1;
	}
	/* The endpoint syntax's ws:// form is the same authority and path grammar. */
	if (snprintf(buf, sizeof(buf), "%s://%s", u->https ? "wss" : "ws", rest) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "URL too long");
		return -1;
	}
	if (endpoint_parse(buf, &u->ep, err, errlen) == -1)
		return -1;
	if (u->ep.nopts > 0) {
		snprintf(err, errlen, "%s: a URL takes no options", url);
		return -1;
	}
	u->ep.kind = EP_TCP;
	if (u->ep.port == dflt)
		snprintf(u->host, sizeof(u->host), u->ep.host_is_v6 ? "[%s]" : "%s", u->ep.host);
	else
		snprintf(u->host, sizeof(u->host), u->ep.host_is_v6 ? "[%s]:%u" : "%s:%u", u->ep.host,
		         (unsigned)u->ep.port);
	if (front != NULL) {
		if (front[0] == '\0' || strlen(front) > ENDPOINT_HOST_MAX || strchr(front, ':') != NULL ||
		    strchr(front, '/') != NULL) {
			snprintf(err, errlen, "%s: want a host name or an IPv4 address to front with", front);
			return -1;
		}
		snprintf(u->ep.host, sizeof(u->ep.host), "%s", front);
		u->ep.host_is_v6 = 0;
	}
	if (u->https) {
		/* RFC 6066: SNI carries names, never address literals. */
		snprintf(u->verify, sizeof(u->verify), "%s", u->ep.host);
		if (!is_literal(u->ep.host))
			snprintf(u->sni, sizeof(u->sni), "%s", u->ep.host);
	}
	return 0;
}

static void
hpost_free(struct hpost *h)
{
	ev_io_stop(h->loop, &h->io);
	ev_timer_stop(h->loop, &h->timer);
	ev_idle_stop(h->loop, &h->later);
	if (h->ts != NULL)
		h->url->tls->close(h->ts);
	if (h->fd >= 0)
		close(h->fd);
	free(h->req);
	free(h->resp);
	free(h);
}

static void
hpost_end(struct hpost *h, int status, const char *body, size_t n, const char *err)
{
	h->cb(h->arg, status, body, n, err);
	hpost_free(h);
}

static void
watch(struct hpost *h, int events)
{
	if ((h->io.events & (EV_READ | EV_WRITE)) == events && ev_is_active(&h->io))
		return;
	ev_io_stop(h->loop, &h->io);
	ev_io_set(&h->io, h->fd, events);
	ev_io_start(h->loop, &h->io);
}

/* A TLS failure, with the adapter's reason. */
static void
tls_fail(struct hpost *h, const char *what)
{
	const char *e = h->url->tls->error(h->ts);

	snprintf(h->err, sizeof(h->err), "TLS %s: %s", what, e != NULL && e[0] != '\0' ? e : "failed");
	hpost_end(h, -1, NULL, 0, h->err);
}

/* The response is complete (or the peer closed): judge it. */
static void
hpost_finish(struct hpost *h, int eof)
{
	ssize_t hl = http_parse_response_head((const uint8_t *)h->resp, h->resp_len, &h->head);
	size_t blen;

	if (hl <= 0) {
		if (hl < 0 || eof)
			hpost_end(h, -1, NULL, 0, hl < 0 ? "bad response head" : "connection closed early");
		return;
	}
	blen = h->resp_len - (size_t)hl;
	if (h->head.chunked) {
		hpost_end(h, -1, NULL, 0, "chunked response");
		return;
	}
	if (h->head.has_content_length) {
		if (h->head.content_length > h->max_body) {
			hpost_end(h, -1, NULL, 0, "response body too large");
			return;
		}
		if (blen < h->head.content_length) {
			if (eof)
				hpost_end(h, -1, NULL, 0, "response body cut short");
			return;
		}
		blen = (size_t)h->head.content_length;
	} else if (!eof) {
		return;
	}
	h->resp[(size_t)hl + blen] = '\0';
	hpost_end(h, h->head.status, h->resp + hl, blen, NULL);
}

static void
hpost_read(struct hpost *h)
{
	ssize_t n;
	size_t room;

	for (;;) {
		if (h->resp_len + 1 >= h->resp_cap) {
			hpost_end(h, -1, NULL, 0, "response too large");
			return;
		}
		room = h->resp_cap - 1 - h->resp_len;
		if (h->ts != NULL) {
			n = h->url->tls->read(h->ts, h->resp + h->resp_len, room);
			if (n == TLSOPS_WANT_READ || n == TLSOPS_WANT_WRITE) {
				watch(h, n == TLSOPS_WANT_READ ? EV_READ : EV_WRITE);
				return;
			}
			if (n == TLSOPS_ERROR) {
				tls_fail(h, "read");
				return;
			}
			if (n == TLSOPS_EOF)
				n = 0;
		} else {
			n = read(h->fd, h->resp + h->resp_len, room);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n < 0) {
				hpost_end(h, -1, NULL, 0, strerror(errno));
				return;
			}
		}
		h->resp_len += (size_t)n;
		h->resp[h->resp_len] = '\0';
		if (n == 0) {
			hpost_finish(h, 1);
			return;
		}
		if (http_parse_response_head((const uint8_t *)h->resp, h->resp_len, &h->head) != 0) {
			/* The head is complete (or broken): h is freed or waits for the next event. */
			hpost_finish(h, 0);
			return;
		}
	}
}

/* Send what is left of the request: 1 when all of it is out, 0 to wait, -1 when h is gone. */
static int
hpost_send(struct hpost *h)
{
	ssize_t n;

	while (h->req_off < h->req_len) {
		if (h->ts != NULL) {
			n = h->url->tls->write(h->ts, h->req + h->req_off, h->req_len - h->req_off);
			if (n == TLSOPS_WANT_READ || n == TLSOPS_WANT_WRITE) {
				watch(h, n == TLSOPS_WANT_READ ? EV_READ : EV_WRITE);
				return 0;
			}
			if (n < 0) {
				tls_fail(h, "write");
				return -1;
			}
		} else {
			n = write(h->fd, h->req + h->req_off, h->req_len - h->req_off);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				watch(h, EV_WRITE);
				return 0;
			}
			if (n < 0) {
				hpost_end(h, -1, NULL, 0, strerror(errno));
				return -1;
			}
		}
		h->req_off += (size_t)n;
	}
	return 1;
}

/* Open and drive the TLS handshake: 1 when done, 0 to wait, -1 when h is gone. */
static int
hpost_handshake(struct hpost *h)
{
	int rc;

	if (h->ts == NULL) {
		h->ts = h->url->tls->open(h->fd, h->url->sni, h->url->verify, "http/1.1", h->err,
		                          sizeof(h->err));
		if (h->ts == NULL) {
			hpost_end(h, -1, NULL, 0, h->err);
			return -1;
		}
	}
	rc = h->url->tls->handshake(h->ts);
	if (rc == TLSOPS_OK)
		return 1;
	if (rc == TLSOPS_WANT_READ || rc == TLSOPS_WANT_WRITE) {
		watch(h, rc == TLSOPS_WANT_READ ? EV_READ : EV_WRITE);
		return 0;
	}
	tls_fail(h, "handshake");
	return -1;
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hpost *h = w->data;
	int e, rc;

	(void)loop;
	(void)revents;
	switch (h->phase) {
	case HP_CONNECT:
		if ((e = net_connect_result(h->fd)) != 0) {
			hpost_end(h, -1, NULL, 0, strerror(e));
			return;
		}
		h->phase = h->url->https ? HP_HANDSHAKE : HP_SEND;
		/* FALLTHROUGH */
	case HP_HANDSHAKE:
		if (h->phase == HP_HANDSHAKE) {
			if ((rc = hpost_handshake(h)) <= 0)
				return;
			h->phase = HP_SEND;
		}
		/* FALLTHROUGH */
	case HP_SEND:
		if ((rc = hpost_send(h)) <= 0)
			return;
		h->phase = HP_RECV;
		watch(h, EV_READ);
		/* FALLTHROUGH */
	case HP_RECV:
		hpost_read(h);
		return;
	}
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hpost *h = w->data;

	(void)loop;
	(void)revents;
	hpost_end(h, -1, NULL, 0, "timed out");
}

static void
on_later(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct hpost *h = w->data;

	(void)loop;
	(void)revents;
	hpost_end(h, -1, NULL, 0, h->why);
}

struct hpost *
hpost_start(struct ev_loop *loop, const struct hpost_url *u, const char *path, const char *body,
            size_t n, double timeout, size_t max_body, hpost_cb cb, void *arg)
{
	struct hpost *h;
	char base[ENDPOINT_PATH_MAX + 1];
	size_t bl;
	int len;

	if (u->https && u->tls == NULL) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->loop = loop;
	h->cb = cb;
	h->arg = arg;
	h->url = u;
	h->max_body = max_body;
	h->resp_cap = HTTP_HEAD_MAX + max_body + 2;
	snprintf(base, sizeof(base), "%s", u->ep.path[0] != '\0' ? u->ep.path : "/");
	bl = strlen(base);
	if (bl > 0 && base[bl - 1] == '/' && path[0] == '/')
		base[bl - 1] = '\0';
	h->req_len = strlen(u->host) + strlen(base) + strlen(path) + n + 160;
	if ((h->req = malloc(h->req_len)) == NULL || (h->resp = malloc(h->resp_cap)) == NULL) {
		free(h->req);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	len = snprintf(h->req, h->req_len,
	               "POST %s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	               base, path, u->host, n);
	if (len < 0 || (size_t)len + n > h->req_len) {
		free(h->req);
		free(h->resp);
		free(h);
		errno = EINVAL;
		return NULL;
	}
	memcpy(h->req + len, body, n);
	h->req_len = (size_t)len + n;
	ev_io_init(&h->io, on_io, -1, EV_WRITE);
	h->io.data = h;
	ev_timer_init(&h->timer, on_timer, timeout, 0.);
	h->timer.data = h;
	ev_idle_init(&h->later, on_later);
	h->later.data = h;
	ev_timer_start(loop, &h->timer);
	if ((h->fd = net_connect(&u->ep)) == -1) {
		h->why = strerror(errno);
		ev_idle_start(loop, &h->later);
		return h;
	}
	h->phase = HP_CONNECT;
	ev_io_set(&h->io, h->fd, EV_WRITE);
	ev_io_start(loop, &h->io);
	return h;
}

void
hpost_cancel(struct hpost *h)
{
	if (h != NULL)
		hpost_free(h);
}
