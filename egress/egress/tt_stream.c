/* SPDX-License-Identifier: MIT */
/*
 * tt_stream: one smux stream a client opened on the egress. It owns the
 * destination prefix read from the stream (at most TT_PREFIX_MAX bytes,
 * early data included), the dial, and then a tstream relaying between
 * the stream and the destination's socket. Without --upstream the first
 * byte back is the status (0 or a SOCKS5 reply code); with it, Tor
 * style, there is no prefix and no status. Every stream counts against
 * --max-streams and its session's --max-session-streams, and in the
 * drain like a SOCKS5 connection; a stream that has not sent its
 * destination within --connect-timeout ends. It ends through
 * tt_stream_end only, which emits its close event once.
 */
#include "tt_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "dial.h"
#include "evsink.h"
#include "proto/socks5.h"
#include "tt/tstream.h"

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
	ev.user = s->cl->user[0] != '\0' ? s->cl->user : NULL;
	ev.source = s->cl->has_source ? s->cl->source : NULL;
	ev.destination = s->dest;
	n = cl ? events_format_close(&ev, cl, line, sizeof(line))
	       : events_format_accept(&ev, line, sizeof(line));
	if (n > 0)
		evsink_write(eg->events, line, (size_t)n);
}

/* The one end of a stream; the tunnel stream is closed unless a tstream did it. */
void
tt_stream_end(struct tt_stream *s, uint64_t up, uint64_t down, enum events_result result)
{
	struct tt_client *cl = s->cl;
	struct egress *eg = cl->tt->eg;
	struct events_close ec;

	dial_cancel(s->dial);
	ev_timer_stop(eg->loop, &s->timer);
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
	if (s->keyed)
		limits_give(&eg->lim_streams, &s->key);
	free(s);
	cl->nstreams--;
	eg->nstreams--;
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
	ev_timer_stop(eg->loop, &s->timer);
	s->st = TS_DIAL;
	s->dial = dial_start(eg, &dst, s->cl->has_source ? s->cl->source : s->cl->idhex,
	                     tt_stream_dialled, s);
	if (s->dial == NULL)
		tt_stream_refuse(s, SOCKS5_REP_GENERAL_FAILURE, EVENTS_ERROR);
}

/* A stream that never sent its destination: it ends, counted. */
static void
tt_stream_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tt_stream *s = w->data;

	(void)revents;
	limits_refuse(&s->cl->tt->eg->lim, LIMIT_DESTINATION, ev_now(loop));
	tt_stream_end(s, 0, 0, EVENTS_TIMEOUT);
}

/*
 * --max-streams, --max-session-streams and --max-source-streams: refuse
 * (counted) when one is reached. On success the stream to be made is
 * counted against its session's source (tt_stream_accept keeps the key).
 */
static int
tt_stream_over_limit(struct tt_client *cl)
{
	struct egress *eg = cl->tt->eg;
	enum limit_reason r;

	if (eg->nstreams >= eg->max_streams)
		r = LIMIT_STREAMS;
	else if (cl->nstreams >= eg->max_session_streams)
		r = LIMIT_SESSION_STREAMS;
	else if (cl->keyed && limits_take(&eg->lim_streams, &cl->key) == -1)
		r = LIMIT_SOURCE_STREAMS;
	else
		return 0;
	limits_refuse(&eg->lim, r, ev_now(eg->loop));
	return 1;
}

void
tt_stream_accept(void *arg, uint32_t sid)
{
	struct tt_client *cl = arg;
	struct egress *eg = cl->tt->eg;
	struct tt_stream *s;
	int fd;

	if (eg->draining || tt_stream_over_limit(cl)) {
		tunnel_close(cl->t, sid);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		if (cl->keyed)
			limits_give(&eg->lim_streams, &cl->key);
		tunnel_close(cl->t, sid);
		return;
	}
	s->cl = cl;
	s->sid = sid;
	s->key = cl->key;
	s->keyed = cl->keyed;
	s->next = cl->streams;
	if (cl->streams)
		cl->streams->prev = s;
	cl->streams = s;
	cl->nstreams++;
	eg->nstreams++;
	eg->nconns++;
	ev_timer_init(&s->timer, tt_stream_timeout, eg->connect_timeout, 0);
	s->timer.data = s;
	if (tunnel_set_user(cl->t, sid, s) == -1) {
		tt_stream_end(s, 0, 0, EVENTS_ERROR);
		return;
	}
	if (cl->upstream == NULL) {
		/* The prefix arrives as readable, within the connect timeout. */
		ev_timer_start(eg->loop, &s->timer);
		return;
	}
	/* Tor style: no prefix, no status, one fixed upstream. */
	snprintf(s->dest, sizeof(s->dest), "upstream");
	s->t_start = ev_now(eg->loop);
	tt_stream_event(s, NULL);
	if ((fd = net_connect(cl->upstream)) == -1) {
		tt_stream_end(s, 0, 0, EVENTS_UNREACHABLE);
		return;
	}
	tt_stream_relay(s, fd, 0, 0);
}

void
tt_stream_readable(void *arg, uint32_t sid)
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

void
tt_stream_writable(void *arg, uint32_t sid)
{
	struct tt_client *cl = arg;
	struct tt_stream *s = tunnel_user(cl->t, sid);

	if (s != NULL && s->st == TS_RELAY)
		tstream_writable(s->ts);
}
