/* SPDX-License-Identifier: MIT */
/*
 * The client session and its carriers (see csession.h).
 *
 * Datagrams from the tunnel wait in a bounded packet queue (pktq) while
 * no carrier is up; a full queue drops, which KCP repairs. The carrier
 * writer moves queued datagrams, encapsulated (frame.h), into a bounded
 * write buffer behind the preamble. The reader feeds the frame reader
 * and hands each datagram to the tunnel, then flushes once per read so
 * ACKs leave in one burst. A carrier that fails (EOF, error, child exit)
 * is closed and replaced after a backoff that doubles up to
 * CSESSION_BACKOFF_MAX and resets once a carrier has delivered data.
 */
#include "csession.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/evtimer.h"
#include "proto/frame.h"
#include "base/log.h"
#include "net/net.h"
#include "tt/pktq.h"
#include "proto/preamble.h"

enum car_state { CAR_DOWN, CAR_CONNECTING, CAR_UP };

struct csession {
	struct ev_loop *loop;
	const struct carrier *carriers;
	size_t ncarriers, next_carrier;
	struct csession_cb cb;
	void *arg;

	/* the session */
	struct tunnel *t;
	uint8_t id[CLIENTID_LEN];
	char idhex[CLIENTID_HEX_LEN + 1];
	struct pktq q;
	ev_timer tick;
	ev_tstamp last_rx;

	/* the carrier */
	enum car_state cst;
	int fd;
	pid_t pid;
	ev_io rd, wr;
	ev_child child;
	ev_timer redial;
	double backoff;
	int delivered; /* this carrier brought at least one datagram KCP took */
	ev_tstamp up_at;
	unsigned fails; /* carriers in a row that delivered nothing */
	struct buf wbuf;
	struct frame_reader fr;
	uint8_t pkt[PKTQ_PKT_MAX];
	uint8_t rbuf[CSESSION_CARRIER_BUF];

	uint64_t ncarriers_started, nsessions;
};

static void cs_carrier_start(struct csession *cs);
static void cs_update(struct csession *cs);

static uint64_t
cs_now_ms(struct csession *cs)
{
	return (uint64_t)(ev_now(cs->loop) * 1000.0);
}

/* --- carrier ------------------------------------------------------------- */

static void
cs_carrier_stop(struct csession *cs, const char *why)
{
	if (cs->cst == CAR_DOWN)
		return;
	if (why)
		log_info("session %s: carrier %s: %s", cs->idhex,
		         cs->carriers[(cs->next_carrier + cs->ncarriers - 1) % cs->ncarriers].spec, why);
	ev_io_stop(cs->loop, &cs->rd);
	ev_io_stop(cs->loop, &cs->wr);
	close(cs->fd);
	cs->fd = -1;
	if (cs->pid > 0) {
		ev_child_stop(cs->loop, &cs->child);
		kill(cs->pid, SIGTERM);
		cs->pid = 0;
	}
	cs->cst = CAR_DOWN;
	buf_reset(&cs->wbuf);
}

/* Try again later, with the next -C. */
static void
cs_schedule_redial(struct csession *cs)
{
	if (cs->t == NULL)
		return;
	if (cs->delivered)
		cs->backoff = CSESSION_BACKOFF_MIN;
	ev_timer_set(&cs->redial, cs->backoff, 0);
	ev_timer_start(cs->loop, &cs->redial);
	cs->backoff *= 2;
	if (cs->backoff > CSESSION_BACKOFF_MAX)
		cs->backoff = CSESSION_BACKOFF_MAX;
}

/* A carrier that could not start, or died having brought nothing. */
static void
cs_count_failure(struct csession *cs)
{
	if (cs->t != NULL && !cs->delivered && ++cs->fails >= CSESSION_FAILS_MAX)
		cs->cb.stalled(cs->arg, cs->t);
}

