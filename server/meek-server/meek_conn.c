/* SPDX-License-Identifier: MIT */
/*
 * meek-server's HTTP/1.1 connections, public and admin. One struct per
 * connection with its watchers embedded; conn_close() is the only way
 * out. A connection serves one request at a time and answers in order:
 *
 *   HEAD     read until http_parse_request_head() has a head; classify
 *   WAIT     queued behind another request of the same session
 *   BODY     hand Content-Length bytes to the session (bounded by its room)
 *   PENDING  the session answers: after the dial, the holdoff or new data
 *   WRITE    send the answer; then the next (maybe pipelined) request
 *   LINGER   after a refusal that ends the connection: our side is shut
 *            down, and what the client still sends is read and dropped
 *            for a moment, so its kernel does not reset the connection
 *            before it has read the answer (a 413 while it sends 1 MB)
 *
 * Bytes after a request stay in the read buffer for the next one. The
 * read buffer (MEEKS_CONN_BUF) exists only while bytes are in it, so an
 * idle keep-alive connection costs its struct. Heads are parsed into one
 * per-process scratch struct http_head and reduced to a struct meek_req.
 *
 * Timeouts: a head must arrive within --read-timeout of its first byte
 * (slowloris), a body within MEEKS_BODY_TIMEOUT_FACTOR times that, an
 * answer must be taken within MEEKS_WRITE_TIMEOUT, and an idle
 * keep-alive connection is closed after MEEKS_KEEPALIVE_TIMEOUT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "meeks.h"

enum cstate { C_HEAD, C_WAIT, C_BODY, C_PENDING, C_WRITE, C_LINGER };

struct mconn {
	struct mconn *prev, *next;
	struct meeks *m;
	int fd, admin;
	enum cstate st;
	ev_io rd, wr;
	ev_timer timer, kick;
	struct buf in;
	uint8_t *out;
	size_t out_len, out_off;
	int close_after, rd_eof, head_started;
	size_t linger; /* a refused body may follow: linger on close; then bytes dropped */
	uint64_t body_left;
	struct meek_req req;
	struct msess *sess;
	struct mconn *next_waiter;
	struct sockaddr_storage peer, local;
};

static struct http_head scratch; /* ~17 KiB: one per process, not per connection */

static void conn_advance(struct mconn *c);
static void conn_linger(struct mconn *c);
static void conn_linger_read(struct mconn *c);

/* --- small helpers ------------------------------------------------------ */

