/* SPDX-License-Identifier: MIT */
/*
 * The front of socks-client's application connections (see proxy_int.h),
 * shared by per-connection and session mode: accept, read the SOCKS5
 * greeting+request or the HTTP CONNECT head into a bounded buffer
 * (CONN_IN_MAX; what follows the request is early data and goes on with
 * it), answer the application in its own protocol, and the timers: the
 * application has handshake_timeout to finish its request, the far end
 * connect_timeout to answer it. Reply and handshake messages are a few
 * hundred bytes written to fresh sockets; a short write there is treated
 * as an error, not buffered.
 */
#include "proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "net/relay.h"
#include "proto/socks5.h"
#include "tt/tstream.h"

void
conn_arm_timer(struct conn *c, double after)
{
	ev_timer_stop(c->px->loop, &c->timer);
	ev_timer_set(&c->timer, after, 0);
	ev_timer_start(c->px->loop, &c->timer);
}

void
conn_unlink(struct conn *c)
{
	struct proxy *px = c->px;

	*c->prevp = c->next;
	if (c->next)
		c->next->prevp = c->prevp;
	px->nconns--;
	free(c);
	if (px->nconns == 0 && px->on_idle)
		px->on_idle(px);
}

void
conn_close(struct conn *c, const char *why)
{
	struct ev_loop *loop = c->px->loop;

	if (why)
		log_info("%s: closed: %s", c->peer, why);
	ev_io_stop(loop, &c->app_io);
	ev_timer_stop(loop, &c->timer);
	conn_carrier_stop(c);
	if (c->app_fd != -1)
		close(c->app_fd);
	conn_unlink(c);
}

static int
conn_send_app(struct conn *c, const void *p, size_t n)
{
	ssize_t w = send(c->app_fd, p, n, MSG_NOSIGNAL);

	return w == (ssize_t)n ? 0 : -1;
}

static int
http_status_for(uint8_t rep)
{
	switch (rep) {
	case SOCKS5_REP_SUCCEEDED:
		return 200;
	case SOCKS5_REP_TTL_EXPIRED:
		return 504;
	default:
		return 502;
	}
}

int
conn_answer(struct conn *c, uint8_t rep)
{
	uint8_t out[SOCKS5_REPLY_MAX];
	char head[256];
	ssize_t n;

	if (c->kind == KIND_SOCKS5) {
		n = socks5_encode_reply(rep, NULL, out, sizeof(out));
		return n < 0 ? -1 : conn_send_app(c, out, (size_t)n);
	}
	if (rep == SOCKS5_REP_SUCCEEDED)
		n = snprintf(head, sizeof(head), "HTTP/1.1 200 Connection established\r\n\r\n");
	else
		n = http_format_response_head(head, sizeof(head), http_status_for(rep), 0,
		                              "Connection: close\r\n");
	return n < 0 ? -1 : conn_send_app(c, head, (size_t)n);
}

void
conn_fail(struct conn *c, uint8_t rep, const char *why)
{
	(void)conn_answer(c, rep);
	conn_close(c, why);
}

/* Parse what the application sent so far. 0: need more, 1: dialling, -1: closed. */
static int
conn_parse_socks5(struct conn *c)
{
	struct socks5_request req;
	uint8_t out[2], rep;
	ssize_t r;
	int noauth;

	if (!c->greeted) {
		r = socks5_parse_greeting(c->in, c->inlen, &noauth);
		if (r == 0)
			return 0;
		if (r < 0) {
			conn_close(c, "malformed SOCKS5 greeting");
			return -1;
		}
		socks5_encode_method(noauth ? SOCKS5_METHOD_NOAUTH : SOCKS5_METHOD_NONE, out);
		if (conn_send_app(c, out, 2) == -1 || !noauth) {
			conn_close(c, noauth ? "application went away" : "no acceptable auth method");
			return -1;
		}
		c->greeted = 1;
		memmove(c->in, c->in + r, c->inlen - (size_t)r);
		c->inlen -= (size_t)r;
	}
	r = socks5_parse_request(c->in, c->inlen, &req, &rep);
	if (r == 0)
		return 0;
	if (r < 0) {
		conn_fail(c, rep, "malformed SOCKS5 request");
		return -1;
	}
	if (req.cmd != SOCKS5_CMD_CONNECT) {
		conn_fail(c, SOCKS5_REP_CMD_UNSUPPORTED, "command not supported");
		return -1;
	}
	c->dst = req.dst;
	c->head_len = (size_t)r;
	return 1;
}

