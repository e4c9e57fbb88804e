/* SPDX-License-Identifier: MIT */
/*
 * Turbo Tunnel on the egress (see tt.h). Three objects:
 *
 *   tt_carrier  one connection: preamble, then datagrams both ways
 *   tt_client   one ClientID: its tunnel, tick timer and streams
 *   tt_stream   one smux stream: prefix, dial, status byte, relay
 *
 * Each has one end function (tt_carrier_end, tt_client_end via the
 * ClientMap's expire callback, tt_stream_end) and every callback returns
 * right after calling it. Session streams count against --max-conns and
 * in the drain like SOCKS5 connections.
 */
#include "tt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "tt/clientmap.h"
#include "dial.h"
#include "events.h"
#include "base/evtimer.h"
#include "evsink.h"
#include "proto/frame.h"
#include "tt/kcp.h"
#include "base/log.h"
#include "net/net.h"
#include "proto/preamble.h"
#include "proto/socks5.h"
#include "tt/tstream.h"
#include "tt/tunnel.h"

#define TT_SWEEP_INTERVAL 5.0

struct tt_carrier;
struct tt_stream;

struct tt {
	struct egress *eg;
	struct clientmap map;
	ev_timer sweep;
	struct tt_carrier *carriers;
	size_t ncarriers;
};

struct tt_client {
	struct tt *tt;
	struct clientmap_entry *e;
	struct tunnel *t; /* NULL until a datagram with segment 0 */
	ev_timer tick;
	char idhex[CLIENTID_HEX_LEN + 1];
	char source[NET_ADDRSTR_MAX]; /* of the latest carrier */
	int has_source;
	struct tt_stream *streams;
};

struct tt_carrier {
	struct tt *tt;
	struct tt_carrier *prev, *next;
	struct clientmap_entry *e; /* NULL until the preamble is complete */
	int fd;
	ev_io rd, wr;
	uint8_t pre[PREAMBLE_LEN];
	size_t prelen;
	struct frame_reader fr;
	struct buf wbuf;
	char source[NET_ADDRSTR_MAX];
	int has_source;
	uint8_t pkt[PKTQ_PKT_MAX];
	uint8_t rbuf[TT_CARRIER_BUF];
};

enum tt_stream_state { TS_PREFIX, TS_DIAL, TS_RELAY };

struct tt_stream {
	struct tt_client *cl;
	struct tt_stream *prev, *next;
	uint32_t sid;
	enum tt_stream_state st;
	struct dial *dial;
	struct tstream *ts;
	ev_tstamp t_start; /* 0 until the prefix is parsed: no events before */
	char dest[SOCKSADDR_STR_MAX];
	size_t inlen;
	uint8_t in[TT_PREFIX_MAX];
};

static uint64_t
tt_now_ms(const struct tt *tt)
{
	return (uint64_t)(ev_now(tt->eg->loop) * 1000.0);
}

/* --- streams ------------------------------------------------------------- */

static void
tt_stream_event(struct tt_stream *s, const struct events_close *cl)
{
	struct egress *eg = s->cl->tt->eg;
	struct events_stream ev;
	char line[EVENTS_LINE_MAX];
	int n;

	if (eg->events == NULL || s->t_start == 0)
		return;
	ev.time = ev_now(eg->loop);
	ev.session = s->cl->idhex;
	ev.source = s->cl->has_source ? s->cl->source : NULL;
	ev.destination = s->dest;
	n = cl ? events_format_close(&ev, cl, line, sizeof(line))
	       : events_format_accept(&ev, line, sizeof(line));
	if (n > 0)
		evsink_write(eg->events, line, (size_t)n);
}

