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
 * A body is read straight into its session's upstream buffer (only the
 * bytes that came with the head are copied once), so it is held once.
 *
 * Memory: read buffers and the Content-Length of every body being read
 * are reserved against --max-memory before they are taken; a body over
 * the budget is answered 503, a read buffer over it closes the
 * connection. A request that would open a session is also checked
 * against the per-address limits (429, 503). An empty POST for an
 * unknown session is answered like any empty poll (200, no body) and
 * leaves no state: a session starts with a body.
 *
 * Timeouts: a head must arrive within --read-timeout of its first byte
 * (slowloris), and a new connection's first head must start within it
 * too; a body must move at least every --read-timeout and end
 * within MEEKS_BODY_TIMEOUT_FACTOR times that; an answer must be taken
 * within MEEKS_WRITE_TIMEOUT, and an idle keep-alive connection is
 * closed after MEEKS_KEEPALIVE_TIMEOUT, or at once when --max-conns is
 * reached and a new connection arrives (oldest idle first).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/evio.h"
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
	int blocked;   /* C_BODY: the session has no room; it kicks us */
	int discard;   /* C_BODY: a pipelined retry, its body is read and dropped */
	int served;    /* an answer went out: idle now means keep-alive */
	size_t linger; /* a refused body may follow: linger on close; then bytes dropped */
	uint64_t body_left;
	uint64_t body_res; /* bytes of --max-memory this body holds */
	ev_tstamp body_deadline;
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
mconn_clear_pipe(struct mconn *c)
{
	c->req.pipe = 0;
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

/* --- memory ------------------------------------------------------------- */

static int
conn_reserve(struct mconn *c, uint64_t n)
{
	struct meeks *m = c->m;

	if (n > m->max_memory - m->mem_used)
		return -1;
	m->mem_used += n;
	return 0;
}

static void
conn_in_free(struct mconn *c)
{
	if (c->in.data != NULL) {
		c->m->mem_used -= c->in.cap;
		buf_free(&c->in);
	}
}

static int
conn_in_alloc(struct mconn *c)
{
	if (conn_reserve(c, MEEKS_CONN_BUF) == -1)
		return -1;
	if (buf_init(&c->in, MEEKS_CONN_BUF) == -1) {
		c->m->mem_used -= MEEKS_CONN_BUF;
		return -1;
	}
	return 0;
}

static void
conn_body_release(struct mconn *c)
{
	c->m->mem_used -= c->body_res;
	c->body_res = 0;
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
	conn_in_free(c);
	conn_body_release(c);
	free(c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->admin)
		m->nadmin--;
	else
		m->nconns--;
	free(c);
	if (m->draining && m->nconns == 0)
		ev_break(m->loop, EVBREAK_ALL);
}

/* Interest from state: read while a head or body can use the bytes, write while an answer waits. */
static void
conn_update(struct mconn *c)
{
	int room = c->in.data == NULL || buf_room(&c->in) > 0;
	int rd = !c->rd_eof && ((room && c->st == C_HEAD) || (c->st == C_BODY && !c->blocked) ||
	                        c->st == C_LINGER);

	evio_want(c->m->loop, &c->rd, rd);
	evio_want(c->m->loop, &c->wr, c->st == C_WRITE);
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
		                   meeks_date(c->m), c->req.pipe ? &c->m->pipe_answer : NULL);
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
	char body[4096], head[MEEK_RESP_HEAD_MAX];
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

/* The body must move every --read-timeout, and end by its deadline; waiting on the session is not idling. */
static void
conn_body_timer(struct mconn *c)
{
	double left = c->body_deadline - ev_now(c->m->loop);

	if (!c->blocked && left > c->m->read_timeout)
		left = c->m->read_timeout;
	conn_timer(c, left > 0.001 ? left : 0.001);
}

static void
conn_body_start(struct mconn *c)
{
	c->st = C_BODY;
	c->blocked = 0;
	c->body_deadline = ev_now(c->m->loop) + c->m->read_timeout * MEEKS_BODY_TIMEOUT_FACTOR;
	conn_body_timer(c);
}

static void
conn_refuse(struct mconn *c, enum meeks_refusal why, int status, const char *msg)
{
	meeks_refuse(c->m, why);
	conn_error(c, status, msg);
}

/* A new session: refused for a limit, or (out of memory) a 503. */
static struct msess *
conn_new_session(struct mconn *c)
{
	struct sockaddr_storage src;
	enum meeks_refusal why;
	struct msess *s;

	/* The forwarded address when trusted, else the TCP peer. */
	memcpy(&src, c->req.has_fwd ? &c->req.fwd : &c->peer, sizeof(src));
	s = msess_new(c->m, &c->req, &src, (const struct sockaddr *)&c->local, &why);
	if (s == NULL && why == MR_SESSION_RATE)
		conn_refuse(c, why, 429, "too many requests");
	else if (s == NULL && why != MR_NREASON)
		conn_refuse(c, why, 503, "service unavailable");
	else if (s == NULL)
		conn_error(c, 503, "service unavailable");
	return s;
}

static void
conn_dispatch(struct mconn *c)
{
	struct meeks *m = c->m;
	struct msess *s = msess_find(m, c->req.sid, c->req.sid_len);
	int r;

	if (s == NULL && c->req.body_len == 0 && !c->req.pipe) {
		/* Nothing to carry yet: an empty poll's answer, and no state. */
		mconn_respond(c, 200, NULL, NULL, 0);
		return;
	}
	if (c->body_res == 0 && c->req.body_len > 0) {
		if (conn_reserve(c, c->req.body_len) == -1) {
			conn_refuse(c, MR_MEMORY, 503, "service unavailable");
			return;
		}
		c->body_res = c->req.body_len;
	}
	if (s == NULL && (s = conn_new_session(c)) == NULL) {
		conn_body_release(c);
		return;
	}
	if ((r = msess_enqueue(s, c)) == MSESS_FULL) {
		conn_body_release(c);
		conn_refuse(c, MR_WAITERS, 503, "service unavailable");
		return;
	}
	if (r == MSESS_BAD) {
		conn_body_release(c);
		conn_error(c, 400, "sequence out of window");
		return;
	}
	c->discard = r == MSESS_RETRY;
	if (r == MSESS_ACTIVE || r == MSESS_RETRY)
		conn_body_start(c);
	else {
		c->st = C_WAIT;
		conn_timer(c, m->read_timeout * MEEKS_BODY_TIMEOUT_FACTOR);
	}
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
	if (m->pipe_window == 0)
		c->req.pipe = 0; /* --pipeline 0: every client is served serially */
	c->body_left = c->req.body_len;
	if (status != 0)
		conn_error(c, status, c->req.msg);
	else
		conn_dispatch(c);
	return 1;
}

static void
conn_body_complete(struct mconn *c)
{
	struct msess *s = c->sess;

	conn_body_release(c);
	c->st = C_PENDING;
	conn_timer(c, 0);
	conn_update(c);
	if (c->discard) {
		/* A retry is not attached while its body drains: find its session again. */
		c->discard = 0;
		if ((s = msess_find(c->m, c->req.sid, c->req.sid_len)) == NULL) {
			mconn_respond(c, 410, "session closed", NULL, 0);
			return;
		}
	}
	msess_body_done(s, c);
}

/* Body bytes that came with the head (or a pipelined one) go to the session; the rest is read straight in. */
static void
conn_body(struct mconn *c)
{
	size_t k, took;

	c->blocked = 0;
	while (buf_len(&c->in) > 0 && c->body_left > 0) {
		k = buf_len(&c->in) < c->body_left ? buf_len(&c->in) : (size_t)c->body_left;
		took = c->discard ? k : msess_body(c->sess, buf_rptr(&c->in), k);
		buf_consume(&c->in, took);
		c->body_left -= took;
		if (took < k) {
			c->blocked = 1; /* the session is full: it kicks us when it has room */
			break;
		}
	}
	if (c->body_left > 0) {
		if (buf_len(&c->in) == 0)
			conn_in_free(c);
		if (c->rd_eof)
			conn_close(c, "EOF in a request body");
		else {
			conn_body_timer(c);
			conn_update(c);
		}
		return;
	}
	conn_body_complete(c);
}

/* C_BODY with nothing buffered: recv into the session's buffer (or a sink for a replay). */
static void
conn_read_body(struct mconn *c)
{
	uint8_t sink[16384], *w = sink;
	size_t room = sizeof(sink);
	int replay = c->discard || msess_replaying(c->sess);
	ssize_t n;

	conn_in_free(c);
	if (!replay && ((w = msess_body_wptr(c->sess, (size_t)c->body_left, &room)) == NULL ||
	                room == 0)) {
		c->blocked = 1;
		conn_body_timer(c);
		conn_update(c);
		return;
	}
	if (room > MEEKS_UP_READ)
		room = MEEKS_UP_READ; /* one client does not hold the loop */
	if (room > c->body_left)
		room = (size_t)c->body_left;
	n = recv(c->fd, w, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, n == 0 ? "EOF in a request body" : strerror(errno));
		return;
	}
	if (!replay)
		msess_body_commit(c->sess, (size_t)n);
	c->body_left -= (size_t)n;
	if (c->body_left > 0)
		conn_body_timer(c);
	else
		conn_body_complete(c);
}