const char *
meeks_date(struct meeks *m)
{
	ev_tstamp now = ev_now(m->loop);
	time_t t = (time_t)now;
	struct tm tm;

	if (m->date[0] == '\0' || now - m->date_at >= 1.0) {
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(m->date, sizeof(m->date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
			m->date[0] = '\0';
		m->date_at = (ev_tstamp)t;
	}
	return m->date[0] ? m->date : NULL;
}

void
meeks_count(struct meeks *m, int status)
{
	static const int codes[MS_OTHER] = { 200, 400, 403, 404, 405, 410, 411, 413, 431, 502, 503 };
	int i;

	for (i = 0; i < MS_OTHER; i++)
		if (codes[i] == status)
			break;
	m->st.status[i]++;
}

const struct meek_req *
mconn_req(const struct mconn *c)
{
	return &c->req;
}

void
mconn_set_sess(struct mconn *c, struct msess *s)
{
	c->sess = s;
}

struct mconn *
mconn_next_waiter(struct mconn *c)
{
	return c->next_waiter;
}

void
mconn_set_next_waiter(struct mconn *c, struct mconn *next)
{
	c->next_waiter = next;
}

void
mconn_kick(struct mconn *c)
{
	if (!ev_is_active(&c->kick))
		ev_timer_start(c->m->loop, &c->kick);
}

static void
conn_timer(struct mconn *c, double after)
{
	ev_timer_stop(c->m->loop, &c->timer);
	if (after > 0) {
		ev_timer_set(&c->timer, after, 0);
		ev_timer_start(c->m->loop, &c->timer);
	}
}

/* --- lifetime ----------------------------------------------------------- */

static void
conn_close(struct mconn *c, const char *why)
{
	struct meeks *m = c->m;

	log_debug("connection %d: closed (%s)", c->fd, why);
	if (c->sess != NULL)
		msess_detach(c->sess, c);
	ev_io_stop(m->loop, &c->rd);
	ev_io_stop(m->loop, &c->wr);
	ev_timer_stop(m->loop, &c->timer);
	ev_timer_stop(m->loop, &c->kick);
	close(c->fd);
	buf_free(&c->in);
	free(c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	m->nconns--;
	free(c);
	if (m->draining && m->nconns == 0)
		ev_break(m->loop, EVBREAK_ALL);
}

/* Interest from state: read while a head or body can use the bytes, write while an answer waits. */
static void
conn_update(struct mconn *c)
{
	struct ev_loop *loop = c->m->loop;
	int room = c->in.data == NULL || buf_room(&c->in) > 0;
	int rd = !c->rd_eof && ((room && (c->st == C_HEAD || c->st == C_BODY)) || c->st == C_LINGER);
	int wr = c->st == C_WRITE;

	if (rd && !ev_is_active(&c->rd))
		ev_io_start(loop, &c->rd);
	else if (!rd && ev_is_active(&c->rd))
		ev_io_stop(loop, &c->rd);
	if (wr && !ev_is_active(&c->wr))
		ev_io_start(loop, &c->wr);
	else if (!wr && ev_is_active(&c->wr))
		ev_io_stop(loop, &c->wr);
}

/* --- answers ------------------------------------------------------------ */

static void
conn_answer(struct mconn *c, int status, const char *head, size_t hlen, const uint8_t *body,
            size_t len)
{
	meeks_count(c->m, status);
	free(c->out);
	c->out_off = 0;
	c->out_len = 0;
	if ((c->out = malloc(hlen + len + 1)) != NULL) {
		memcpy(c->out, head, hlen);
		if (len > 0)
			memcpy(c->out + hlen, body, len);
		c->out_len = hlen + len;
	}
	if (!c->req.keep_alive || c->m->draining)
		c->close_after = 1;
	c->st = C_WRITE;
	conn_timer(c, MEEKS_WRITE_TIMEOUT);
	conn_update(c);
}

void
mconn_respond(struct mconn *c, int status, const char *msg, const uint8_t *body, size_t len)
{
	char head[MEEK_ERR_MAX];
	ssize_t n;

	c->sess = NULL;
	if (status == 200) {
		n = meek_format_ok(head, sizeof(head), len, !c->req.keep_alive || c->m->draining,
		                   meeks_date(c->m));
	} else {
		c->close_after |= c->req.has_body && c->body_left > 0;
		n = meek_format_error(head, sizeof(head), status, msg, c->req.head_only,
		                      c->close_after || !c->req.keep_alive || c->m->draining,
		                      meeks_date(c->m));
		body = NULL;
		len = 0;
	}
	if (n < 0)
		n = 0; /* cannot happen with our fixed strings; the client then sees a close */
	conn_answer(c, status, head, (size_t)n, body, len);
}

static void
conn_error(struct mconn *c, int status, const char *msg)
{
	c->close_after |= c->req.has_body;
	c->linger = c->req.has_body;
	mconn_respond(c, status, msg, NULL, 0);
}

static void
conn_admin(struct mconn *c)
{
	char body[2048], head[MEEK_RESP_HEAD_MAX];
	size_t len = 0;
	int status = meeks_admin_answer(c->m, &scratch, body, sizeof(body), &len);
	ssize_t n;

	memset(&c->req, 0, sizeof(c->req));
	c->close_after = 1;
	n = http_format_response_head(head, sizeof(head), status, len,
	                              "Content-Type: text/plain; charset=utf-8\r\n"
	                              "Connection: close\r\n");
	conn_answer(c, status, head, n < 0 ? 0 : (size_t)n, (const uint8_t *)body,
	            strcmp(scratch.method, "HEAD") == 0 ? 0 : len);
}

/* --- requests ----------------------------------------------------------- */

static void
conn_dispatch(struct mconn *c)
{
	struct meeks *m = c->m;
	struct msess *s = msess_find(m, c->req.sid, c->req.sid_len);
	int r;

	if (s == NULL) {
		if (m->nsessions >= m->max_sessions) {
			conn_error(c, 503, "service unavailable");
			return;
		}
		s = msess_new(m, &c->req, (const struct sockaddr *)&c->peer,
		              (const struct sockaddr *)&c->local);
		if (s == NULL) {
			log_warn("upstream");
			conn_error(c, 502, "upstream unreachable");
			return;
		}
	}
	if ((r = msess_enqueue(s, c)) == -1) {
		conn_error(c, 503, "service unavailable");
		return;
	}
	c->st = r == 1 ? C_BODY : C_WAIT;
	conn_timer(c, m->read_timeout * MEEKS_BODY_TIMEOUT_FACTOR);
}

/* Return 1 when the connection moved on from C_HEAD (or closed: then 0 with c freed). */
static int
conn_head(struct mconn *c)
{
	struct meeks *m = c->m;
	const uint8_t *p = buf_rptr(&c->in);
	size_t n = buf_len(&c->in);
	ssize_t r;
	int status;

	if (!c->head_started) {
		c->head_started = 1;
		conn_timer(c, m->read_timeout);
	}
	r = http_parse_request_head(p, n, &scratch);
	if (r == 0) {
		if (c->rd_eof)
			conn_close(c, "EOF in a request head");
		else
			conn_update(c);
		return 0;
	}
	c->head_started = 0;
	if (r < 0) {
		memset(&c->req, 0, sizeof(c->req));
		c->close_after = 1;
		c->linger = 1;
		/* A head that only lacks its end within HTTP_HEAD_MAX is too large, not malformed. */
		if (n >= HTTP_HEAD_MAX && http_parse_request_head(p, HTTP_HEAD_MAX - 1, &scratch) == 0)
			mconn_respond(c, 431, "431 Request Header Fields Too Large", NULL, 0);
		else
			mconn_respond(c, 400, "400 Bad Request", NULL, 0);
		return 1;
	}
	buf_consume(&c->in, (size_t)r);
	if (c->admin) {
		conn_admin(c);
		return 1;
	}
	status = meek_classify(&scratch, &m->cfg, &c->req);
	c->body_left = c->req.body_len;
	if (status != 0)
		conn_error(c, status, c->req.msg);
	else
		conn_dispatch(c);
	return 1;
}

static void
conn_body(struct mconn *c)
{
	size_t k, took;

	while (buf_len(&c->in) > 0 && c->body_left > 0) {
		k = buf_len(&c->in) < c->body_left ? buf_len(&c->in) : (size_t)c->body_left;
		took = msess_body(c->sess, buf_rptr(&c->in), k);
		buf_consume(&c->in, took);
		c->body_left -= took;
		if (took < k)
			break; /* the session is full: it kicks us when it has room */
	}
	if (c->body_left > 0) {
		if (c->rd_eof)
			conn_close(c, "EOF in a request body");
		else
			conn_update(c);
		return;
	}
	c->st = C_PENDING;
	conn_timer(c, 0);
	conn_update(c);
	msess_body_done(c->sess);
}

/* Run the state machine over what is buffered; returns when it needs an event. */
static void
conn_advance(struct mconn *c)
{
	for (;;) {
		switch (c->st) {
		case C_HEAD:
			if (c->in.data != NULL && buf_len(&c->in) == 0)
				buf_free(&c->in);
			if (c->in.data == NULL) {
				if (c->rd_eof) {
					conn_close(c, "EOF");
					return;
				}
				if (!c->head_started)
					conn_timer(c, MEEKS_KEEPALIVE_TIMEOUT);
				conn_update(c);
				return;
			}
			if (!conn_head(c))
				return; /* needs more, or closed */
			break;
		case C_BODY:
			conn_body(c);
			return;
		case C_WAIT:
		case C_PENDING:
		case C_WRITE:
		case C_LINGER:
			conn_update(c);
			return;
		}
	}
}

/* --- watchers ----------------------------------------------------------- */

static void
conn_linger(struct mconn *c)
{
	buf_free(&c->in);
	if (c->rd_eof || shutdown(c->fd, SHUT_WR) == -1) {
		conn_close(c, "answered");
		return;
	}
	c->st = C_LINGER;
	c->linger = 0;
	conn_timer(c, MEEKS_LINGER_TIME);
	conn_update(c);
}

static void
conn_linger_read(struct mconn *c)
{
	uint8_t sink[16384];
	ssize_t n = recv(c->fd, sink, sizeof(sink), 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (c->linger += (size_t)n) > MEEKS_LINGER_MAX)
		conn_close(c, "answered");
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mconn *c = w->data;
	uint8_t *p;
	size_t room;
	ssize_t n;

	(void)loop;
	(void)revents;
	if (c->st == C_LINGER) {
		conn_linger_read(c);
		return;
	}
	if (c->in.data == NULL && buf_init(&c->in, MEEKS_CONN_BUF) == -1) {
		conn_close(c, "out of memory");
		return;
	}
	p = buf_wptr(&c->in, &room);
	if (room == 0) {
		conn_update(c);
		return;
	}
	n = recv(c->fd, p, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(c, strerror(errno));
		return;
	}
	if (n == 0)
		c->rd_eof = 1;
	else
		buf_commit(&c->in, (size_t)n);
	conn_advance(c);
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mconn *c = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	if (c->out == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	if (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			conn_close(c, strerror(errno));
			return;
		}
		c->out_off += (size_t)n;
		if (c->out_off < c->out_len)
			return;
	}
	free(c->out);
	c->out = NULL;
	if (c->close_after && c->linger) {
		conn_linger(c);
		return;
	}
	if (c->close_after || c->m->draining) {
		conn_close(c, "answered");
		return;
	}
	c->st = C_HEAD;
	conn_timer(c, 0);
	conn_advance(c);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mconn *c = w->data;

	(void)loop;
	(void)revents;
	conn_close(c, c->st == C_WRITE ? "write timeout" : c->st == C_LINGER ? "answered" : "read timeout");
}

static void
on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mconn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->st == C_WAIT) {
		if (c->sess == NULL) {
			conn_dispatch(c); /* its session is gone: start over */
			if (c->st != C_BODY) {
				conn_update(c);
				return;
			}
		} else
			c->st = C_BODY;
	}
	conn_advance(c);
}

void
mconn_accept(struct meeks *m, int fd, const struct sockaddr_storage *peer, socklen_t len,
             int admin)
{
	struct mconn *c;
	socklen_t llen = sizeof(c->local);

	if (m->nconns >= m->max_conns || (c = calloc(1, sizeof(*c))) == NULL) {
		m->st.conns_refused++;
		close(fd);
		return;
	}
	m->st.conns_accepted++;
	c->m = m;
	c->fd = fd;
	c->admin = admin;
	c->st = C_HEAD;
	if (len > 0 && len <= sizeof(c->peer))
		memcpy(&c->peer, peer, len);
	if (getsockname(fd, (struct sockaddr *)&c->local, &llen) == -1)
		memset(&c->local, 0, sizeof(c->local));
	if (c->peer.ss_family == AF_INET || c->peer.ss_family == AF_INET6)
		(void)net_set_nodelay(fd);
	ev_io_init(&c->rd, on_read, fd, EV_READ);
	ev_io_init(&c->wr, on_write, fd, EV_WRITE);
	ev_init(&c->timer, on_timeout);
	ev_timer_init(&c->kick, on_kick, 0, 0);
	c->rd.data = c->wr.data = c->timer.data = c->kick.data = c;
	c->next = m->conns;
	if (c->next)
		c->next->prev = c;
	m->conns = c;
	m->nconns++;
	conn_advance(c);
}

void
mconn_drain(struct meeks *m)
{
	struct mconn *c, *next;

	for (c = m->conns; c != NULL; c = next) {
		next = c->next;
		if (c->st == C_HEAD && c->in.data == NULL)
			conn_close(c, "draining");
	}
}

void
mconn_abort_all(struct meeks *m)
{
	int draining = m->draining;

	m->draining = 0; /* no ev_break from inside the teardown */
	while (m->conns != NULL)
		conn_close(m->conns, "shutdown");
	m->draining = draining;
}
