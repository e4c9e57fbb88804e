/* SPDX-License-Identifier: MIT */
/*
 * The meek-client polling engine: one meek session between stdin/stdout
 * and an HTTP/1.1 keep-alive connection (TLS, or plain for tests).
 *
 * Invariants:
 * - at most one request exists (have_req); it is formatted once into
 *   req (head + body) and resent unchanged on every retry, so the server
 *   sees the same X-Meek-Seq and the same bytes;
 * - stdin is read only while the backlog up holds less than
 *   MEEK_BACKLOG_MAX; the next poll starts only once the previous
 *   response body has been written to stdout, so a consumer that stops
 *   reading stops the polling and nothing grows;
 * - the connection has one close path (conn_close) and the watchers'
 *   interest is derived from state in update().
 */
#include "meekc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "base/buf.h"
#include "tls/crypto.h"
#include "base/exitcodes.h"
#include "proto/httpbody.h"
#include "base/log.h"
#include "proto/meek.h"
#include "net/net.h"
#include "base/secret.h"
#include "base/stdio_carrier.h"
#include "tls/tls.h"

enum cstate { C_NONE, C_CONNECTING, C_HANDSHAKE, C_IDLE, C_SENDING, C_RECEIVING };

struct meekc {
	struct ev_loop *loop;
	struct meekc_config *cfg;
	struct tls_ctx *tls;

	/* the HTTP connection */
	int fd;
	enum cstate st;
	struct tls_conn *tc;
	int want_write; /* TLS asked for writability */
	size_t addr;    /* index of the front in use */
	unsigned nreq;  /* requests completed on this connection */
	ev_io sock;

	/* stdin → up → request bodies; response bodies → stdout */
	struct stdio_carrier io;
	int in_eof;
	struct buf up;

	/* the request in flight */
	int have_req;
	uint8_t *req;
	size_t req_cap, req_len, req_sent, req_body;
	uint64_t seq;
	char sid[MEEK_SESSION_ID_HEX + 1];
	int attempt;
	int stale_retried;

	/* the response being read, then written out */
	uint8_t *rsp;
	size_t rsp_cap, rsp_len;
	size_t down_off, down_len;
	struct http_head head;

	unsigned interval_ms;
	int poll_due;
	ev_timer poll_timer, retry_timer, deadline;
	int finished, status;
	uint64_t bytes_up, bytes_down, polls;
};

static void update(struct meekc *m);
static void start_attempt(struct meekc *m);
static void do_send(struct meekc *m);
static void do_recv(struct meekc *m);

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

static void
finish(struct meekc *m, int status)
{
	if (m->finished)
		return;
	m->finished = 1;
	m->status = status;
	ev_break(m->loop, EVBREAK_ALL);
}

static void
conn_close(struct meekc *m)
{
	if (m->fd == -1)
		return;
	ev_io_stop(m->loop, &m->sock);
	tls_conn_free(m->tc); /* sends close_notify when the session is sound */
	m->tc = NULL;
	close(m->fd);
	m->fd = -1;
	m->st = C_NONE;
	m->nreq = 0;
	m->want_write = 0;
}