/* The one end of a stream; the tunnel stream is closed unless a tstream did it. */
static void
tt_stream_end(struct tt_stream *s, uint64_t up, uint64_t down, enum events_result result)
{
	struct tt_client *cl = s->cl;
	struct egress *eg = cl->tt->eg;
	struct events_close ec;

	dial_cancel(s->dial);
	if (s->ts == NULL && cl->t != NULL)
		tunnel_close(cl->t, s->sid);
	ec.bytes_up = up;
	ec.bytes_down = down;
	ec.duration = s->t_start ? ev_now(eg->loop) - s->t_start : 0;
	ec.result = result;
	tt_stream_event(s, &ec);
	if (s->prev)
		s->prev->next = s->next;
	else
		cl->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
	eg->nconns--;
	if (eg->draining && eg->nconns == 0)
		ev_break(eg->loop, EVBREAK_ALL);
}

/* Refuse with a status byte, then end. */
static void
tt_stream_refuse(struct tt_stream *s, uint8_t rep, enum events_result result)
{
	struct tunnel *t = s->cl->t;

	(void)tunnel_write(t, s->sid, &rep, 1);
	(void)tunnel_shutdown(t, s->sid);
	tt_stream_end(s, 0, 0, result);
}

static void
tt_ts_done(struct tstream *ts, const struct tstream_stats *st, void *arg)
{
	static const enum events_result ok_or_err[] = { EVENTS_OK, EVENTS_ERROR };
	struct tt_stream *s = arg;

	(void)ts;
	/* tstream "up" is fd -> stream: destination -> client. */
	tt_stream_end(s, st->down, st->up, ok_or_err[st->aborted || st->err ? 1 : 0]);
}

static void
tt_stream_relay(struct tt_stream *s, int fd, int with_status, size_t early)
{
	static const struct tstream_cb tcb = { NULL, tt_ts_done };
	struct egress *eg = s->cl->tt->eg;
	struct tunnel *t = s->cl->t;
	uint8_t ok = 0;

	if (with_status && tunnel_write(t, s->sid, &ok, 1) != 1) {
		close(fd);
		tt_stream_end(s, 0, 0, EVENTS_ERROR);
		return;
	}
	s->ts = tstream_new(eg->loop, t, s->sid, fd, 0, eg->idle_timeout, &tcb, s);
	if (s->ts == NULL) {
		close(fd);
		tt_stream_refuse(s, SOCKS5_REP_GENERAL_FAILURE, EVENTS_ERROR);
		return;
	}
	s->st = TS_RELAY;
	if (early > 0 && tstream_preload_down(s->ts, s->in + s->inlen - early, early) == -1) {
		tstream_abort(s->ts);
		return;
	}
	tstream_start(s->ts);
}

static void
tt_stream_dialled(void *arg, int fd, uint8_t rep, enum events_result result)
{
	struct tt_stream *s = arg;

	s->dial = NULL;
	if (fd == -1) {
		tt_stream_refuse(s, rep, result);
		return;
	}
	tt_stream_relay(s, fd, 1, s->inlen);
}

/* Read the destination prefix; dial once it is complete. */
static void
tt_stream_prefix(struct tt_stream *s)
{
	struct egress *eg = s->cl->tt->eg;
	struct socksaddr dst;
	ssize_t n, used;

	for (;;) {
		if (s->inlen == sizeof(s->in))
			break;
		n = tunnel_read(s->cl->t, s->sid, s->in + s->inlen, sizeof(s->in) - s->inlen);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			tt_stream_end(s, 0, 0, EVENTS_ERROR);
			return;
		}
		if (n < 0)
			break;
		s->inlen += (size_t)n;
	}
	used = socksaddr_decode(s->in, s->inlen, &dst);
	if (used == 0 && s->inlen < sizeof(s->in))
		return;
	if (used <= 0) {
		log_debug("session %s: bad stream prefix", s->cl->idhex);
		tt_stream_refuse(s, SOCKS5_REP_ATYP_UNSUPPORTED, EVENTS_ERROR);
		return;
	}
	/* Keep only the early data, at the end of in[]. */
	memmove(s->in, s->in + used, s->inlen - (size_t)used);
	s->inlen -= (size_t)used;
	if (socksaddr_format(&dst, s->dest, sizeof(s->dest)) == -1)
		snprintf(s->dest, sizeof(s->dest), "?");
	s->t_start = ev_now(eg->loop);
	tt_stream_event(s, NULL);
	s->st = TS_DIAL;
	s->dial = dial_start(eg, &dst, s->cl->has_source ? s->cl->source : s->cl->idhex,
	                     tt_stream_dialled, s);
	if (s->dial == NULL)
		tt_stream_refuse(s, SOCKS5_REP_GENERAL_FAILURE, EVENTS_ERROR);
}