static void
cs_carrier_failed(struct csession *cs, const char *why)
{
	cs_carrier_stop(cs, why);
	cs_count_failure(cs);
	cs_schedule_redial(cs);
}

/* Queued datagrams -> encapsulated -> wbuf -> carrier. 0, or -1 after a failure. */
static int
cs_carrier_write(struct csession *cs)
{
	ssize_t w;

	for (;;) {
		size_t before = pktq_len(&cs->q);

		pktq_drain_framed(&cs->q, &cs->wbuf);
		if (cs->t != NULL && pktq_len(&cs->q) < before)
			tunnel_room(cs->t);
		if (buf_len(&cs->wbuf) == 0)
			return 0;
		w = send(cs->fd, buf_rptr(&cs->wbuf), buf_len(&cs->wbuf), MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			cs_carrier_failed(cs, strerror(errno));
			return -1;
		}
		buf_consume(&cs->wbuf, (size_t)w);
	}
}

static void
cs_update_carrier(struct csession *cs)
{
	int want_wr;

	if (cs->cst == CAR_DOWN)
		return;
	want_wr = cs->cst == CAR_CONNECTING || buf_len(&cs->wbuf) > 0 || pktq_len(&cs->q) > 0;
	if (want_wr && !ev_is_active(&cs->wr))
		ev_io_start(cs->loop, &cs->wr);
	else if (!want_wr && ev_is_active(&cs->wr))
		ev_io_stop(cs->loop, &cs->wr);
}

static void
cs_wr_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct csession *cs = w->data;
	int err;

	(void)loop;
	(void)revents;
	if (cs->cst == CAR_CONNECTING) {
		if (cs->pid == 0 && (err = net_connect_result(cs->fd)) != 0) {
			cs_carrier_failed(cs, strerror(err));
			return;
		}
		cs->cst = CAR_UP;
		cs->up_at = ev_now(cs->loop);
		ev_io_start(cs->loop, &cs->rd);
	}
	if (cs_carrier_write(cs) == -1)
		return;
	cs_update_carrier(cs);
}

static void
cs_rd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct csession *cs = w->data;
	size_t off = 0, used, pktlen;
	int truncated, r;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(cs->fd, cs->rbuf, sizeof(cs->rbuf));
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		cs_carrier_failed(cs, n == 0 ? "closed" : strerror(errno));
		return;
	}
	if (n == -1)
		return;
	while (off < (size_t)n && cs->t != NULL) {
		r = frame_reader_feed(&cs->fr, cs->rbuf + off, (size_t)n - off, &used, cs->pkt,
		                      &pktlen, &truncated);
		off += used;
		if (r == -1) {
			cs_carrier_failed(cs, "bad encapsulation from the egress");
			return;
		}
		/* Only what KCP accepts counts as the egress answering. */
		if (r == FRAME_READER_PKT && tunnel_input(cs->t, cs->pkt, pktlen, cs_now_ms(cs)) == 0) {
			cs->delivered = 1;
			cs->fails = 0;
			cs->last_rx = ev_now(cs->loop);
		}
	}
	if (cs->t != NULL) {
		tunnel_flush(cs->t);
		cs_update(cs);
	}
}

static void
cs_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct csession *cs = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	cs->pid = 0; /* reaped: never signal it again; EOF on the socket does the rest */
}