static void
set_io(struct ev_loop *loop, ev_io *w, int fd, int events)
{
	if (events == 0) {
		ev_io_stop(loop, w);
		return;
	}
	if (ev_is_active(w) && w->fd == fd && (w->events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(loop, w);
	ev_io_set(w, fd, events);
	ev_io_start(loop, w);
}

static int
sock_events(const struct meekc *m)
{
	switch (m->st) {
	case C_NONE:
		return 0;
	case C_CONNECTING:
		return EV_WRITE;
	case C_HANDSHAKE:
		return m->want_write ? EV_WRITE : EV_READ;
	case C_SENDING:
		return m->tc != NULL && !m->want_write ? EV_READ : EV_WRITE;
	case C_RECEIVING:
	case C_IDLE:
		return m->want_write ? EV_WRITE : EV_READ;
	}
	return 0;
}

/*
 * Start the next poll when one is due and nothing holds it back. A poll
 * may complete at once (the answer was already there), so loop.
 */
static void
schedule(struct meekc *m)
{
	for (;;) {
		if (m->finished || m->have_req || m->down_len > 0 ||
		    ev_is_active(&m->retry_timer)) {
			ev_timer_stop(m->loop, &m->poll_timer);
			return;
		}
		if (!m->poll_due && buf_len(&m->up) == 0 && m->interval_ms > 0 && !m->in_eof)
			break;
		ev_timer_stop(m->loop, &m->poll_timer);
		m->poll_due = 0;
		m->req_body = buf_len(&m->up) < m->cfg->max_body ? buf_len(&m->up) : m->cfg->max_body;
		struct meekc_req_params rp = { &m->cfg->url, m->sid, m->seq, m->cfg->max_body,
		                               m->cfg->extra };
		int hl = meekc_format_head(&rp, m->req_body, (char *)m->req, m->req_cap - m->req_body);
		if (hl < 0) {
			log_warnx("request head does not fit");
			finish(m, EX_PW_INTERNAL);
			return;
		}
		memcpy(m->req + hl, buf_rptr(&m->up), m->req_body);
		buf_consume(&m->up, m->req_body);
		m->req_len = (size_t)hl + m->req_body;
		m->have_req = 1;
		m->attempt = 0;
		m->stale_retried = 0;
		start_attempt(m);
	}
	if (!ev_is_active(&m->poll_timer)) {
		ev_timer_set(&m->poll_timer, m->interval_ms / 1000.0, 0);
		ev_timer_start(m->loop, &m->poll_timer);
	}
}

static void
update(struct meekc *m)
{
	schedule(m);
	if (m->finished)
		return;
	stdio_carrier_want(&m->io, !m->in_eof && buf_room(&m->up) > 0, m->down_len > 0);
	if (m->fd != -1)
		set_io(m->loop, &m->sock, m->fd, sock_events(m));
}

/*
 * A poll attempt failed: reconnect and resend the same request after
 * MEEK_RETRY_BACKOFF_MS × attempt, at most MEEK_POLL_RETRIES times.
 */
static void
attempt_failed(struct meekc *m, const char *why)
{
	int reused = m->nreq > 0;

	conn_close(m);
	ev_timer_stop(m->loop, &m->deadline);
	if (!m->have_req) {
		log_debug("connection lost between requests: %s", why);
		return;
	}
	/* A kept-alive connection the server closed as we reused it: not a failure. */
	if (reused && m->rsp_len == 0 && !m->stale_retried) {
		log_info("kept-alive connection closed (%s); resending on a new one", why);
		m->stale_retried = 1;
		start_attempt(m);
		return;
	}
	if (++m->attempt > MEEK_POLL_RETRIES) {
		log_warnx("poll %llu failed %d times, giving up: %s", (unsigned long long)m->seq,
		          m->attempt, why);
		finish(m, EX_PW_TEMP);
		return;
	}
	log_info("poll %llu failed (%s); retry %d in %d ms", (unsigned long long)m->seq, why,
	         m->attempt, MEEK_RETRY_BACKOFF_MS * m->attempt);
	ev_timer_set(&m->retry_timer, MEEK_RETRY_BACKOFF_MS * m->attempt / 1000.0, 0);
	ev_timer_start(m->loop, &m->retry_timer);
}

static void
conn_open(struct meekc *m)
{
	const struct meekc_config *c = m->cfg;
	uint32_t r = 0;
	char a[NET_ADDRSTR_MAX];

	if (c->naddrs > 1 && crypto_random(&r, sizeof(r)) == -1)
		r = 0;
	m->addr = c->naddrs > 1 ? r % c->naddrs : 0;
	m->fd = net_connect_addr((const struct sockaddr *)&c->addrs[m->addr], c->addrlens[m->addr]);
	if (m->fd == -1) {
		net_addr_format((const struct sockaddr *)&c->addrs[m->addr], a, sizeof(a));
		log_debug("connect %s: %s", a, strerror(errno));
		attempt_failed(m, "connect failed");
		return;
	}
	m->st = C_CONNECTING;
	m->nreq = 0;
}

static void
start_attempt(struct meekc *m)
{
	m->req_sent = 0;
	m->rsp_len = 0;
	ev_timer_stop(m->loop, &m->deadline);
	ev_timer_set(&m->deadline, MEEKC_POLL_TIMEOUT_S, 0);
	ev_timer_start(m->loop, &m->deadline);
	m->polls++;
	log_debug("poll %llu: %zu bytes%s", (unsigned long long)m->seq, m->req_body,
	          m->fd == -1 ? ", new connection" : "");
	if (m->fd == -1) {
		conn_open(m);
		return;
	}
	if (m->st == C_IDLE) {
		m->st = C_SENDING;
		do_send(m);
	}
}

/* Plain or TLS I/O with tls_rc results. */
static ssize_t
c_read(struct meekc *m, void *p, size_t n)
{
	ssize_t r;

	if (m->tc != NULL) {
		r = tls_read(m->tc, p, n);
		m->want_write = r == TLS_WANT_WRITE;
		return r;
	}
	r = read(m->fd, p, n);
	if (r > 0)
		return r;
	if (r == 0)
		return TLS_EOF;
	return errno == EAGAIN || errno == EINTR ? TLS_WANT_READ : TLS_ERROR;
}

static ssize_t
c_write(struct meekc *m, const void *p, size_t n)
{
	ssize_t r;

	if (m->tc != NULL) {
		r = tls_write(m->tc, p, n);
		m->want_write = r != TLS_WANT_READ;
		return r;
	}
	r = write(m->fd, p, n);
	if (r >= 0)
		return r;
	return errno == EAGAIN || errno == EINTR ? TLS_WANT_WRITE : TLS_ERROR;
}

static const char *
io_why(const struct meekc *m, ssize_t r, const char *what)
{
	static char why[TLS_ERR_MAX + 64];

	if (r == TLS_EOF)
		snprintf(why, sizeof(why), "%s: connection closed", what);
	else if (m->tc != NULL && tls_error(m->tc)[0] != '\0')
		snprintf(why, sizeof(why), "%s: %s", what, tls_error(m->tc));
	else
		snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	return why;
}

static void
do_send(struct meekc *m)
{
	ssize_t r;

	while (m->req_sent < m->req_len) {
		r = c_write(m, m->req + m->req_sent, m->req_len - m->req_sent);
		if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
			return;
		if (r < 0) {
			attempt_failed(m, io_why(m, r, "send"));
			return;
		}
		m->req_sent += (size_t)r;
	}
	m->st = C_RECEIVING;
	m->want_write = 0;
	do_recv(m);
}

static void
write_down(struct meekc *m)
{
	ssize_t r;

	while (m->down_len > 0) {
		r = write(STDOUT_FILENO, m->rsp + m->down_off, m->down_len);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == EPIPE)
				log_info("stdout closed by the reader");
			else
				log_warn("write to stdout");
			finish(m, errno == EPIPE ? EX_PW_OK : EX_PW_TEMP);
			return;
		}
		m->down_off += (size_t)r;
		m->down_len -= (size_t)r;
		m->bytes_down += (size_t)r;
	}
}