static void
tt_accept(void *arg, uint32_t sid)
{
	struct tt_client *cl = arg;
	struct egress *eg = cl->tt->eg;
	struct tt_stream *s;
	int fd;

	if (eg->draining || eg->nconns >= eg->max_conns || (s = calloc(1, sizeof(*s))) == NULL) {
		tunnel_close(cl->t, sid);
		return;
	}
	s->cl = cl;
	s->sid = sid;
	s->next = cl->streams;
	if (cl->streams)
		cl->streams->prev = s;
	cl->streams = s;
	eg->nconns++;
	if (tunnel_set_user(cl->t, sid, s) == -1) {
		tt_stream_end(s, 0, 0, EVENTS_ERROR);
		return;
	}
	if (eg->upstream == NULL)
		return; /* the prefix arrives as readable */
	/* Tor style: no prefix, no status, one fixed upstream. */
	snprintf(s->dest, sizeof(s->dest), "upstream");
	s->t_start = ev_now(eg->loop);
	tt_stream_event(s, NULL);
	if ((fd = net_connect(eg->upstream)) == -1) {
		tt_stream_end(s, 0, 0, EVENTS_UNREACHABLE);
		return;
	}
	tt_stream_relay(s, fd, 0, 0);
}

static void
tt_readable(void *arg, uint32_t sid)
{
	struct tt_client *cl = arg;
	struct tt_stream *s = tunnel_user(cl->t, sid);

	if (s == NULL)
		return;
	if (s->st == TS_PREFIX)
		tt_stream_prefix(s);
	else if (s->st == TS_RELAY)
		tstream_readable(s->ts);
}

static void
tt_writable(void *arg, uint32_t sid)
{
	struct tt_client *cl = arg;
	struct tt_stream *s = tunnel_user(cl->t, sid);

	if (s != NULL && s->st == TS_RELAY)
		tstream_writable(s->ts);
}

/* --- clients -------------------------------------------------------------- */

static void tt_carrier_kick(struct tt_carrier *c);

static void
tt_packet(void *arg, const uint8_t *pkt, size_t n)
{
	struct tt_client *cl = arg;

	/* A full queue drops, as Snowflake's does; KCP retransmits. */
	if (pktq_push(&cl->e->sendq, pkt, n) == 0 && cl->e->carrier != NULL)
		tt_carrier_kick(cl->e->carrier);
}

static size_t
tt_room(void *arg)
{
	const struct pktq *q = &((struct tt_client *)arg)->e->sendq;

	return q->cap - pktq_len(q);
}

static void
tt_client_streams_abort(struct tt_client *cl)
{
	struct tt_stream *s;

	while ((s = cl->streams) != NULL) {
		if (s->ts != NULL)
			tstream_abort(s->ts);
		else
			tt_stream_end(s, 0, 0, EVENTS_ERROR);
	}
}

static void
tt_client_session_end(struct tt_client *cl, const char *why)
{
	if (cl->t == NULL)
		return;
	log_info("session %s ended: %s", cl->idhex, why);
	tt_client_streams_abort(cl);
	tunnel_free(cl->t);
	cl->t = NULL;
	ev_timer_stop(cl->tt->eg->loop, &cl->tick);
}

static void
tt_client_update(struct tt_client *cl)
{
	uint64_t now;

	if (cl->t == NULL)
		return;
	if (tunnel_dead(cl->t)) {
		tt_client_session_end(cl, tunnel_error(cl->t));
		return;
	}
	now = tt_now_ms(cl->tt);
	evtimer_at_ms(cl->tt->eg->loop, &cl->tick, now, tunnel_next(cl->t, now), 0);
}

