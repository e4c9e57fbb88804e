/* SPDX-License-Identifier: MIT */
/*
 * The broker's HTTP/1.1 connections: one request at a time (pipelined
 * bytes wait in the buffer), heads through llhttp (proto/http.h), bodies
 * by Content-Length or chunked (proto/httpbody.h) up to SF_BODY_MAX,
 * answers queued and written from the write watcher, keep-alive between
 * requests. Limits: global and per-address connection caps counted from
 * accept, the memory budget charged for every buffer, a timer in every
 * state (whole request within read_timeout, idle keep-alive within
 * idle_timeout, held polls within their protocol timeouts).
 */
#include "rdv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/evio.h"
#include "base/log.h"
#include "proto/httpbody.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define READ_CHUNK 4096

static void process(struct rconn *c);

uint64_t
rdv_now_ms(const struct rdv *r)
{
	return (uint64_t)(ev_now(r->loop) * 1000.0);
}

static void
recharge(struct rconn *c)
{
	size_t want = membudget_cost(sizeof(*c)) + (c->in.cap ? membudget_cost(c->in.cap) : 0) +
	              (c->out.cap ? membudget_cost(c->out.cap) : 0);

	if (want > c->charged)
		membudget_force(&c->r->mem, want - c->charged);
	else
		membudget_uncharge(&c->r->mem, c->charged - want);
	c->charged = want;
}

/* Interest from state: read while reading a request (unless paused) and, in held states, to see EOF. */
static void
update(struct rconn *c)
{
	struct ev_loop *loop = c->r->loop;

	evio_want(loop, &c->rd, c->state != RC_WRITE && !c->reading_stopped);
	evio_want(loop, &c->wr, c->state == RC_WRITE || buf_len(&c->out) > 0);
}

static void
set_timer(struct rconn *c, double after)
{
	ev_timer_stop(c->r->loop, &c->tm);
	ev_timer_set(&c->tm, after, 0);
	ev_timer_start(c->r->loop, &c->tm);
}

void
rconn_close(struct rconn *c)
{
	struct rdv *r = c->r;

	sf_held_close(c);
	ev_io_stop(r->loop, &c->rd);
	ev_io_stop(r->loop, &c->wr);
	ev_timer_stop(r->loop, &c->tm);
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	membudget_uncharge(&r->mem, c->charged);
	if (c->addr != NULL) {
		c->addr->conns--;
		addrtab_unref(&r->addrs, c->addr);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	r->nconns--;
	free(c);
	membudget_release(&r->mem);
}

void
rconn_close_all(struct rdv *r)
{
	while (r->conns != NULL)
		rconn_close(r->conns);
}

static void
queue_out(struct rconn *c, int status, const char *body, size_t len, const char *extra_ct)
{
	char head[512], extra[256];
	ssize_t hl;
	uint8_t *p;
	size_t room;

	snprintf(extra, sizeof(extra), "%s%s", extra_ct,
	         c->close_after ? "Connection: close\r\n" : "");
	hl = http_format_response_head(head, sizeof(head), status, len, extra);
	p = buf_reserve(&c->out, (size_t)hl + len, (size_t)hl + len, &room);
	if (hl < 0 || p == NULL || room < (size_t)hl + len) {
		c->close_after = 1;
		buf_reset(&c->out);
		return;
	}
	memcpy(p, head, (size_t)hl);
	if (len > 0)
		memcpy(p + hl, body, len);
	buf_commit(&c->out, (size_t)hl + len);
	recharge(c);
}

void
rconn_reply_hdrs(struct rconn *c, int status, const char *body, size_t len, const char *hdrs)
{
	if (status >= 400 && status != 404 && status != 418)
		c->close_after = 1;
	if (!c->keep_alive)
		c->close_after = 1;
	queue_out(c, status, body, len, hdrs);
	c->state = RC_WRITE;
	c->reading_stopped = 0;
	set_timer(c, c->r->cfg.read_timeout);
	update(c);
}

void
rconn_reply(struct rconn *c, int status, const char *body, size_t len)
{
	const char *hdrs = status == 200 || status == 404
		? "Content-Type: text/plain; charset=utf-8\r\nAccess-Control-Allow-Origin: *\r\n"
		  "Access-Control-Allow-Headers: Origin, X-Session-ID\r\n"
		: "";

	rconn_reply_hdrs(c, status, body, len, hdrs);
}

/* Append to the growable output buffer (buf_append wants storage already there). */
static int
out_append(struct rconn *c, const void *p, size_t n)
{
	size_t room;
	uint8_t *w = buf_reserve(&c->out, n, buf_len(&c->out) + n, &room);

	if (w == NULL || room < n)
		return -1;
	memcpy(w, p, n);
	buf_commit(&c->out, n);
	recharge(c);
	return 0;
}

void
rconn_stream_start(struct rconn *c, double after)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                           "Access-Control-Allow-Origin: *\r\nTransfer-Encoding: chunked\r\n\r\n";

	if (out_append(c, head, sizeof(head) - 1) == -1)
		c->close_after = 1;
	rconn_hold(c, RC_STREAM, after);
}