static void
got_response(struct meekc *m, const struct meekc_resp *r, size_t used)
{
	size_t sent = m->req_body;

	ev_timer_stop(m->loop, &m->deadline);
	log_debug("poll %llu: status %d, %zu bytes", (unsigned long long)m->seq, r->status,
	          r->body_len);
	if (r->status == 410) {
		log_info("server closed the session (410)");
		finish(m, EX_PW_OK);
		return;
	}
	if (r->status != 200) {
		log_warnx("server answered %d %s; giving up", r->status, http_reason(r->status));
		finish(m, EX_PW_TEMP);
		return;
	}
	m->down_off = r->body_off;
	m->down_len = r->body_len;
	if (r->chunked)
		(void)http_chunked_decode(m->rsp + r->body_off, r->body_enc, m->rsp + r->body_off,
		                          m->cfg->max_body, &m->down_len);
	m->have_req = 0;
	m->seq++;
	m->bytes_up += sent;
	m->nreq++;
	m->interval_ms = meekc_poll_next(m->interval_ms, sent > 0 || m->down_len > 0);
	if (!r->keep_alive || used != m->rsp_len) {
		if (used != m->rsp_len)
			log_info("%zu stray bytes after a response; reconnecting", m->rsp_len - used);
		conn_close(m);
	} else {
		m->st = C_IDLE;
	}
	if (m->in_eof && buf_len(&m->up) == 0 && sent == 0 && m->down_len == 0) {
		log_info("stdin closed and nothing left to deliver");
		finish(m, EX_PW_OK);
		return;
	}
	write_down(m);
}

