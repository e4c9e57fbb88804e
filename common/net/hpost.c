/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.1 POST on libev (hpost.h).
 */
#include "net/hpost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "proto/http.h"

struct hpost {
	struct ev_loop *loop;
	int fd, connecting;
	ev_io io;
	ev_timer timer;
	ev_idle later; /* a failure found at start, reported from the loop */
	hpost_cb cb;
	void *arg;
	char *req;
	size_t req_len, req_off;
	char *resp;
	size_t resp_len, resp_cap, max_body;
	const char *why;
	struct http_head head;
};

int
hpost_parse_url(const char *url, struct endpoint *ep, char *err, size_t errlen)
{
	char buf[ENDPOINT_STR_MAX + 8];

	if (strncmp(url, "http://", 7) != 0) {
		snprintf(err, errlen, "%s: not an http:// URL", url);
		return -1;
	}
	if (snprintf(buf, sizeof(buf), "ws://%s", url + 7) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "URL too long");
		return -1;
	}
	if (endpoint_parse(buf, ep, err, errlen) == -1)
		return -1;
	if (ep->nopts > 0) {
		snprintf(err, errlen, "%s: a URL takes no options", url);
		return -1;
	}
	ep->kind = EP_TCP;
	return 0;
}

static void
hpost_free(struct hpost *h)
{
	ev_io_stop(h->loop, &h->io);
	ev_timer_stop(h->loop, &h->timer);
	ev_idle_stop(h->loop, &h->later);
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

	for (;;) {
		if (h->resp_len + 1 >= h->resp_cap) {
			hpost_end(h, -1, NULL, 0, "response too large");
			return;
		}
		n = read(h->fd, h->resp + h->resp_len, h->resp_cap - 1 - h->resp_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			hpost_end(h, -1, NULL, 0, strerror(errno));
			return;
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

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hpost *h = w->data;
	ssize_t n;
	int e;

	(void)loop;
	if (h->connecting) {
		if ((e = net_connect_result(h->fd)) != 0) {
			hpost_end(h, -1, NULL, 0, strerror(e));
			return;
		}
		h->connecting = 0;
	}
	if ((revents & EV_WRITE) && h->req_off < h->req_len) {
		n = write(h->fd, h->req + h->req_off, h->req_len - h->req_off);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			hpost_end(h, -1, NULL, 0, strerror(errno));
			return;
		}
		if (n > 0)
			h->req_off += (size_t)n;
		if (h->req_off == h->req_len) {
			ev_io_stop(h->loop, &h->io);
			ev_io_set(&h->io, h->fd, EV_READ);
			ev_io_start(h->loop, &h->io);
		}
		return;
	}
	if (revents & EV_READ)
		hpost_read(h);
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
hpost_start(struct ev_loop *loop, const struct endpoint *ep, const char *path, const char *body,
            size_t n, double timeout, size_t max_body, hpost_cb cb, void *arg)
{
	struct hpost *h;
	char host[ENDPOINT_HOST_MAX + 16], base[ENDPOINT_PATH_MAX + 1];
	size_t bl;
	int len;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->loop = loop;
	h->cb = cb;
	h->arg = arg;
	h->max_body = max_body;
	h->resp_cap = HTTP_HEAD_MAX + max_body + 2;
	snprintf(host, sizeof(host), ep->host_is_v6 ? "[%s]:%u" : "%s:%u", ep->host, (unsigned)ep->port);
	snprintf(base, sizeof(base), "%s", ep->path[0] != '\0' ? ep->path : "/");
	bl = strlen(base);
	if (bl > 0 && base[bl - 1] == '/' && path[0] == '/')
		base[bl - 1] = '\0';
	h->req_len = strlen(host) + strlen(base) + strlen(path) + n + 160;
	if ((h->req = malloc(h->req_len)) == NULL || (h->resp = malloc(h->resp_cap)) == NULL) {
		free(h->req);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	len = snprintf(h->req, h->req_len,
	               "POST %s%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	               base, path, host, n);
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
	if ((h->fd = net_connect(ep)) == -1) {
		h->why = strerror(errno);
		ev_idle_start(loop, &h->later);
		return h;
	}
	h->connecting = 1;
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
