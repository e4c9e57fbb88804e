/* SPDX-License-Identifier: MIT */
/*
 * The client session and its carriers (see csession.h).
 *
 * Datagrams from the tunnel wait in a bounded packet queue (pktq) while
 * no carrier is up; a full queue drops, which KCP repairs. The carrier
 * stream itself (preamble, encapsulation, bounded buffers, the fd's
 * watchers) is tt/carrier_io: it takes from the queue, hands each
 * datagram to the tunnel, and the session flushes once per read so
 * ACKs leave in one burst. A carrier that fails (EOF, error, child exit)
 * is closed and replaced after a backoff that doubles up to
 * CSESSION_BACKOFF_MAX and resets once a carrier has delivered data.
 */
#include "csession.h"
#include "csecure.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/random.h>

#include "base/evtimer.h"
#include "base/log.h"
#include "net/net.h"
#include "tt/carrier_io.h"
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
	char idhex[CLIENTID_SHOW_LEN + 1];
	struct pktq q;
	ev_timer tick;
	ev_tstamp last_rx;

	/* the carrier */
	enum car_state cst;
	pid_t pid;
	struct carrier_io io;
	ev_child child;
	ev_timer redial;
	double backoff;
	int delivered; /* this carrier brought at least one datagram KCP took */
	ev_tstamp up_at;
	unsigned fails; /* carriers in a row that delivered nothing */

	uint64_t ncarriers_started, nsessions;
	const struct csecure *sec; /* NULL: plaintext sessions */
};

static void cs_carrier_start(struct csession *cs);
static void cs_update(struct csession *cs);

static uint64_t
cs_now_ms(struct csession *cs)
{
	return (uint64_t)(ev_now(cs->loop) * 1000.0);
}

/* --- carrier ------------------------------------------------------------- */

/* The carrier started last (the current one, while one is up). */
static const char *
cs_carrier_spec(const struct csession *cs)
{
	return cs->carriers[(cs->next_carrier + cs->ncarriers - 1) % cs->ncarriers].spec;
}

