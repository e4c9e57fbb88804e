/* SPDX-License-Identifier: MIT */
/*
 * Egress connections (see conn.h). One struct per client connection,
 * with its watchers embedded; conn_close() is the only way out before
 * the relay starts, conn_relay_done() the only way out after it, and
 * both end in conn_free(). Every callback returns right after either.
 *
 * During the handshake only the client fd is read, into a bounded
 * buffer, and each read runs the stages in conn_advance() until one
 * needs more bytes. Once the CONNECT request is parsed the client is
 * no longer read: whatever it sends meanwhile waits in the kernel, and
 * what we already read past the request is handed to the relay first,
 * so early (pipelined) data keeps its order and is never dropped.
 *
 * The destination phase (resolution, policy, connect attempts) is
 * dial.c's, shared with session streams.
 */
#include "conn.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "events.h"
#include "evsink.h"
#include "base/log.h"
#include "dial.h"
#include "proto/proxyv2.h"
#include "net/relay.h"
#include "sniff.h"
#include "proto/socks5.h"
#include "tt.h"

enum conn_state {
	CONN_SNIFF,    /* what protocol is this? */
	CONN_GREETING, /* SOCKS5 method negotiation */
	CONN_REQUEST,  /* SOCKS5 request */
	CONN_DIAL,     /* destination phase (dial.c) */
	CONN_RELAY,    /* the relay owns both fds */
};

struct conn {
	struct conn *prev, *next;
	struct egress *eg;
	enum conn_state st;
	int fd; /* client; -1 once the relay owns it */
	int trusted, proxied;
	int socks; /* plain SOCKS5 served (no --users, or the listener's ,socks) */
	const struct endpoint *upstream; /* the listener's, for its session carriers */
	ev_io io;       /* client readable, handshake only */
	ev_timer timer; /* handshake deadline */
	struct buf in;  /* handshake bytes, then early data */
	struct sockaddr_storage src;
	char source[NET_ADDRSTR_MAX];
	char dest[SOCKSADDR_STR_MAX];
	int has_source;
	struct conn_slot slot; /* given back in conn_free unless a carrier took it */
	struct dial *dial;
	ev_tstamp t_accept;
	ev_tstamp t_stream; /* 0 until the CONNECT request: no stream, no events */
	struct relay *relay;
};

static void conn_advance(struct conn *c);

/* --- limits ------------------------------------------------------------- */

int
conn_slot_take(struct egress *eg, struct conn_slot *s, const struct sockaddr_storage *peer)
{
	double now = ev_now(eg->loop);

	memset(s, 0, sizeof(*s));
	if (eg->ninbound >= eg->max_conns) {
		limits_refuse(&eg->lim, LIMIT_CONNS, now);
		return -1;
	}
	if (limits_key(peer, &s->key) == 0) {
		if (limits_take(&eg->lim, &s->key) == -1) {
			limits_refuse(&eg->lim, LIMIT_SOURCE, now);
			return -1;
		}
		s->keyed = 1;
	}
	s->held = 1;
	eg->ninbound++;
	return 0;
}

int
conn_slot_rekey(struct egress *eg, struct conn_slot *s, const struct sockaddr_storage *src)
{
	struct limit_key k;

	if (limits_key(src, &k) == -1)
		return 0;
	if (s->keyed && memcmp(&k, &s->key, sizeof(k)) == 0)
		return 0;
	if (limits_take(&eg->lim, &k) == -1) {
		limits_refuse(&eg->lim, LIMIT_SOURCE, ev_now(eg->loop));
		return -1;
	}
	if (s->keyed)
		limits_give(&eg->lim, &s->key);
	s->key = k;
	s->keyed = 1;
	return 0;
}

void
conn_slot_give(struct egress *eg, struct conn_slot *s)
{
	if (s->keyed)
		limits_give(&eg->lim, &s->key);
	if (s->held)
		eg->ninbound--;
	s->keyed = s->held = 0;
}

/* --- lifetime ----------------------------------------------------------- */

static void
conn_free(struct conn *c)
{
	struct egress *eg = c->eg;

	buf_free(&c->in);
	conn_slot_give(eg, &c->slot);
	if (c->prev)
		c->prev->next = c->next;
	else
		eg->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	eg->nconns--;
	free(c);
	if (eg->draining && eg->nconns == 0)
		ev_break(eg->loop, EVBREAK_ALL);
}