int
rconn_stream_send(struct rconn *c, const char *p, size_t n)
{
	char len[24];
	int ll = snprintf(len, sizeof(len), "%zx\r\n", n);
	size_t room;
	uint8_t *w;

	if (buf_len(&c->out) + (size_t)ll + n + 2 > FR_STREAM_MAX)
		return -1;
	w = buf_reserve(&c->out, (size_t)ll + n + 2, FR_STREAM_MAX, &room);
	if (w == NULL || room < (size_t)ll + n + 2)
		return -1;
	memcpy(w, len, (size_t)ll);
	memcpy(w + ll, p, n);
	memcpy(w + ll + n, "\r\n", 2);
	buf_commit(&c->out, (size_t)ll + n + 2);
	recharge(c);
	update(c);
	return 0;
}

void
rconn_stream_end(struct rconn *c)
{
	if (out_append(c, "0\r\n\r\n", 5) == -1)
		c->close_after = 1;
	c->state = RC_WRITE;
	c->reading_stopped = 0;
	if (!c->keep_alive)
		c->close_after = 1;
	set_timer(c, c->r->cfg.read_timeout);
	update(c);
}

void
rconn_hold(struct rconn *c, enum rconn_state st, double after)
{
	c->state = st;
	set_timer(c, after);
	update(c);
}

int
rconn_alive(struct rconn *c)
{
	uint8_t b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n == 0)
		return 0;
	return n > 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static int
method_of(const char *m)
{
	if (strcmp(m, "POST") == 0)
		return RM_POST;
	if (strcmp(m, "GET") == 0)
		return RM_GET;
	if (strcmp(m, "OPTIONS") == 0)
		return RM_OPTIONS;
	if (strcmp(m, "HEAD") == 0)
		return RM_HEAD;
	return RM_OTHER;
}

