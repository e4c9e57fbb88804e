/* SPDX-License-Identifier: MIT */
/*
 * Per-connection state machine of socks-client (per-connection mode):
 *
 *   application side: read the SOCKS5 greeting+request or HTTP CONNECT
 *            head (the first byte tells: 0x05 or a letter)
 *   far side, started at accept so that it overlaps the above:
 *     DIAL   open carrier i (connect in progress or child started)
 *     METHOD send the SOCKS5 greeting, read the method choice
 *     READY  wait for the application's request
 *     REPLY  send CONNECT, read the reply
 *   relay    hand both fds to the relay module; the conn is freed
 *
 * A carrier that fails before the far end has replied is replaced by
 * the next -C (nothing of the application's has been sent yet, so the
 * retry is invisible to it). Bytes the application sends early, and
 * bytes the far end sends after its reply, are preloaded into the relay.
 * Reply and handshake messages are a few hundred bytes written to fresh
 * sockets; a short write there is treated as an error, not buffered.
 */
#include "proxy.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/http.h"
#include "base/log.h"
#include "net/net.h"
#include "net/relay.h"
#include "proto/socks5.h"
#include "tt/tstream.h"

/* Application head: SOCKS5 greeting + request, or an HTTP head, plus early data. */
#define CONN_IN_MAX (HTTP_HEAD_MAX + 4096)
#define CONN_FAR_MAX 1024

/* The far side, which runs concurrently with the application's HEAD. */
enum far_state {
	FAR_DIAL,   /* carrier connecting (or child starting) */
	FAR_METHOD, /* greeting sent, waiting for the method choice */
	FAR_READY,  /* no-auth accepted; waiting for the application's request */
	FAR_REPLY,  /* CONNECT sent, waiting for the reply */
	FAR_FAILED, /* every carrier failed; answer once the request is in */
};
enum conn_kind { KIND_UNKNOWN, KIND_SOCKS5, KIND_HTTP };

struct conn {
	struct proxy *px;
	struct conn *next, **prevp;
	int head_done; /* the application's request is parsed */
	int answered;  /* session mode: the application has its reply */
	enum far_state far_st;
	enum conn_kind kind;
	int app_fd;
	int car_fd;
	pid_t pid;
	size_t carrier_idx;
	ev_io app_io;
	ev_io car_io;
	ev_timer timer;
	ev_child child;
	struct relay *relay; /* set once relaying; then the relay owns the fds */
	struct tstream *ts;  /* session mode: set once the stream is open; it owns app_fd */
	struct tunnel *tun;
	int retries;         /* session mode: reopened on a new session after a loss */
	int greeted;         /* SOCKS5 method reply sent */
	size_t head_len; /* bytes of in[] that are the request */
	struct socksaddr dst;
	char peer[NET_ADDRSTR_MAX];
	size_t inlen, farlen;
	uint8_t in[CONN_IN_MAX];
	uint8_t far[CONN_FAR_MAX];
};

static void conn_dial(struct conn *c);
static void conn_session_start(struct conn *c);

static void
conn_arm_timer(struct conn *c, double after)
{
	ev_timer_stop(c->px->loop, &c->timer);
	ev_timer_set(&c->timer, after, 0);
	ev_timer_start(c->px->loop, &c->timer);
}

static void
conn_stop_carrier(struct conn *c)
{
	struct ev_loop *loop = c->px->loop;

	ev_io_stop(loop, &c->car_io);
	if (c->car_fd != -1)
		close(c->car_fd);
	c->car_fd = -1;
	if (c->pid > 0) {
		/* Still ours only while unreaped: the child watcher clears pid. */
		ev_child_stop(loop, &c->child);
		kill(c->pid, SIGTERM);
		c->pid = 0;
	}
	c->farlen = 0;
}

static void
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