static void
conn_event(struct conn *c, const struct events_close *cl)
{
	struct events_stream s;
	char line[EVENTS_LINE_MAX];
	int n;

	if (c->eg->events == NULL || c->t_stream == 0)
		return;
	s.time = ev_now(c->eg->loop);
	s.session = NULL;
	s.user = NULL;
	s.source = c->has_source ? c->source : NULL;
	s.destination = c->dest;
	n = cl ? events_format_close(&s, cl, line, sizeof(line))
	       : events_format_accept(&s, line, sizeof(line));
	if (n > 0)
		evsink_write(c->eg->events, line, (size_t)n);
}

static void
conn_event_close(struct conn *c, uint64_t up, uint64_t down, enum events_result result)
{
	struct events_close cl;

	cl.bytes_up = up;
	cl.bytes_down = down;
	cl.duration = ev_now(c->eg->loop) - c->t_stream;
	cl.result = result;
	conn_event(c, &cl);
}

/* The one close path before the relay exists. */
static void
conn_close(struct conn *c, enum events_result result)
{
	ev_io_stop(c->eg->loop, &c->io);
	ev_timer_stop(c->eg->loop, &c->timer);
	dial_cancel(c->dial);
	if (c->fd != -1)
		close(c->fd);
	conn_event_close(c, 0, 0, result);
	conn_free(c);
}