static void
cs_carrier_start(struct csession *cs)
{
	const struct carrier *car = &cs->carriers[cs->next_carrier];
	uint8_t pre[PREAMBLE_LEN];

	cs->next_carrier = (cs->next_carrier + 1) % cs->ncarriers;
	cs->fd = carrier_open(car, &cs->pid);
	if (cs->fd == -1) {
		log_warn("session %s: carrier %s", cs->idhex, car->spec);
		cs->delivered = 0;
		cs_count_failure(cs);
		cs_schedule_redial(cs);
		return;
	}
	cs->ncarriers_started++;
	cs->delivered = 0;
	cs->cst = CAR_CONNECTING;
	frame_reader_init(&cs->fr, PKTQ_PKT_MAX);
	buf_reset(&cs->wbuf);
	preamble_encode(cs->id, pre);
	(void)buf_append(&cs->wbuf, pre, sizeof(pre));
	if (cs->pid > 0) {
		ev_child_init(&cs->child, cs_child_cb, cs->pid, 0);
		cs->child.data = cs;
		ev_child_start(cs->loop, &cs->child);
	}
	ev_io_set(&cs->rd, cs->fd, EV_READ);
	ev_io_set(&cs->wr, cs->fd, EV_WRITE);
	ev_io_start(cs->loop, &cs->wr);
	log_debug("session %s: carrier %s started", cs->idhex, car->spec);
}

static void
cs_redial_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct csession *cs = w->data;

	(void)loop;
	(void)revents;
	if (cs->t != NULL && cs->cst == CAR_DOWN)
		cs_carrier_start(cs);
}

/* --- session --------------------------------------------------------------- */

static void
cs_packet(void *arg, const uint8_t *pkt, size_t n)
{
	struct csession *cs = arg;

	/* Full: drop, as a datagram network would; KCP retransmits. */
	(void)pktq_push(&cs->q, pkt, n);
}

static size_t
cs_room(void *arg)
{
	const struct pktq *q = &((struct csession *)arg)->q;

	return q->cap - pktq_len(q);
}

static void
cs_readable(void *arg, uint32_t sid)
{
	struct csession *cs = arg;

	cs->cb.readable(cs->arg, cs->t, sid);
}

static void
cs_writable(void *arg, uint32_t sid)
{
	struct csession *cs = arg;

	cs->cb.writable(cs->arg, cs->t, sid);
}

/* The tunnel sent outside a tick: re-arm the timer if it is now due sooner. */
static void
cs_wake(void *arg)
{
	struct csession *cs = arg;
	uint64_t now;

	if (cs->t == NULL)
		return;
	cs_update_carrier(cs);
	now = cs_now_ms(cs);
	evtimer_at_ms(cs->loop, &cs->tick, now, tunnel_next(cs->t, now), 1);
}

static void
cs_session_end(struct csession *cs, const char *why)
{
	struct tunnel *t = cs->t;

	if (t == NULL)
		return;
	log_warnx("session %s lost: %s", cs->idhex, why);
	cs->cb.lost(cs->arg, t);
	cs->t = NULL;
	tunnel_free(t);
	ev_timer_stop(cs->loop, &cs->tick);
	ev_timer_stop(cs->loop, &cs->redial);
	cs_carrier_stop(cs, NULL);
	pktq_free(&cs->q);
	pktq_init(&cs->q, CSESSION_QUEUE);
}

/* After any activity: session health, carrier interest, next tick. */
static void
cs_update(struct csession *cs)
{
	uint64_t now = cs_now_ms(cs), next;
	ev_tstamp now_s = ev_now(cs->loop);

	if (cs->t == NULL)
		return;
	if (tunnel_dead(cs->t)) {
		cs_session_end(cs, tunnel_error(cs->t));
		return;
	}
	/*
	 * Silence while we wait on the egress: it no longer knows us (it
	 * restarted), or this is not an egress. A new carrier that brings
	 * nothing back while KCP has data out is the quick sign of it.
	 */
	if (cs->cst == CAR_UP && tunnel_nstreams(cs->t) > 0 &&
	    now_s - cs->last_rx > CSESSION_LOST_MS / 1000.0) {
		cs_session_end(cs, "no answer from the egress");
		return;
	}
	if (cs->cst == CAR_UP && !cs->delivered && tunnel_pending(cs->t) > 0 &&
	    now_s - cs->up_at > CSESSION_SILENT_MS / 1000.0) {
		cs_session_end(cs, "the egress does not answer on a new carrier");
		return;
	}
	cs_update_carrier(cs);
	next = tunnel_next(cs->t, now);
	/* While a new carrier has not answered, look again soon. */
	if (cs->cst == CAR_UP && !cs->delivered && next > now + 500)
		next = now + 500;
	evtimer_at_ms(cs->loop, &cs->tick, now, next, 0);
}