/* The one close path before the relay takes over. */
static void
conn_close(struct conn *c, const char *why)
{
	struct ev_loop *loop = c->px->loop;

	if (why)
		log_info("%s: closed: %s", c->peer, why);
	ev_io_stop(loop, &c->app_io);
	ev_timer_stop(loop, &c->timer);
	conn_stop_carrier(c);
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

/* Answer the application: a SOCKS5 reply or an HTTP status line. */
static int
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

static void
conn_fail(struct conn *c, uint8_t rep, const char *why)
{
	(void)conn_answer(c, rep);
	conn_close(c, why);
}

static void
conn_relay_done(struct relay *r, const struct relay_stats *st, void *arg)
{
	struct conn *c = arg;

	(void)r;
	if (st->end == RELAY_END_ERROR)
		errno = st->err, log_debug("%s: relay ended: %s", c->peer, strerror(st->err));
	log_info("%s: done, %llu up, %llu down", c->peer, (unsigned long long)st->a_to_b,
	         (unsigned long long)st->b_to_a);
	if (c->pid > 0) {
		ev_child_stop(c->px->loop, &c->child);
		kill(c->pid, SIGTERM);
	}
	conn_unlink(c);
}

/* Far end said yes: answer the application and start relaying. */
static void
conn_start_relay(struct conn *c, size_t far_used)
{
	struct ev_loop *loop = c->px->loop;
	struct relay_opts ro = { 0, c->px->idle_timeout };
	struct relay *r;

	if (conn_answer(c, SOCKS5_REP_SUCCEEDED) == -1) {
		conn_close(c, "application went away");
		return;
	}
	ev_io_stop(loop, &c->app_io);
	ev_io_stop(loop, &c->car_io);
	ev_timer_stop(loop, &c->timer);
	r = relay_new(loop, c->app_fd, c->car_fd, &ro, conn_relay_done, c);
	if (r == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	/* The relay owns both fds now; keep the child watcher and pid. */
	c->app_fd = c->car_fd = -1;
	c->relay = r;
	if (relay_preload_a_to_b(r, c->in + c->head_len, c->inlen - c->head_len) == -1 ||
	    relay_preload_b_to_a(r, c->far + far_used, c->farlen - far_used) == -1)
		relay_abort(r);
}

static void
conn_next_carrier(struct conn *c, const char *why)
{
	log_info("%s: carrier %s: %s", c->peer, c->px->carriers[c->carrier_idx].spec, why);
	conn_stop_carrier(c);
	c->carrier_idx++;
	conn_dial(c);
}

/*
 * No carrier left. Before the application's request is in there is no
 * one to answer yet; conn_head_done() answers then.
 */
static void
conn_carriers_exhausted(struct conn *c)
{
	c->far_st = FAR_FAILED;
	if (c->head_done)
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "no carrier worked");
}

/* Send the CONNECT request once the far end has accepted no-auth. */
static int
conn_far_request(struct conn *c)
{
	uint8_t out[SOCKS5_REQUEST_MAX];
	ssize_t n;

	n = socks5_encode_request(SOCKS5_CMD_CONNECT, &c->dst, out, sizeof(out));
	if (n < 0 || send(c->car_fd, out, (size_t)n, MSG_NOSIGNAL) != n) {
		conn_next_carrier(c, n < 0 ? "bad destination" : strerror(errno));
		return -1;
	}
	c->far_st = FAR_REPLY;
	return 0;
}

static void
conn_far_read(struct conn *c)
{
	ssize_t n, r;
	uint8_t method, rep;

	n = read(c->car_fd, c->far + c->farlen, sizeof(c->far) - c->farlen);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		conn_next_carrier(c, n == 0 ? "closed before the far end replied" : strerror(errno));
		return;
	}
	if (n == -1)
		return;
	c->farlen += (size_t)n;
	if (c->far_st == FAR_METHOD) {
		r = socks5_parse_method(c->far, c->farlen, &method);
		if (r == 0)
			return;
		if (r < 0 || method != SOCKS5_METHOD_NOAUTH) {
			conn_next_carrier(c, "far end refused no-auth SOCKS5");
			return;
		}
		c->far_st = FAR_READY;
		memmove(c->far, c->far + r, c->farlen - (size_t)r);
		c->farlen -= (size_t)r;
		/*
		 * Not pipelined with the greeting: some servers (microsocks)
		 * read the greeting and drop whatever followed it.
		 */
		if (c->head_done && conn_far_request(c) == -1)
			return;
	}
	if (c->far_st == FAR_READY) {
		/* Nothing may come before we ask. */
		if (c->farlen > 0)
			conn_next_carrier(c, "far end spoke out of turn");
		return;
	}
	r = socks5_parse_reply(c->far, c->farlen, &rep, NULL);
	if (r == 0) {
		if (c->farlen == sizeof(c->far))
			conn_next_carrier(c, "oversized reply");
		return;
	}
	if (r < 0) {
		conn_next_carrier(c, "malformed SOCKS5 reply");
		return;
	}
	if (rep != SOCKS5_REP_SUCCEEDED) {
		char why[96];

		snprintf(why, sizeof(why), "far end: %s", socks5_reply_str(rep));
		conn_fail(c, rep, why);
		return;
	}
	conn_start_relay(c, (size_t)r);
}