static int
conn_parse_http(struct conn *c)
{
	struct http_head *h;
	struct http_authority a;
	ssize_t r;
	int status = 0;

	h = malloc(sizeof(*h));
	if (h == NULL) {
		conn_close(c, "out of memory");
		return -1;
	}
	r = http_parse_request_head(c->in, c->inlen, h);
	if (r == 0) {
		free(h);
		return 0;
	}
	if (r < 0)
		status = 400;
	else if (strcmp(h->method, "CONNECT") != 0)
		status = 405;
	else if (http_split_authority(h->target, h->target_len, &a) == -1 ||
	         socksaddr_set(&c->dst, a.host, a.port) == -1)
		status = 400;
	free(h);
	if (status) {
		char head[256];
		ssize_t n = http_format_response_head(head, sizeof(head), status, 0,
		                                      status == 405 ? "Allow: CONNECT\r\nConnection: close\r\n"
		                                                    : "Connection: close\r\n");

		if (n > 0)
			(void)conn_send_app(c, head, (size_t)n);
		conn_close(c, "bad HTTP request");
		return -1;
	}
	c->head_len = (size_t)r;
	return 1;
}

static void
conn_app_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n;
	int r;

	(void)revents;
	if (c->head_done) {
		/* Only watched during HEAD; EOF later is seen by the relay. */
		ev_io_stop(loop, w);
		return;
	}
	n = read(c->app_fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c, n == 0 ? "application closed during handshake" : strerror(errno));
		return;
	}
	if (n == -1)
		return;
	if (c->inlen == 0) {
		if (c->in[0] == SOCKS5_VERSION)
			c->kind = KIND_SOCKS5;
		else if (c->in[0] >= 'A' && c->in[0] <= 'Z')
			c->kind = KIND_HTTP;
		else {
			conn_close(c, "neither SOCKS5 nor HTTP");
			return;
		}
	}
	c->inlen += (size_t)n;
	r = c->kind == KIND_SOCKS5 ? conn_parse_socks5(c) : conn_parse_http(c);
	if (r == -1)
		return;
	if (r == 0) {
		if (c->inlen == sizeof(c->in))
			conn_close(c, "request too large");
		return;
	}
	/* Stop reading the application until the far end has answered. */
	ev_io_stop(loop, w);
	c->head_done = 1;
	conn_arm_timer(c, c->px->connect_timeout);
	if (c->px->sess != NULL)
		conn_stream_open(c);
	else
		conn_carrier_request(c);
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (!c->head_done)
		conn_close(c, "handshake timeout");
	else if (c->px->sess != NULL)
		conn_stream_timeout(c);
	else
		conn_carrier_timeout(c);
}

void
proxy_accept(struct proxy *px, int fd, const struct sockaddr_storage *peer)
{
	struct conn *c;

	if (px->nconns >= px->max_conns) {
		log_warnx("connection limit (%zu) reached", px->max_conns);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warn("accept");
		close(fd);
		return;
	}
	c->px = px;
	c->app_fd = fd;
	c->car_fd = -1;
	net_addr_format((const struct sockaddr *)peer, c->peer, sizeof(c->peer));
	c->next = px->conns;
	if (c->next)
		c->next->prevp = &c->next;
	c->prevp = &px->conns;
	px->conns = c;
	px->nconns++;
	ev_io_init(&c->app_io, conn_app_cb, fd, EV_READ);
	c->app_io.data = c;
	ev_io_start(px->loop, &c->app_io);
	ev_timer_init(&c->timer, conn_timer_cb, px->handshake_timeout, 0);
	c->timer.data = c;
	ev_timer_start(px->loop, &c->timer);
	/*
	 * Dial now: the carrier's connect and SOCKS5 greeting overlap the
	 * application's own handshake, which saves a round trip per
	 * connection. A connection that never completes its request costs
	 * one carrier, closed with it. Session mode needs no carrier per
	 * connection.
	 */
	if (px->sess == NULL)
		conn_carrier_dial(c);
}

void
proxy_abort_all(struct proxy *px)
{
	while (px->conns) {
		if (px->conns->relay)
			relay_abort(px->conns->relay);
		else if (px->conns->ts)
			tstream_abort(px->conns->ts);
		else
			conn_close(px->conns, NULL);
	}
}