static void
tt_client_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tt_client *cl = w->data;

	(void)loop;
	(void)revents;
	if (cl->t == NULL)
		return;
	tunnel_tick(cl->t, tt_now_ms(cl->tt));
	tt_client_update(cl);
}

/* The tunnel sent outside a tick: re-arm the timer if it is now due sooner. */
static void
tt_wake(void *arg)
{
	struct tt_client *cl = arg;
	uint64_t now;

	if (cl->t == NULL)
		return;
	now = tt_now_ms(cl->tt);
	evtimer_at_ms(cl->tt->eg->loop, &cl->tick, now, tunnel_next(cl->t, now), 1);
}

/* Does this datagram start a session (carry KCP segment 0)? */
static int
tt_starts_session(const uint8_t *p, size_t n, uint32_t *conv)
{
	struct kcp_seghdr h;
	ssize_t r;

	if (kcp_peek_conv(p, n, conv) == -1)
		return 0;
	while (n >= KCP_OVERHEAD && (r = kcp_seg_decode(p, n, &h)) > 0) {
		if (h.cmd == KCP_CMD_PUSH && h.sn == 0)
			return 1;
		if (KCP_OVERHEAD + (size_t)h.len > n)
			break;
		p += KCP_OVERHEAD + h.len;
		n -= KCP_OVERHEAD + h.len;
	}
	return 0;
}

static void
tt_client_input(struct tt_client *cl, const uint8_t *p, size_t n)
{
	static const struct tunnel_cb tcb = { tt_packet, tt_accept, tt_readable, tt_writable,
		                                     tt_wake, tt_room };
	struct tunnel_config cfg = { .fast_resend = 2 };
	uint32_t conv;

	if (cl->t != NULL && tunnel_input(cl->t, p, n, tt_now_ms(cl->tt)) == 0)
		return;
	/* Unknown session, or the client started a new one under the same ClientID. */
	if (!tt_starts_session(p, n, &conv))
		return;
	if (cl->t != NULL) {
		if (conv == tunnel_conv(cl->t))
			return;
		tt_client_session_end(cl, "replaced by a new conversation");
	}
	cl->t = tunnel_new(0, conv, &cfg, &tcb, cl, tt_now_ms(cl->tt));
	if (cl->t == NULL)
		return;
	log_info("session %s: new conversation %08x", cl->idhex, (unsigned)conv);
	(void)tunnel_input(cl->t, p, n, tt_now_ms(cl->tt));
}

/* ClientMap expiry: the client has had no carrier for TT_IDLE_MS. */
static void
tt_client_expire(struct clientmap_entry *e, void *arg)
{
	struct tt_client *cl = e->user;

	(void)arg;
	if (cl == NULL)
		return;
	log_debug("session %s: forgotten", cl->idhex);
	tt_client_session_end(cl, "no carrier");
	free(cl);
	e->user = NULL;
}

static void
tt_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tt *tt = w->data;

	(void)loop;
	(void)revents;
	clientmap_sweep(&tt->map, tt_now_ms(tt));
}

/* --- carriers ------------------------------------------------------------- */

static void
tt_carrier_end(struct tt_carrier *c, const char *why)
{
	struct tt *tt = c->tt;

	if (why)
		log_debug("carrier %s: %s", c->has_source ? c->source : "unix", why);
	ev_io_stop(tt->eg->loop, &c->rd);
	ev_io_stop(tt->eg->loop, &c->wr);
	close(c->fd);
	if (c->e != NULL) {
		clientmap_detach(&tt->map, c->e, c, tt_now_ms(tt));
		/* Draining: nothing can carry this client's streams to their end. */
		if (tt->eg->draining && c->e->ncarriers == 0 && c->e->user != NULL)
			tt_client_streams_abort(c->e->user);
	}
	buf_free(&c->wbuf);
	if (c->prev)
		c->prev->next = c->next;
	else
		tt->carriers = c->next;
	if (c->next)
		c->next->prev = c->prev;
	tt->ncarriers--;
	free(c);
}