static void
conn_car_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	uint8_t out[3];
	int err;

	if (c->far_st == FAR_DIAL && (revents & EV_WRITE)) {
		/* Connected, or the child is up. */
		if (c->pid == 0 && (err = net_connect_result(c->car_fd)) != 0) {
			conn_next_carrier(c, strerror(err));
			return;
		}
		socks5_encode_greeting(out);
		if (send(c->car_fd, out, 3, MSG_NOSIGNAL) != 3) {
			conn_next_carrier(c, strerror(errno));
			return;
		}
		c->far_st = FAR_METHOD;
		ev_io_stop(loop, &c->car_io);
		ev_io_set(&c->car_io, c->car_fd, EV_READ);
		ev_io_start(loop, &c->car_io);
		return;
	}
	if (c->far_st != FAR_DIAL && (revents & EV_READ))
		conn_far_read(c);
}

static void
conn_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct conn *c = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	/* Reaped: never signal this pid again. EOF on the socket drives the rest. */
	c->pid = 0;
	log_debug("%s: carrier exited with status %d", c->peer, w->rstatus);
}

static void
conn_dial(struct conn *c)
{
	struct ev_loop *loop = c->px->loop;
	const struct carrier *car;

	for (; c->carrier_idx < c->px->ncarriers; c->carrier_idx++) {
		car = &c->px->carriers[c->carrier_idx];
		c->car_fd = carrier_open(car, &c->pid);
		if (c->car_fd != -1)
			break;
		log_warn("%s: carrier %s", c->peer, car->spec);
	}
	if (c->car_fd == -1) {
		conn_carriers_exhausted(c);
		return;
	}
	if (c->pid > 0) {
		ev_child_init(&c->child, conn_child_cb, c->pid, 0);
		c->child.data = c;
		ev_child_start(loop, &c->child);
	}
	c->far_st = FAR_DIAL;
	ev_io_init(&c->car_io, conn_car_cb, c->car_fd, EV_WRITE);
	c->car_io.data = c;
	ev_io_start(loop, &c->car_io);
	/* Each carrier gets the full connect timeout once the request is in. */
	if (c->head_done)
		conn_arm_timer(c, c->px->connect_timeout);
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

/* --- session mode ------------------------------------------------------- */

/* The egress's status byte: the application's answer, unless already given. */
static int
conn_ts_status(struct tstream *ts, int status, void *arg)
{
	struct conn *c = arg;

	(void)ts;
	ev_timer_stop(c->px->loop, &c->timer);
	if (c->px->optimistic || c->answered)
		return status == 0 ? 0 : -1;
	c->answered = 1;
	if (status == 0)
		return conn_answer(c, SOCKS5_REP_SUCCEEDED) == 0 ? 0 : -1;
	(void)conn_answer(c, status > 0 ? (uint8_t)status : SOCKS5_REP_GENERAL_FAILURE);
	log_info("%s: far end: %s", c->peer,
	         status > 0 ? socks5_reply_str((uint8_t)status) : "session lost");
	return -1;
}

static void
conn_ts_done(struct tstream *ts, const struct tstream_stats *st, void *arg)
{
	struct conn *c = arg;

	(void)ts;
	log_info("%s: done, %llu up, %llu down%s", c->peer, (unsigned long long)st->up,
	         (unsigned long long)st->down, st->aborted ? " (aborted)" : "");
	ev_timer_stop(c->px->loop, &c->timer);
	conn_unlink(c);
}

/* Open a stream: destination prefix and early data first, then relay. */
static void
conn_session_start(struct conn *c)
{
	static const struct tstream_cb tcb = { conn_ts_status, conn_ts_done };
	struct proxy *px = c->px;
	uint8_t prefix[SOCKSADDR_WIRE_MAX];
	struct tunnel *t;
	struct tstream *ts;
	unsigned flags = TSTREAM_STATUS | (px->optimistic ? TSTREAM_OPTIMISTIC : 0);
	ssize_t n;
	uint32_t sid;

	if ((t = csession_tunnel(px->sess)) == NULL || tunnel_open(t, &sid) == -1) {
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "cannot open a stream");
		return;
	}
	ts = tstream_new(px->loop, t, sid, c->app_fd, flags, px->idle_timeout, &tcb, c);
	if (ts == NULL) {
		tunnel_close(t, sid);
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "out of memory");
		return;
	}
	/* The stream owns the fd now; replies still go out on it before any data. */
	c->ts = ts;
	c->tun = t;
	if (tunnel_set_user(t, sid, c) == -1) {
		tstream_abort(ts);
		return;
	}
	n = socksaddr_encode(&c->dst, prefix, sizeof(prefix));
	if (n < 0 || tstream_preload_up(ts, prefix, (size_t)n) == -1 ||
	    tstream_preload_up(ts, c->in + c->head_len, c->inlen - c->head_len) == -1) {
		tstream_abort(ts);
		return;
	}
	if (px->optimistic) {
		c->answered = 1;
		ev_timer_stop(px->loop, &c->timer);
		if (conn_answer(c, SOCKS5_REP_SUCCEEDED) == -1) {
			tstream_abort(ts);
			return;
		}
	}
	tstream_start(ts);
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
	if (c->px->sess != NULL) {
		conn_session_start(c);
		return;
	}
	if (c->far_st == FAR_READY)
		(void)conn_far_request(c);
	else if (c->far_st == FAR_FAILED)
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, "no carrier worked");
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (!c->head_done)
		conn_close(c, "handshake timeout");
	else if (c->ts == NULL && c->px->sess != NULL) {
		/* A retry after a lost session. */
		conn_arm_timer(c, c->px->connect_timeout);
		conn_session_start(c);
	}
	else if (c->ts != NULL) {
		(void)conn_answer(c, SOCKS5_REP_TTL_EXPIRED);
		c->answered = 1;
		tstream_abort(c->ts);
	}
	else
		conn_fail(c, SOCKS5_REP_TTL_EXPIRED, "far end did not answer in time");
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
		conn_dial(c);
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