static void
cs_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct csession *cs = w->data;

	(void)loop;
	(void)revents;
	if (cs->t == NULL)
		return;
	tunnel_tick(cs->t, cs_now_ms(cs));
	cs_update(cs);
}

struct tunnel *
csession_tunnel(struct csession *cs)
{
	static const struct tunnel_cb tcb = { cs_packet, NULL, cs_readable, cs_writable, cs_wake,
		                              cs_room };
	struct tunnel_config cfg = { .fast_resend = 2 };
	uint32_t conv;

	if (cs->t != NULL) {
		/*
		 * Carriers keep failing: try one now, from the loop, so that the
		 * stream the caller is about to open is there to be answered if
		 * this one fails too (a carrier can fail before we return).
		 */
		if (csession_stalled(cs) && cs->cst == CAR_DOWN) {
			ev_timer_stop(cs->loop, &cs->redial);
			ev_timer_set(&cs->redial, 0, 0);
			ev_timer_start(cs->loop, &cs->redial);
		}
		return cs->t;
	}
	if (clientid_random(cs->id) == -1 ||
	    getrandom(&conv, sizeof(conv), 0) != (ssize_t)sizeof(conv))
		return NULL;
	clientid_hex(cs->id, cs->idhex);
	cs->t = tunnel_new(1, conv, &cfg, &tcb, cs, cs_now_ms(cs));
	if (cs->t == NULL)
		return NULL;
	cs->nsessions++;
	cs->fails = 0;
	cs->last_rx = ev_now(cs->loop);
	cs->backoff = CSESSION_BACKOFF_MIN;
	log_info("session %s started", cs->idhex);
	cs_carrier_start(cs);
	cs_update(cs);
	return cs->t;
}

struct csession *
csession_new(struct ev_loop *loop, const struct carrier *carriers, size_t ncarriers,
             const struct csession_cb *cb, void *arg)
{
	struct csession *cs = calloc(1, sizeof(*cs));

	if (cs == NULL || buf_init(&cs->wbuf, CSESSION_CARRIER_BUF) == -1) {
		free(cs);
		return NULL;
	}
	cs->loop = loop;
	cs->carriers = carriers;
	cs->ncarriers = ncarriers;
	cs->cb = *cb;
	cs->arg = arg;
	cs->fd = -1;
	pktq_init(&cs->q, CSESSION_QUEUE);
	ev_init(&cs->rd, cs_rd_cb);
	ev_init(&cs->wr, cs_wr_cb);
	cs->rd.data = cs->wr.data = cs;
	ev_init(&cs->tick, cs_tick_cb);
	cs->tick.data = cs;
	ev_init(&cs->redial, cs_redial_cb);
	cs->redial.data = cs;
	return cs;
}

void
csession_free(struct csession *cs)
{
	if (cs == NULL)
		return;
	if (cs->t != NULL) {
		cs->cb.lost(cs->arg, cs->t);
		tunnel_free(cs->t);
		cs->t = NULL;
	}
	ev_timer_stop(cs->loop, &cs->tick);
	ev_timer_stop(cs->loop, &cs->redial);
	cs_carrier_stop(cs, NULL);
	pktq_free(&cs->q);
	buf_free(&cs->wbuf);
	free(cs);
}

int
csession_stalled(const struct csession *cs)
{
	return cs->t != NULL && cs->fails >= CSESSION_FAILS_MAX;
}

void
csession_counts(const struct csession *cs, uint64_t *carriers, uint64_t *sessions)
{
	*carriers = cs->ncarriers_started;
	*sessions = cs->nsessions;
}
