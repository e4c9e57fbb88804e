/* SPDX-License-Identifier: MIT */
/*
 * The admin listener (admin.h). One request per connection, read into a
 * fixed head buffer, answered from one fixed output buffer, then closed:
 * an admin connection never holds more than HTTP_HEAD_MAX +
 * ADMIN_BODY_MAX + a head, and never more than ADMIN_CONNS_MAX of them.
 */
#include "net/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/evio.h"
#include "proto/http.h"

#define ADMIN_OUT_MAX (ADMIN_BODY_MAX + 256)

struct admin_conn {
	struct admin *a;
	struct admin_conn *prev, *next;
	int fd;
	ev_io rd, wr;
	ev_timer timer;
	size_t inlen, outlen, outoff;
	uint8_t in[HTTP_HEAD_MAX];
	char out[ADMIN_OUT_MAX];
};

int
admin_endpoint_ok(const struct endpoint *ep)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (ep->kind == EP_UNIX)
		return 1;
	if (ep->kind != EP_TCP)
		return 0;
	if (inet_pton(AF_INET, ep->host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ep->host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return strcmp(ep->host, "localhost") == 0;
}

static void
admin_conn_close(struct admin_conn *c)
{
	struct admin *a = c->a;

	ev_io_stop(a->loop, &c->rd);
	ev_io_stop(a->loop, &c->wr);
	ev_timer_stop(a->loop, &c->timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		a->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	a->nconns--;
	free(c);
}

static int
admin_path_is(const struct http_head *h, const char *path)
{
	const char *q = memchr(h->target, '?', h->target_len);
	size_t n = q ? (size_t)(q - h->target) : h->target_len;

	return strlen(path) == n && memcmp(h->target, path, n) == 0;
}

/* Build the whole answer to h in c->out. */
static void
admin_answer(struct admin_conn *c, const struct http_head *h)
{
	static const char ctype[] = "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
	                            "Connection: close\r\n";
	char body[ADMIN_BODY_MAX];
	int which = admin_path_is(h, "/healthz") ? 0 : admin_path_is(h, "/metrics") ? 1 : -1;
	int status = 200, n = 0, head = strcmp(h->method, "HEAD") == 0;
	ssize_t hl;

	if (which == -1)
		status = 404;
	else if (strcmp(h->method, "GET") != 0 && !head)
		status = 405;
	else if ((n = c->a->body(c->a->arg, which, body, sizeof(body))) < 0 ||
	         (size_t)n >= sizeof(body))
		status = 500;
	if (status != 200)
		n = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	hl = http_format_response_head(c->out, sizeof(c->out), status, (uint64_t)n, ctype);
	if (hl < 0 || (size_t)hl + (size_t)n > sizeof(c->out)) {
		c->outlen = 0;
		return;
	}
	if (!head)
		memcpy(c->out + hl, body, (size_t)n);
	c->outlen = (size_t)hl + (head ? 0 : (size_t)n);
}

static void
admin_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin_conn *c = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			evio_want(c->a->loop, &c->wr, 1);
			return;
		}
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	admin_conn_close(c);
}

static void
admin_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin_conn *c = w->data;
	struct http_head *h;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		admin_conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if ((h = malloc(sizeof(*h))) == NULL) {
		admin_conn_close(c);
		return;
	}
	n = http_parse_request_head(c->in, c->inlen, h);
	if (n == 0 && c->inlen < sizeof(c->in)) {
		free(h);
		return;
	}
	if (n > 0)
		admin_answer(c, h);
	free(h);
	if (n <= 0 || c->outlen == 0) {
		admin_conn_close(c);
		return;
	}
	ev_io_stop(c->a->loop, &c->rd);
	admin_write_cb(c->a->loop, &c->wr, EV_WRITE);
}

static void
admin_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	admin_conn_close(w->data);
}

static void
admin_accept(struct listener *l, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct admin *a = l->arg;
	struct admin_conn *c;

	(void)peer;
	(void)len;
	if (a->nconns >= ADMIN_CONNS_MAX || (c = calloc(1, sizeof(*c))) == NULL) {
		a->refused++;
		close(fd);
		return;
	}
	c->a = a;
	c->fd = fd;
	ev_io_init(&c->rd, admin_read_cb, fd, EV_READ);
	ev_io_init(&c->wr, admin_write_cb, fd, EV_WRITE);
	ev_timer_init(&c->timer, admin_timer_cb, ADMIN_TIMEOUT, 0);
	c->rd.data = c->wr.data = c->timer.data = c;
	c->next = a->conns;
	if (a->conns)
		a->conns->prev = c;
	a->conns = c;
	a->nconns++;
	ev_io_start(a->loop, &c->rd);
	ev_timer_start(a->loop, &c->timer);
}

int
admin_open(struct admin *a, struct ev_loop *loop, const struct endpoint *ep, admin_body_cb body,
           void *arg)
{
	int fd;

	memset(a, 0, sizeof(*a));
	a->loop = loop;
	a->body = body;
	a->arg = arg;
	a->ep = *ep;
	a->l.fd = -1;
	if ((fd = net_listen(ep, ADMIN_CONNS_MAX)) == -1)
		return -1;
	if (net_listen_name(fd, ep, a->name, sizeof(a->name)) == -1) {
		snprintf(a->name, sizeof(a->name), "?");
	}
	a->l.fd = fd;
	return 0;
}

void
admin_start(struct admin *a)
{
	listener_start(a->loop, &a->l, a->l.fd, admin_accept, a);
}

void
admin_close(struct admin *a)
{
	while (a->conns != NULL)
		admin_conn_close(a->conns);
	if (a->l.fd != -1) {
		if (a->l.loop != NULL)
			listener_stop(&a->l);
		else
			close(a->l.fd);
		a->l.fd = -1;
		if (a->ep.kind == EP_UNIX)
			(void)unlink(a->ep.path);
	}
}