/*
 * The session is gone. A stream the egress never answered has had
 * nothing delivered either way but what conn->in still holds (without
 * --optimistic the application is not read before the answer), so it
 * is reopened, once, on the next session; the others fail.
 */
void
proxy_session_lost(void *arg, struct tunnel *t)
{
	struct proxy *px = arg;
	struct conn *c, *next;

	for (c = px->conns; c != NULL; c = next) {
		next = c->next;
		if (c->ts == NULL || c->tun != t)
			continue;
		if (!px->optimistic && !c->answered && c->retries == 0) {
			c->retries++;
			c->app_fd = tstream_release(c->ts);
			c->ts = NULL;
			c->tun = NULL;
			/* From the loop, once the old session is gone. */
			conn_arm_timer(c, 0);
			continue;
		}
		tstream_abort(c->ts);
	}
}

/* Carriers keep failing: answer the streams still waiting instead of making them wait. */
void
proxy_session_stalled(void *arg, struct tunnel *t)
{
	struct proxy *px = arg;
	struct conn *c, *next;

	for (c = px->conns; c != NULL; c = next) {
		next = c->next;
		if (c->ts == NULL || c->tun != t || c->answered)
			continue;
		(void)conn_answer(c, SOCKS5_REP_GENERAL_FAILURE);
		c->answered = 1;
		log_info("%s: no carrier works", c->peer);
		tstream_abort(c->ts);
	}
}

void
proxy_stream_readable(void *arg, struct tunnel *t, uint32_t sid)
{
	struct conn *c = tunnel_user(t, sid);

	(void)arg;
	if (c != NULL && c->ts != NULL)
		tstream_readable(c->ts);
}

void
proxy_stream_writable(void *arg, struct tunnel *t, uint32_t sid)
{
	struct conn *c = tunnel_user(t, sid);

	(void)arg;
	if (c != NULL && c->ts != NULL)
		tstream_writable(c->ts);
}