/* The client's queue -> encapsulated -> wbuf -> fd. -1 after ending. */
static int
tt_carrier_write(struct tt_carrier *c)
{
	ssize_t w;

	for (;;) {
		/* Only the carrier that most recently delivered takes from the queue. */
		if (c->e != NULL && c->e->carrier == c) {
			struct tt_client *cl = c->e->user;
			size_t before = pktq_len(&c->e->sendq);

			pktq_drain_framed(&c->e->sendq, &c->wbuf);
			if (cl != NULL && cl->t != NULL && pktq_len(&c->e->sendq) < before)
				tunnel_room(cl->t);
		}
		if (buf_len(&c->wbuf) == 0)
			return 0;
		w = send(c->fd, buf_rptr(&c->wbuf), buf_len(&c->wbuf), MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			tt_carrier_end(c, strerror(errno));
			return -1;
		}
		buf_consume(&c->wbuf, (size_t)w);
	}
}

static void
tt_carrier_update(struct tt_carrier *c)
{
	int want = buf_len(&c->wbuf) > 0 ||
	           (c->e != NULL && c->e->carrier == c && pktq_len(&c->e->sendq) > 0);

	if (want && !ev_is_active(&c->wr))
		ev_io_start(c->tt->eg->loop, &c->wr);
	else if (!want && ev_is_active(&c->wr))
		ev_io_stop(c->tt->eg->loop, &c->wr);
}

static void
tt_carrier_kick(struct tt_carrier *c)
{
	if (!ev_is_active(&c->wr))
		ev_io_start(c->tt->eg->loop, &c->wr);
}

static void
tt_carrier_wr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tt_carrier *c = w->data;

	(void)loop;
	(void)revents;
	if (tt_carrier_write(c) == 0)
		tt_carrier_update(c);
}

/* The preamble is complete: find or make the client. -1 after ending. */
static int
tt_carrier_attach(struct tt_carrier *c)
{
	struct tt *tt = c->tt;
	uint8_t id[CLIENTID_LEN];
	struct tt_client *cl;

	if (preamble_decode(c->pre, c->prelen, id) != PREAMBLE_LEN) {
		tt_carrier_end(c, "bad preamble");
		return -1;
	}
	c->e = clientmap_get(&tt->map, id, tt_now_ms(tt), 1);
	if (c->e == NULL) {
		log_warnx("session limit (%zu) reached: refusing a new client", tt->map.max);
		tt_carrier_end(c, NULL);
		return -1;
	}
	if (c->e->user == NULL) {
		if ((cl = calloc(1, sizeof(*cl))) == NULL) {
			clientmap_remove(&tt->map, c->e);
			c->e = NULL;
			tt_carrier_end(c, "out of memory");
			return -1;
		}
		cl->tt = tt;
		cl->e = c->e;
		clientid_hex(id, cl->idhex);
		ev_init(&cl->tick, tt_client_tick);
		cl->tick.data = cl;
		c->e->user = cl;
	}
	cl = c->e->user;
	if (c->has_source) {
		snprintf(cl->source, sizeof(cl->source), "%s", c->source);
		cl->has_source = 1;
	}
	clientmap_attach(&tt->map, c->e, c, tt_now_ms(tt));
	return 0;
}

/* Bytes from the carrier: preamble first, then datagrams. -1 after ending. */
static int
tt_carrier_input(struct tt_carrier *c, const uint8_t *p, size_t n)
{
	struct tt_client *cl;
	size_t take, used, pktlen;
	int r, truncated, any = 0;

	if (c->e == NULL) {
		take = PREAMBLE_LEN - c->prelen < n ? PREAMBLE_LEN - c->prelen : n;
		memcpy(c->pre + c->prelen, p, take);
		c->prelen += take;
		p += take;
		n -= take;
		if (c->prelen < PREAMBLE_LEN)
			return 0;
		if (tt_carrier_attach(c) == -1)
			return -1;
	}
	cl = c->e->user;
	while (n > 0) {
		r = frame_reader_feed(&c->fr, p, n, &used, c->pkt, &pktlen, &truncated);
		p += used;
		n -= used;
		if (r == -1) {
			tt_carrier_end(c, "bad encapsulation");
			return -1;
		}
		if (r == FRAME_READER_PKT) {
			/* Downstream follows the carrier that spoke last. */
			c->e->carrier = c;
			tt_client_input(cl, c->pkt, pktlen);
			any = 1;
		}
	}
	if (any && cl->t != NULL) {
		tunnel_flush(cl->t);
		tt_client_update(cl);
	}
	return 0;
}