static int
conn_send(struct conn *c, const uint8_t *p, size_t n)
{
	/* A handful of bytes into a fresh socket: short only if the peer misbehaves. */
	return send(c->fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* Answer a failed request with a SOCKS5 reply code, then close. */
static void
conn_fail(struct conn *c, uint8_t rep, enum events_result result)
{
	uint8_t out[SOCKS5_REPLY_MAX];
	ssize_t n = socks5_encode_reply(rep, NULL, out, sizeof(out));

	log_debug("%s -> %s: %s", c->has_source ? c->source : "unix", c->dest[0] ? c->dest : "-",
	          socks5_reply_str(rep));
	if (n > 0)
		(void)conn_send(c, out, (size_t)n);
	conn_close(c, result);
}

static void
conn_timer(struct conn *c, double after)
{
	ev_timer_stop(c->eg->loop, &c->timer);
	ev_timer_set(&c->timer, after > 0 ? after : 0, 0);
	ev_timer_start(c->eg->loop, &c->timer);
}

/* --- relay phase -------------------------------------------------------- */

static void
conn_relay_done(struct relay *r, const struct relay_stats *st, void *arg)
{
	static const enum events_result results[] = {
		[RELAY_END_DONE] = EVENTS_OK,
		[RELAY_END_ERROR] = EVENTS_ERROR,
		[RELAY_END_IDLE] = EVENTS_TIMEOUT,
		[RELAY_END_ABORT] = EVENTS_ERROR,
	};
	struct conn *c = arg;

	(void)r;
	c->relay = NULL;
	if (st->end == RELAY_END_ERROR)
		log_debug("%s: relay ended: %s", c->dest, strerror(st->err));
	conn_event_close(c, st->a_to_b, st->b_to_a,
	                 (unsigned)st->end < sizeof(results) / sizeof(results[0]) ? results[st->end]
	                                                                         : EVENTS_ERROR);
	conn_free(c);
}

static void
conn_established(struct conn *c, int dfd)
{
	struct relay_opts opts = { 0, c->eg->idle_timeout };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct socksaddr bnd, *bp = NULL;
	uint8_t out[SOCKS5_REPLY_MAX];
	ssize_t n;
	struct relay *r;

	if (getsockname(dfd, (struct sockaddr *)&ss, &len) == 0 &&
	    socksaddr_from_sockaddr(&bnd, (struct sockaddr *)&ss) == 0)
		bp = &bnd;
	n = socks5_encode_reply(SOCKS5_REP_SUCCEEDED, bp, out, sizeof(out));
	if (n <= 0 || conn_send(c, out, (size_t)n) == -1) {
		close(dfd);
		conn_close(c, EVENTS_ERROR);
		return;
	}
	if ((r = relay_new(c->eg->loop, c->fd, dfd, &opts, conn_relay_done, c)) == NULL) {
		log_warnx("%s: out of memory for the relay", c->dest);
		close(dfd);
		conn_close(c, EVENTS_ERROR);
		return;
	}
	c->fd = -1;
	c->relay = r;
	c->st = CONN_RELAY;
	/* Early data fits: CONN_HS_MAX is far below any relay buffer. */
	if (buf_len(&c->in) > 0 &&
	    relay_preload_a_to_b(r, buf_rptr(&c->in), buf_len(&c->in)) == -1) {
		relay_abort(r);
		return;
	}
	buf_free(&c->in);
}

static void
conn_dialled(void *arg, int fd, uint8_t rep, enum events_result result)
{
	struct conn *c = arg;

	c->dial = NULL;
	if (fd == -1)
		conn_fail(c, rep, result);
	else
		conn_established(c, fd);
}

/* A CONNECT request was parsed: from here on this is a stream. */
static void
conn_stream_start(struct conn *c, const struct socksaddr *dst)
{
	struct egress *eg = c->eg;

	ev_io_stop(eg->loop, &c->io);
	ev_timer_stop(eg->loop, &c->timer);
	if (socksaddr_format(dst, c->dest, sizeof(c->dest)) == -1)
		snprintf(c->dest, sizeof(c->dest), "?");
	c->t_stream = ev_now(eg->loop);
	conn_event(c, NULL);
	c->st = CONN_DIAL;
	c->dial = dial_start(eg, dst, c->has_source ? c->source : "unix", conn_dialled, c);
	if (c->dial == NULL)
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE, EVENTS_ERROR);
}

/* --- handshake ---------------------------------------------------------- */

/* A session carrier: tt_carrier() takes the fd and every byte read so far. */
static void
conn_turbo(struct conn *c)
{
	int fd = c->fd;
	struct conn_slot slot = c->slot;
	double left = c->eg->handshake_timeout - (ev_now(c->eg->loop) - c->t_accept);

	ev_io_stop(c->eg->loop, &c->io);
	ev_timer_stop(c->eg->loop, &c->timer);
	c->fd = -1;
	memset(&c->slot, 0, sizeof(c->slot)); /* the carrier holds it now */
	tt_carrier(c->eg, fd, buf_rptr(&c->in), buf_len(&c->in), c->has_source ? c->source : NULL,
	           &slot, left, c->upstream, 0);
	conn_close(c, EVENTS_ERROR);
}

/* Return 1 to run the next stage, 0 to wait for bytes, -1 after closing. */
static int
conn_stage_sniff(struct conn *c)
{
	struct proxyv2 h;
	ssize_t n;

	switch (sniff_classify(buf_rptr(&c->in), buf_len(&c->in))) {
	case SNIFF_MORE:
		return 0;
	case SNIFF_SOCKS5:
		/* With --users, who may go out is a user: plain SOCKS5 names none. */
		if (!c->socks) {
			limits_refuse(&c->eg->lim, LIMIT_SOCKS, ev_now(c->eg->loop));
			break;
		}
		c->st = CONN_GREETING;
		return 1;
	case SNIFF_TURBO:
		conn_turbo(c);
		return -1;
	case SNIFF_PROXYV2:
		if (!c->trusted || c->proxied) {
			log_debug("PROXY header %s: closing",
			          c->proxied ? "repeated" : "from an untrusted listener");
			break;
		}
		if ((n = proxyv2_decode(buf_rptr(&c->in), buf_len(&c->in), &h)) == 0)
			return 0;
		if (n < 0) {
			log_debug("bad PROXY v2 header: closing");
			break;
		}
		buf_consume(&c->in, (size_t)n);
		c->proxied = 1;
		/* LOCAL (health checks) and UNSPEC keep the real peer address. */
		if (!h.local && (h.family == AF_INET || h.family == AF_INET6)) {
			if (conn_slot_rekey(c->eg, &c->slot, &h.src) == -1)
				break;
			c->src = h.src;
			c->has_source = 1;
			net_addr_format((struct sockaddr *)&c->src, c->source, sizeof(c->source));
		}
		return 1;
	default:
		log_debug("unknown protocol: closing");
		break;
	}
	conn_close(c, EVENTS_ERROR);
	return -1;
}

static int
conn_stage_greeting(struct conn *c)
{
	uint8_t out[2];
	ssize_t n;
	int noauth = 0;

	if ((n = socks5_parse_greeting(buf_rptr(&c->in), buf_len(&c->in), &noauth)) == 0)
		return 0;
	if (n < 0) {
		conn_close(c, EVENTS_ERROR);
		return -1;
	}
	buf_consume(&c->in, (size_t)n);
	socks5_encode_method(noauth ? SOCKS5_METHOD_NOAUTH : SOCKS5_METHOD_NONE, out);
	if (conn_send(c, out, sizeof(out)) == -1 || !noauth) {
		conn_close(c, EVENTS_ERROR);
		return -1;
	}
	c->st = CONN_REQUEST;
	return 1;
}

static int
conn_stage_request(struct conn *c)
{
	struct socks5_request req;
	uint8_t rep = SOCKS5_REP_GENERAL_FAILURE;
	ssize_t n;

	if ((n = socks5_parse_request(buf_rptr(&c->in), buf_len(&c->in), &req, &rep)) == 0)
		return 0;
	if (n < 0) {
		conn_fail(c, rep, EVENTS_ERROR);
		return -1;
	}
	buf_consume(&c->in, (size_t)n);
	if (req.cmd != SOCKS5_CMD_CONNECT) {
		conn_fail(c, SOCKS5_REP_CMD_UNSUPPORTED, EVENTS_ERROR);
		return -1;
	}
	conn_stream_start(c, &req.dst);
	return -1;
}

static void
conn_advance(struct conn *c)
{
	int r;

	do {
		switch (c->st) {
		case CONN_SNIFF:
			r = conn_stage_sniff(c);
			break;
		case CONN_GREETING:
			r = conn_stage_greeting(c);
			break;
		case CONN_REQUEST:
			r = conn_stage_request(c);
			break;
		default:
			return;
		}
	} while (r == 1);
}

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, io));
	uint8_t *p;
	size_t room;
	ssize_t n;

	(void)loop;
	(void)revents;
	p = buf_wptr(&c->in, &room);
	if (room == 0) {
		/* Every stage's message fits CONN_HS_MAX: this peer is not speaking it. */
		log_debug("handshake exceeds %d bytes: closing", CONN_HS_MAX);
		conn_close(c, EVENTS_ERROR);
		return;
	}
	n = read(c->fd, p, room);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, EVENTS_ERROR);
		return;
	}
	buf_commit(&c->in, (size_t)n);
	conn_advance(c);
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, timer));

	(void)loop;
	(void)revents;
	log_debug("handshake timeout: closing");
	limits_refuse(&c->eg->lim, LIMIT_HANDSHAKE, ev_now(c->eg->loop));
	conn_close(c, EVENTS_TIMEOUT);
}