/* The right-most X-Forwarded-For element: what the front in front of us added. */
static int
forwarded_addr(const struct http_head *h, struct sockaddr_storage *ss)
{
	const struct http_header *last = NULL;
	const char *v, *e;
	char tmp[NET_ADDRSTR_MAX];
	size_t i, n;

	for (i = 0; i < h->nheaders; i++) {
		if (strcasecmp(h->headers[i].name, "X-Forwarded-For") == 0)
			last = &h->headers[i];
	}
	if (last == NULL)
		return -1;
	e = last->value + last->value_len;
	v = memrchr(last->value, ',', last->value_len);
	v = v != NULL ? v + 1 : last->value;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	if ((n = (size_t)(e - v)) == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, tmp, &((struct sockaddr_in *)(void *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, &((struct sockaddr_in6 *)(void *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* The client address of this request moves to the forwarded one. */
static void
take_forwarded(struct rconn *c, const struct http_head *h)
{
	struct rdv *r = c->r;
	struct sockaddr_storage ss;
	struct addr_ent *e;

	if (!r->cfg.trust_forwarded || forwarded_addr(h, &ss) == -1)
		return;
	if ((e = addrtab_get(&r->addrs, &ss, r->cfg.poll_burst, rdv_now_ms(r))) == NULL)
		return;
	e->conns++;
	c->addr->conns--;
	addrtab_unref(&r->addrs, c->addr);
	c->addr = e;
}

static void
bad(struct rconn *c, int status)
{
	c->close_after = 1;
	c->keep_alive = 0;
	rconn_reply(c, status, NULL, 0);
}

/* Parse the head of the current request; 1 when it is done, 0 need more, -1 answered. */
static int
parse_head(struct rconn *c)
{
	static struct http_head h; /* one loop, one request at a time: no need for a copy per connection */
	const struct http_header *nat;
	ssize_t n = http_parse_request_head(buf_rptr(&c->in), buf_len(&c->in), &h);

	if (n == 0 || (n < 0 && buf_len(&c->in) >= HTTP_HEAD_MAX)) {
		if (n == 0 && buf_len(&c->in) < HTTP_HEAD_MAX)
			return 0;
		c->r->m.oversize++;
		bad(c, 431);
		return -1;
	}
	if (n < 0) {
		c->r->m.bad_requests++;
		bad(c, 400);
		return -1;
	}
	c->r->m.requests++;
	c->head_len = (size_t)n;
	c->keep_alive = h.keep_alive;
	c->chunked = h.chunked;
	c->body_len = h.has_content_length ? h.content_length : 0;
	c->method = method_of(h.method);
	sf_held_close(c); /* what the last request left in the role's state */
	c->route = sf_route_of(h.target, h.target_len);
	c->nat_hdr[0] = '\0';
	if ((nat = http_header_find(&h, "Snowflake-NAT-Type")) != NULL && nat->value_len < sizeof(c->nat_hdr))
		memcpy(c->nat_hdr, nat->value, nat->value_len + 1);
	c->has_bf_version = 0;
	if ((nat = http_header_find(&h, "X-BF-Version")) != NULL && nat->value_len < sizeof(c->bf_version)) {
		memcpy(c->bf_version, nat->value, nat->value_len + 1);
		c->has_bf_version = 1;
	}
	if (h.upgrade) {
		c->r->m.bad_requests++;
		bad(c, 400);
		return -1;
	}
	if (c->body_len > SF_BODY_MAX) {
		c->r->m.oversize++;
		bad(c, 413);
		return -1;
	}
	take_forwarded(c, &h);
	return 1;
}

/* Read requests from the buffer while the connection is in the reading state. */
static void
process(struct rconn *c)
{
	while (c->state == RC_READ) {
		const uint8_t *p;
		size_t avail, consumed, blen;
		int hr;

		if (c->head_len == 0) {
			if ((hr = parse_head(c)) <= 0)
				return;
			set_timer(c, c->r->cfg.read_timeout);
		}
		p = buf_rptr(&c->in) + c->head_len;
		avail = buf_len(&c->in) - c->head_len;
		if (c->chunked) {
			ssize_t e = http_chunked_decode(p, avail, NULL, SF_BODY_MAX, &blen);

			if (e == 0 && buf_len(&c->in) < RDV_REQ_MAX)
				return;
			if (e <= 0) {
				c->r->m.oversize += e == 0;
				c->r->m.bad_requests += e < 0;
				bad(c, e == 0 ? 413 : 400);
				return;
			}
			(void)http_chunked_decode(p, avail, (uint8_t *)p, SF_BODY_MAX, &blen);
			consumed = c->head_len + (size_t)e;
		} else {
			if (avail < c->body_len)
				return;
			blen = (size_t)c->body_len;
			consumed = c->head_len + blen;
		}
		c->head_len = 0;
		sf_route(c, p, blen);
		buf_consume(&c->in, consumed);
		if (buf_len(&c->in) == 0) {
			buf_free(&c->in);
			recharge(c);
		}
		if (c->state == RC_READ)
			set_timer(c, buf_len(&c->in) ? c->r->cfg.read_timeout : c->r->cfg.idle_timeout);
	}
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rconn *c = container_of(w, struct rconn, rd);
	size_t want, room;
	uint8_t *p;
	ssize_t n;

	(void)loop;
	(void)revents;
	if (c->state != RC_READ) {
		/* held: only EOF or a reset matters; early bytes wait in the kernel */
		if (!rconn_alive(c)) {
			rconn_close(c);
			return;
		}
		c->reading_stopped = 1;
		update(c);
		return;
	}
	want = READ_CHUNK;
	if (c->head_len > 0 && !c->chunked && c->head_len + c->body_len > buf_len(&c->in))
		want = (size_t)(c->head_len + c->body_len - buf_len(&c->in));
	if (membudget_would_exceed(&c->r->mem, buf_len(&c->in) + want)) {
		c->r->m.refused_memory++;
		bad(c, 503);
		return;
	}
	p = buf_reserve(&c->in, want, RDV_REQ_MAX, &room);
	if (p == NULL || room == 0) {
		c->r->m.oversize++;
		bad(c, 413);
		return;
	}
	recharge(c);
	n = recv(c->fd, p, room, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		rconn_close(c);
		return;
	}
	if (n < 0)
		return;
	buf_commit(&c->in, (size_t)n);
	if (c->head_len == 0 && buf_len(&c->in) == (size_t)n)
		set_timer(c, c->r->cfg.read_timeout);
	process(c);
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rconn *c = container_of(w, struct rconn, wr);
	ssize_t n;

	(void)loop;
	(void)revents;
	while (buf_len(&c->out) > 0) {
		n = send(c->fd, buf_rptr(&c->out), buf_len(&c->out), MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			rconn_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (c->state != RC_WRITE) {
		/* a stream with nothing more to send for now */
		update(c);
		return;
	}
	if (c->close_after) {
		rconn_close(c);
		return;
	}
	buf_free(&c->out);
	recharge(c);
	c->state = RC_READ;
	c->head_len = 0;
	c->reading_stopped = 0;
	set_timer(c, buf_len(&c->in) ? c->r->cfg.read_timeout : c->r->cfg.idle_timeout);
	update(c);
	process(c);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rconn *c = container_of(w, struct rconn, tm);

	(void)loop;
	(void)revents;
	switch (c->state) {
	case RC_READ:
		if (c->head_len > 0 || buf_len(&c->in) > 0)
			c->r->m.timeouts_read++;
		rconn_close(c);
		break;
	case RC_WRITE:
		rconn_close(c);
		break;
	default:
		sf_held_timeout(c);
	}
}

static void
refuse(int fd, uint64_t *counter)
{
	(*counter)++;
	close(fd);
}

void
rconn_accept(struct rdv *r, int fd, const struct sockaddr_storage *peer, socklen_t len)
{
	struct addr_ent *e;
	struct rconn *c;

	(void)len;
	if (r->nconns >= r->cfg.max_conns) {
		refuse(fd, &r->m.refused_conns);
		return;
	}
	if ((e = addrtab_get(&r->addrs, peer, r->cfg.poll_burst, rdv_now_ms(r))) == NULL) {
		refuse(fd, &r->m.refused_per_addr);
		return;
	}
	if (e->conns >= r->cfg.max_per_addr) {
		addrtab_unref(&r->addrs, e);
		refuse(fd, &r->m.refused_per_addr);
		return;
	}
	if (membudget_charge(&r->mem, membudget_cost(sizeof(*c))) == -1 || (c = calloc(1, sizeof(*c))) == NULL) {
		addrtab_unref(&r->addrs, e);
		refuse(fd, &r->m.refused_memory);
		return;
	}
	(void)net_set_nonblock(fd);
	c->charged = membudget_cost(sizeof(*c));
	c->r = r;
	c->fd = fd;
	c->addr = e;
	e->conns++;
	c->state = RC_READ;
	c->next = r->conns;
	if (r->conns != NULL)
		r->conns->prev = c;
	r->conns = c;
	r->nconns++;
	r->m.conns++;
	ev_io_init(&c->rd, on_read, fd, EV_READ);
	ev_io_init(&c->wr, on_write, fd, EV_WRITE);
	ev_init(&c->tm, on_timer);
	set_timer(c, r->cfg.read_timeout);
	update(c);
}