static void
do_recv(struct meekc *m)
{
	struct meekc_resp r;
	ssize_t n, f;

	for (;;) {
		if (m->rsp_len == m->rsp_cap) {
			attempt_failed(m, "response larger than the body cap");
			return;
		}
		n = c_read(m, m->rsp + m->rsp_len, m->rsp_cap - m->rsp_len);
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return;
		if (n < 0) {
			attempt_failed(m, io_why(m, n, "receive"));
			return;
		}
		m->rsp_len += (size_t)n;
		f = meekc_resp_frame(m->rsp, m->rsp_len, m->cfg->max_body, &m->head, &r);
		if (f < 0) {
			attempt_failed(m, "malformed or over-cap response");
			return;
		}
		if (f > 0) {
			got_response(m, &r, (size_t)f);
			return;
		}
	}
}

/* Between requests: a kept-alive connection that the server closes. */
static void
do_idle_read(struct meekc *m)
{
	uint8_t b[256];
	ssize_t n;

	for (;;) {
		n = c_read(m, b, sizeof(b));
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			return;
		if (n > 0)
			log_info("unexpected bytes from the server between requests");
		else if (n == TLS_ERROR)
			log_debug("%s", io_why(m, n, "idle connection"));
		conn_close(m);
		return;
	}
}

static void
tls_start(struct meekc *m)
{
	const struct meekc_config *c = m->cfg;
	struct tls_conn_opts o = { 0 };
	char err[TLS_ERR_MAX];

	if (c->nfronts > 0) {
		o.sni = c->fronts[m->addr].sni;
		o.verify_name = c->fronts[m->addr].verify;
	} else {
		/* RFC 6066: SNI carries names, never address literals. */
		o.sni = c->url.host_is_ip ? NULL : c->url.host;
		o.verify_name = c->url.host;
	}
	o.alpn = "http/1.1";
	m->tc = tls_conn_new(m->tls, m->fd, &o, err, sizeof(err));
	if (m->tc == NULL) {
		log_warnx("TLS: %s", err);
		finish(m, EX_PW_TEMP);
		return;
	}
	m->st = C_HANDSHAKE;
}

static void
do_handshake(struct meekc *m)
{
	int r = tls_handshake(m->tc);

	m->want_write = r == TLS_WANT_WRITE;
	if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
		return;
	if (r != TLS_OK) {
		if (tls_error_is_verify(m->tc)) {
			log_warnx("TLS: %s", tls_error(m->tc));
			finish(m, EX_PW_TEMP);
			return;
		}
		attempt_failed(m, io_why(m, r, "TLS"));
		return;
	}
	log_debug("TLS: %s, ALPN %s, %s", tls_version(m->tc), tls_alpn_selected(m->tc),
	          tls_cipher(m->tc));
	m->st = m->have_req ? C_SENDING : C_IDLE;
	if (m->have_req)
		do_send(m);
}

static void
on_sock(struct ev_loop *loop, ev_io *w, int revents)
{
	struct meekc *m = container_of(w, struct meekc, sock);
	int e;

	(void)loop;
	(void)revents;
	switch (m->st) {
	case C_CONNECTING:
		e = net_connect_result(m->fd);
		if (e != 0) {
			errno = e;
			attempt_failed(m, strerror(e));
			break;
		}
		if (m->cfg->url.https) {
			tls_start(m);
			if (m->tc != NULL)
				do_handshake(m);
		} else {
			m->st = m->have_req ? C_SENDING : C_IDLE;
			if (m->have_req)
				do_send(m);
		}
		break;
	case C_HANDSHAKE:
		do_handshake(m);
		break;
	case C_SENDING:
		do_send(m);
		break;
	case C_RECEIVING:
		do_recv(m);
		break;
	case C_IDLE:
		do_idle_read(m);
		break;
	case C_NONE:
		break;
	}
	update(m);
}

static void
on_stdin(void *arg)
{
	struct meekc *m = arg;
	size_t room;
	uint8_t *p = buf_wptr(&m->up, &room);
	ssize_t n;

	n = read(STDIN_FILENO, p, room);
	if (n > 0) {
		buf_commit(&m->up, (size_t)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		if (n < 0)
			log_warn("read stdin");
		log_debug("stdin closed; draining");
		m->in_eof = 1;
	}
	update(m);
}

static void
on_stdout(void *arg)
{
	struct meekc *m = arg;

	write_down(m);
	update(m);
}

static void
on_stdout_gone(void *arg)
{
	struct meekc *m = arg;

	log_info("stdout closed by the reader");
	finish(m, EX_PW_OK);
}

static void
on_poll_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meekc *m = container_of(w, struct meekc, poll_timer);

	(void)loop;
	(void)revents;
	m->poll_due = 1;
	update(m);
}