/* --- entry points ------------------------------------------------------- */

void
conn_accept(struct egress *eg, int fd, const struct sockaddr_storage *peer, socklen_t len,
            const struct egress_listen *el)
{
	struct conn_slot slot;
	struct conn *c;

	if (conn_slot_take(eg, &slot, peer) == -1) {
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || buf_init(&c->in, CONN_HS_MAX) == -1) {
		log_warnx("out of memory for a connection");
		conn_slot_give(eg, &slot);
		free(c);
		close(fd);
		return;
	}
	c->slot = slot;
	c->t_accept = ev_now(eg->loop);
	c->eg = eg;
	c->fd = fd;
	c->trusted = el->trusted;
	c->socks = el->socks || eg->users_path == NULL;
	c->upstream = el->upstream;
	c->st = CONN_SNIFF;
	if (len <= sizeof(c->src))
		memcpy(&c->src, peer, len);
	if (peer->ss_family == AF_INET || peer->ss_family == AF_INET6) {
		c->has_source = 1;
		net_addr_format((const struct sockaddr *)peer, c->source, sizeof(c->source));
	}
	c->next = eg->conns;
	if (eg->conns)
		eg->conns->prev = c;
	eg->conns = c;
	eg->nconns++;
	ev_io_init(&c->io, conn_read_cb, fd, EV_READ);
	ev_init(&c->timer, conn_timer_cb);
	ev_io_start(eg->loop, &c->io);
	conn_timer(c, eg->handshake_timeout);
}

void
conn_abort_all(struct egress *eg)
{
	struct conn *c, *next;

	for (c = eg->conns; c != NULL; c = next) {
		next = c->next;
		if (c->relay != NULL)
			relay_abort(c->relay);
		else
			conn_close(c, EVENTS_ERROR);
	}
}