static void
cs_carrier_stop(struct csession *cs, const char *why)
{
	if (cs->cst == CAR_DOWN)
		return;
	if (why)
		log_info("session %s: carrier %s: %s", cs->idhex, cs_carrier_spec(cs), why);
	carrier_io_close(&cs->io);
	if (cs->pid > 0) {
		ev_child_stop(cs->loop, &cs->child);
		kill(cs->pid, SIGTERM);
		cs->pid = 0;
	}
	cs->cst = CAR_DOWN;
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

/* carrier_io callbacks: return -1 once the carrier is down. */

static struct pktq *
cs_io_queue(void *arg)
{
	return &((struct csession *)arg)->q;
}

static void
cs_io_room(void *arg)
{
	struct csession *cs = arg;

	if (cs->t != NULL)
		tunnel_room(cs->t);
}

static int
cs_io_connected(void *arg)
{
	struct csession *cs = arg;
	int err;

	if (cs->pid == 0 && (err = net_connect_result(cs->io.fd)) != 0) {
		cs_carrier_failed(cs, strerror(err));
		return -1;
	}
	cs->cst = CAR_UP;
	cs->up_at = ev_now(cs->loop);
	/*
	 * The egress sends on this carrier only once a datagram on it passed
	 * the session's checks; after a download's carrier died the client
	 * may owe nothing for seconds, so it speaks first.
	 */
	if (cs->t != NULL)
		tunnel_poke(cs->t);
	return 0;
}

static int
cs_io_packet(void *arg, const uint8_t *pkt, size_t len)
{
	struct csession *cs = arg;

	if (cs->t == NULL)
		return -1;
	/* Only what KCP accepts counts as the egress answering. */
	if (tunnel_input(cs->t, pkt, len, cs_now_ms(cs)) == 0) {
		/* A redialled carrier works: what the dead one lost goes again now. */
		if (!cs->delivered && cs->ncarriers_started > 1 && cs->t != NULL)
			log_debug("session %s: carrier %s works; %u segments in flight resent", cs->idhex,
			          cs_carrier_spec(cs), tunnel_moved(cs->t));
		cs->delivered = 1;
		cs->fails = 0;
		cs->last_rx = ev_now(cs->loop);
	}
	return cs->t == NULL ? -1 : 0;
}

/* Flush once per read, so that ACKs leave in one burst. */
static int
cs_io_read_done(void *arg, int any)
{
	struct csession *cs = arg;

	(void)any;
	if (cs->t == NULL)
		return -1;
	tunnel_flush(cs->t);
	cs_update(cs);
	return cs->cst == CAR_DOWN ? -1 : 0;
}

static void
cs_io_failed(void *arg, const char *why)
{
	cs_carrier_failed(arg, why);
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
	int fd;

	cs->next_carrier = (cs->next_carrier + 1) % cs->ncarriers;
	fd = carrier_open(cs->loop, car, &cs->pid);
	if (fd == -1) {
		log_warn("session %s: carrier %s", cs->idhex, car->spec);
		cs->delivered = 0;
		cs_count_failure(cs);
		cs_schedule_redial(cs);
		return;
	}
	cs->ncarriers_started++;
	cs->delivered = 0;
	cs->cst = CAR_CONNECTING;
	cs->io.k.secure = cs->sec != NULL;
	/* A child's socketpair is writable at once: the same path as a connect. */
	carrier_io_open(&cs->io, fd, CARRIER_CLIENT, cs->id, 1);
	if (cs->pid > 0) {
		ev_child_init(&cs->child, cs_child_cb, cs->pid, 0);
		cs->child.data = cs;
		ev_child_start(cs->loop, &cs->child);
	}
	carrier_io_update(&cs->io);
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
	carrier_io_update(&cs->io);
	now = cs_now_ms(cs);
	evtimer_at_ms(cs->loop, &cs->tick, now, tunnel_next(cs->t, now), 1);
}

static void
cs_session_end(struct csession *cs, const char *why)
{
	struct tunnel *t = cs->t;

	if (t == NULL)
		return;
	if (tunnel_error_is_pin(t))
		log_warnx("session %s: carrier %s refused: %s; the next session starts on the next "
		          "carrier", cs->idhex, cs_carrier_spec(cs), why);
	else
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

/* Bytes written to a child carrier's socket that it has not read yet. */
static int
carrier_unread(int fd)
{
	int n = 0;

	return fd >= 0 && ioctl(fd, SIOCOUTQ, &n) == 0 ? n : 0;
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
	/*
	 * A carrier process that has not yet read what we sent is still
	 * finding its path (a broker, ICE, DTLS: peer-client's take
	 * seconds); it exits by itself if it fails. The silence counts from
	 * when it took our bytes.
	 */
	if (cs->cst == CAR_UP && !cs->delivered && cs->pid > 0 && carrier_unread(cs->io.fd) > 0)
		cs->up_at = now_s;
	if (cs->cst == CAR_UP && !cs->delivered && tunnel_pending(cs->t) > 0 &&
	    now_s - cs->up_at > CSESSION_SILENT_MS / 1000.0) {
		cs_session_end(cs, "the egress does not answer on a new carrier");
		return;
	}
	carrier_io_update(&cs->io);
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
		                              cs_room, NULL };
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
	clientid_show(cs->id, cs->idhex);
	if (cs->sec != NULL) {
		cfg.tls = cs->sec->ctx;
		cfg.pin = cs->carriers[cs->next_carrier].pin; /* the carrier it starts on */
		cfg.user = cs->sec->user;
		cfg.secret = cs->sec->secret;
		cfg.secret_len = cs->sec->slen;
	}
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
             const struct csecure *sec, const struct csession_cb *cb, void *arg)
{
	static const struct carrier_io_cb iocb = {
		.packet = cs_io_packet,
		.read_done = cs_io_read_done,
		.queue = cs_io_queue,
		.room = cs_io_room,
		.connected = cs_io_connected,
		.failed = cs_io_failed,
	};
	struct csession *cs = calloc(1, sizeof(*cs));

	if (cs == NULL || carrier_io_init(&cs->io, loop, CSESSION_CARRIER_BUF, &iocb, cs) == -1) {
		free(cs);
		return NULL;
	}
	cs->loop = loop;
	cs->carriers = carriers;
	cs->ncarriers = ncarriers;
	cs->cb = *cb;
	cs->arg = arg;
	cs->sec = sec;
	pktq_init(&cs->q, CSESSION_QUEUE);
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
	carrier_io_free(&cs->io);
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