/* Run the state machine over what is buffered; returns when it needs an event. */
static void
conn_advance(struct mconn *c)
{
	for (;;) {
		switch (c->st) {
		case C_HEAD:
			if (c->in.data != NULL && buf_len(&c->in) == 0)
				conn_in_free(c);
			if (c->in.data == NULL) {
				if (c->rd_eof) {
					conn_close(c, "EOF");
					return;
				}
				/* A new connection owes its first request within --read-timeout. */
				if (!c->head_started)
					conn_timer(c, c->served ? MEEKS_KEEPALIVE_TIMEOUT : c->m->read_timeout);
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
	conn_in_free(c);
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
	if (c->st == C_BODY && buf_len(&c->in) == 0) {
		conn_read_body(c);
		return;
	}
	if (c->in.data == NULL && conn_in_alloc(c) == -1) {
		meeks_refuse(c->m, MR_MEMORY);
		conn_close(c, "--max-memory");
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
	c->served = 1;
	conn_timer(c, 0);
	conn_advance(c);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mconn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->st == C_HEAD && c->head_started)
		meeks_refuse(c->m, MR_HEAD_TIMEOUT);
	else if (c->st == C_BODY)
		meeks_refuse(c->m, MR_BODY_TIMEOUT);
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
			conn_body_start(c);
	}
	conn_advance(c);
}

/* The oldest idle keep-alive connection (the list is newest first), or NULL. */
static struct mconn *
conn_idle_victim(struct meeks *m)
{
	struct mconn *c, *v = NULL;

	for (c = m->conns; c != NULL; c = c->next)
		if (!c->admin && c->st == C_HEAD && c->in.data == NULL && !c->head_started)
			v = c;
	return v;
}

void
mconn_accept(struct meeks *m, int fd, const struct sockaddr_storage *peer, socklen_t len,
             int admin)
{
	struct mconn *c;
	socklen_t llen = sizeof(c->local);

	if (admin && m->nadmin >= MEEKS_ADMIN_CONNS_MAX) {
		meeks_refuse(m, MR_CONNS);
		close(fd);
		return;
	}
	if (!admin && m->nconns >= m->max_conns) {
		if ((c = conn_idle_victim(m)) == NULL) {
			m->st.conns_refused++;
			meeks_refuse(m, MR_CONNS);
			close(fd);
			return;
		}
		meeks_refuse(m, MR_IDLE_EVICTED);
		conn_close(c, "idle, for a new connection");
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
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
	if (admin)
		m->nadmin++;
	else
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