static void
tt_carrier_rd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tt_carrier *c = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(c->fd, c->rbuf, sizeof(c->rbuf));
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		tt_carrier_end(c, n == 0 ? "closed" : strerror(errno));
		return;
	}
	if (n > 0 && tt_carrier_input(c, c->rbuf, (size_t)n) == 0)
		tt_carrier_update(c);
}

void
tt_carrier(struct egress *eg, int fd, const uint8_t *p, size_t n, const char *source)
{
	struct tt *tt = eg->tt;
	struct tt_carrier *c;

	if ((c = calloc(1, sizeof(*c))) == NULL || buf_init(&c->wbuf, TT_CARRIER_BUF) == -1) {
		log_warnx("out of memory for a carrier");
		free(c);
		close(fd);
		return;
	}
	c->tt = tt;
	c->fd = fd;
	if (source != NULL) {
		snprintf(c->source, sizeof(c->source), "%s", source);
		c->has_source = 1;
	}
	frame_reader_init(&c->fr, PKTQ_PKT_MAX);
	ev_io_init(&c->rd, tt_carrier_rd_cb, fd, EV_READ);
	ev_io_init(&c->wr, tt_carrier_wr_cb, fd, EV_WRITE);
	c->rd.data = c->wr.data = c;
	c->next = tt->carriers;
	if (tt->carriers)
		tt->carriers->prev = c;
	tt->carriers = c;
	tt->ncarriers++;
	if (n > 0 && tt_carrier_input(c, p, n) == -1)
		return;
	ev_io_start(eg->loop, &c->rd);
	tt_carrier_update(c);
}

/* --- lifetime -------------------------------------------------------------- */

int
tt_init(struct egress *eg)
{
	struct tt *tt = calloc(1, sizeof(*tt));

	if (tt == NULL)
		return -1;
	tt->eg = eg;
	if (clientmap_init(&tt->map, eg->max_sessions ? eg->max_sessions : TT_SESSIONS_MAX_DEFAULT,
	                   TT_QUEUE, TT_IDLE_MS, tt_client_expire, tt) == -1) {
		free(tt);
		return -1;
	}
	ev_timer_init(&tt->sweep, tt_sweep_cb, TT_SWEEP_INTERVAL, TT_SWEEP_INTERVAL);
	tt->sweep.data = tt;
	ev_timer_start(eg->loop, &tt->sweep);
	eg->tt = tt;
	return 0;
}

void
tt_abort_all(struct egress *eg)
{
	struct tt *tt = eg->tt;
	struct clientmap_entry *e;

	if (tt == NULL)
		return;
	for (e = tt->map.head; e != NULL; e = e->next)
		if (e->user != NULL)
			tt_client_streams_abort(e->user);
}

void
tt_drain(struct egress *eg)
{
	struct tt *tt = eg->tt;
	struct clientmap_entry *e, *next;

	if (tt == NULL)
		return;
	for (e = tt->map.head; e != NULL; e = next) {
		next = e->next;
		if (e->ncarriers == 0 && e->user != NULL)
			tt_client_streams_abort(e->user);
	}
}

void
tt_free(struct egress *eg)
{
	struct tt *tt = eg->tt;

	if (tt == NULL)
		return;
	while (tt->carriers)
		tt_carrier_end(tt->carriers, NULL);
	clientmap_free(&tt->map);
	ev_timer_stop(eg->loop, &tt->sweep);
	free(tt);
	eg->tt = NULL;
}