static void
on_retry_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meekc *m = container_of(w, struct meekc, retry_timer);

	(void)loop;
	(void)revents;
	start_attempt(m);
	update(m);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meekc *m = container_of(w, struct meekc, deadline);

	(void)loop;
	(void)revents;
	attempt_failed(m, "timed out");
	update(m);
}

static void
on_signal(void *arg, int signum)
{
	struct meekc *m = arg;

	log_info("signal %d: closing the session", signum);
	finish(m, EX_PW_OK);
}

static const struct stdio_carrier_cbs stdio_cbs = { on_stdin, on_stdout, on_stdout_gone,
	                                             on_signal };

static int
setup(struct meekc *m, struct meekc_config *cfg)
{
	uint8_t id[MEEK_SESSION_ID_HEX / 2];
	char err[TLS_ERR_MAX];
	size_t i;

	m->cfg = cfg;
	m->fd = -1;
	m->loop = ev_default_loop(EVFLAG_AUTO);
	if (m->loop == NULL) {
		log_warnx("cannot initialise the event loop");
		return EX_PW_INTERNAL;
	}
	if (cfg->url.https && (m->tls = tls_ctx_new(cfg->ca_file, err, sizeof(err))) == NULL) {
		log_warnx("TLS: %s", err);
		return EX_PW_USAGE;
	}
	if (crypto_random(id, sizeof(id)) == -1) {
		log_warnx("no random bytes for the session id");
		return EX_PW_INTERNAL;
	}
	for (i = 0; i < sizeof(id); i++)
		snprintf(m->sid + 2 * i, 3, "%02x", id[i]);
	m->req_cap = MEEKC_REQ_HEAD_MAX + cfg->max_body;
	m->rsp_cap = HTTP_HEAD_MAX + cfg->max_body + MEEKC_CHUNK_SLACK;
	m->req = malloc(m->req_cap);
	m->rsp = malloc(m->rsp_cap);
	if (m->req == NULL || m->rsp == NULL || buf_init(&m->up, MEEK_BACKLOG_MAX) == -1) {
		log_warnx("out of memory");
		return EX_PW_INTERNAL;
	}
	if (stdio_carrier_open(&m->io, m->loop, STDIN_FILENO, STDOUT_FILENO, &stdio_cbs, m) == -1) {
		log_warn("stdin/stdout");
		return EX_PW_USAGE;
	}
	ev_io_init(&m->sock, on_sock, -1, EV_READ);
	ev_timer_init(&m->poll_timer, on_poll_timer, 0, 0);
	ev_timer_init(&m->retry_timer, on_retry_timer, 0, 0);
	ev_timer_init(&m->deadline, on_deadline, 0, 0);
	return EX_PW_OK;
}

static void
teardown(struct meekc *m)
{
	conn_close(m);
	if (m->loop != NULL) {
		stdio_carrier_close(&m->io);
		ev_timer_stop(m->loop, &m->poll_timer);
		ev_timer_stop(m->loop, &m->retry_timer);
		ev_timer_stop(m->loop, &m->deadline);
		ev_loop_destroy(m->loop);
	}
	tls_ctx_free(m->tls);
	if (m->req != NULL)
		secret_wipe(m->req, m->req_cap); /* the head carries X-Meek-Auth */
	free(m->req);
	free(m->rsp);
	buf_free(&m->up);
}

int
meekc_run(struct meekc_config *cfg)
{
	static struct meekc m;
	int rc;

	rc = setup(&m, cfg);
	if (rc == EX_PW_OK) {
		log_info("session %.8s...: bodies up to %llu bytes", m.sid, (unsigned long long)cfg->max_body);
		update(&m);
		if (!m.finished)
			ev_run(m.loop, 0);
		rc = m.status;
		log_info("session ended after %llu polls: %llu bytes up, %llu down",
		         (unsigned long long)m.polls, (unsigned long long)m.bytes_up,
		         (unsigned long long)m.bytes_down);
	}
	teardown(&m);
	return rc;
}
