/* SPDX-License-Identifier: MIT */
/*
 * meek sessions: one per X-Session-Id, each a byte pipe to the upstream
 * endpoint (lantern-box meek-v1 and classic Tor meek semantics).
 *
 * A session serves one request at a time (the "active" one); others for
 * the same id wait in a short FIFO (MEEKS_WAITERS_MAX), so bytes of two
 * requests never interleave. The active request's body is held
 * tentatively at the end of the upstream buffer and committed only when
 * it is complete: a request cut off mid-body writes nothing upstream, so
 * the client's retry (same X-Meek-Seq, same body) does not duplicate
 * bytes. Once a seq's body is committed, that seq is never written again:
 * a repeat replays the stored answer, or computes it if the first
 * attempt died before its answer existed.
 *
 * Buffers are bounded and allocated only while they hold bytes, so an
 * idle session costs its struct and its upstream socket:
 *   upstream (pending writes + the active body) <= MEEKS_UP_FACTOR x --max-body
 *   downstream (read, not yet answered)         <= MEEKS_DOWN_FACTOR x --max-body
 * A full downstream stops reading the upstream (backpressure); a full
 * upstream stops reading the request body, which delays the answer.
 *
 * Lifetime: msess_close() is the one way out; a dial failure answers 502,
 * an upstream that closed answers 410 once drained, and both drop the
 * session; a session without requests for --idle-timeout is reaped.
 * A request for an id that no longer exists creates a new session with
 * a new upstream connection, as lantern-box does.
 *
 * The upstream is dialled only when a session's first non-empty body is
 * complete (SS_NEW until then): an upstream connection costs a slot at
 * the far end (egress counts it against its --max-conns until its
 * handshake timeout), so it is given only to a client that has sent
 * something to carry. A session that loses its first request before
 * that leaves nothing behind. New sessions are limited per client
 * address (meek_limit.c) and the address is given back when they close.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/evio.h"
#include "base/hash.h"
#include "base/log.h"
#include "meek_sess.h"
#include "meeks.h"
#include "proto/proxyv2.h"

static void sess_answer(struct msess *s);
static void sess_ready(struct msess *s);

/* --- buffers ------------------------------------------------------------ */

static size_t
sess_up_limit(const struct meeks *m)
{
	return MEEKS_UP_FACTOR * m->cfg.max_body + PROXYV2_ENCODED_MAX;
}

/* A pipelined session also keeps the answers a retry may ask for again. */
size_t
msess_down_limit(const struct msess *s)
{
	const struct meeks *m = s->m;

	return (MEEKS_DOWN_FACTOR + (s->pipe != NULL ? m->pipe_window : 0)) * m->cfg.max_body;
}

/* --- table -------------------------------------------------------------- */

static size_t
sess_hash(const struct meeks *m, const char *id, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ m->hkey;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)id[i]) * 0x100000001b3ULL;
	return (size_t)(hash_mix64(h) & (m->nbuckets - 1));
}

static void
on_reap(struct ev_loop *loop, ev_timer *w, int revents);

int
msess_init(struct meeks *m)
{
	double tick;

	m->nbuckets = 64;
	while (m->nbuckets < m->max_sessions && m->nbuckets < (1u << 20))
		m->nbuckets *= 2;
	if ((m->buckets = calloc(m->nbuckets, sizeof(*m->buckets))) == NULL)
		return -1;
	if (getrandom(&m->hkey, sizeof(m->hkey), 0) != sizeof(m->hkey))
		m->hkey = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	/* Above --max-sessions: an address holding sessions is never forgotten. */
	if (mlimit_init(&m->limit, m->max_sessions + MLIMIT_TABLE_MIN, m->session_rate,
	                m->session_burst, m->max_sessions_per_addr, m->hkey ^ 0x5bd1e995) == -1)
		return -1;
	tick = m->idle_timeout / 2;
	tick = tick < 0.1 ? 0.1 : tick > 30 ? 30 : tick;
	ev_timer_init(&m->reaper, on_reap, tick, tick);
	m->reaper.data = m;
	ev_timer_start(m->loop, &m->reaper);
	return 0;
}

struct msess *
msess_find(struct meeks *m, const char *id, size_t len)
{
	struct msess *s;

	for (s = m->buckets[sess_hash(m, id, len)]; s != NULL; s = s->hnext)
		if (s->idlen == len && memcmp(s->id, id, len) == 0)
			return s;
	return NULL;
}

void
msess_close(struct msess *s, const char *why)
{
	struct meeks *m = s->m;
	struct msess **pp = &m->buckets[sess_hash(m, s->id, s->idlen)];
	struct mconn *w, *next;

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	if (s->prev)
		s->prev->next = s->next;
	else
		m->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	m->nsessions--;
	m->st.sessions_closed++;
	log_debug("session %.8s…: closed (%s)", s->id, why);
	ev_io_stop(m->loop, &s->rd);
	ev_io_stop(m->loop, &s->wr);
	ev_timer_stop(m->loop, &s->timer);
	if (s->fd != -1)
		close(s->fd);
	if (s->req != NULL)
		mconn_set_sess(s->req, NULL);
	/* Queued requests start over: they will find no session and make one. */
	for (w = s->wait_head; w != NULL; w = next) {
		next = mconn_next_waiter(w);
		mconn_set_next_waiter(w, NULL);
		mconn_set_sess(w, NULL);
		mconn_kick(w);
	}
	mpipe_free(s);
	mlimit_close(&m->limit, &s->src);
	buf_free(&s->up);
	buf_free(&s->down);
	free(s->last);
	free(s);
}

void
msess_free_all(struct meeks *m)
{
	ev_timer_stop(m->loop, &m->reaper);
	while (m->sessions != NULL)
		msess_close(m->sessions, "shutdown");
	free(m->buckets);
	m->buckets = NULL;
	mlimit_free(&m->limit);
}

static void
on_reap(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meeks *m = w->data;
	struct msess *s, *next;
	ev_tstamp now = ev_now(loop);

	(void)revents;
	for (s = m->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->req == NULL && s->wait_head == NULL && !mpipe_busy(s) &&
		    now - s->active >= m->idle_timeout) {
			m->st.sessions_reaped++;
			msess_close(s, "idle");
		}
	}
}

/* --- upstream ----------------------------------------------------------- */

static void
sess_gone(struct msess *s, enum msess_state st, const char *why)
{
	struct meeks *m = s->m;

	log_debug("session %.8s…: upstream %s", s->id, why);
	ev_io_stop(m->loop, &s->rd);
	ev_io_stop(m->loop, &s->wr);
	if (s->st == SS_DIAL)
		ev_timer_stop(m->loop, &s->timer);
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->st = st;
	/* Nothing more can be written: drop what waited, keep the body slot. */
	buf_consume(&s->up, buf_len(&s->up) - s->tent);
	if (s->pipe != NULL)
		mpipe_pump(s);
	else if (s->ready)
		sess_answer(s);
}

void
msess_update(struct msess *s)
{
	struct meeks *m = s->m;
	int rd = 0, wr = 0;

	if (s->wdead) /* nowhere to go, as after sess_gone */
		buf_consume(&s->up, buf_len(&s->up) - s->tent);
	if (s->fd != -1) {
		rd = s->st == SS_OPEN && buf_len(&s->down) < msess_down_limit(s);
		wr = s->st == SS_DIAL || (s->st == SS_OPEN && buf_len(&s->up) > s->tent);
	}
	evio_want(m->loop, &s->rd, rd);
	evio_want(m->loop, &s->wr, wr);
}

static void
on_up_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct msess *s = w->data;
	size_t room;
	uint8_t *p = buf_reserve(&s->down, MEEKS_UP_READ, msess_down_limit(s), &room);
	ssize_t n;

	(void)loop;
	(void)revents;
	if (room == 0) {
		buf_shrink(&s->down);
		msess_update(s);
		return;
	}
	n = read(s->fd, p, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		sess_gone(s, SS_EOF, n == 0 ? "closed" : strerror(errno));
		return;
	}
	buf_commit(&s->down, (size_t)n);
	msess_update(s);
	if (s->pipe != NULL)
		mpipe_pump(s);
	else if (s->ready)
		sess_answer(s);
}

static void
on_up_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct msess *s = w->data;
	ssize_t n;
	int err;

	(void)loop;
	(void)revents;
	if (s->st == SS_DIAL) {
		if ((err = net_connect_result(s->fd)) != 0) {
			errno = err;
			log_warn("session %.8s…: upstream connect", s->id);
			sess_gone(s, SS_FAILED, "unreachable");
			return;
		}
		ev_timer_stop(s->m->loop, &s->timer);
		s->st = SS_OPEN;
		log_debug("session %.8s…: upstream connected", s->id);
		if (s->pipe != NULL)
			mpipe_pump(s);
		else if (s->ready) {
			sess_ready(s);
			return;
		}
	}
	if (buf_len(&s->up) > s->tent) {
		n = send(s->fd, buf_rptr(&s->up), buf_len(&s->up) - s->tent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			/*
			 * An upstream that answers and closes (EPIPE, ECONNRESET)
			 * may have sent its answer before our write: it is read
			 * to the end, and only then is the session gone.
			 */
			log_debug("session %.8s…: upstream write: %s", s->id, strerror(errno));
			s->wdead = 1;
			msess_update(s);
			return;
		}
		buf_consume(&s->up, (size_t)n);
		buf_shrink(&s->up);
		/* Room for a body that was waiting on it. */
		if (s->req != NULL && !s->ready)
			mconn_kick(s->req);
	}
	msess_update(s);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct msess *s = w->data;

	(void)loop;
	(void)revents;
	if (s->st == SS_DIAL) {
		errno = ETIMEDOUT;
		log_warn("session %.8s…: upstream connect", s->id);
		sess_gone(s, SS_FAILED, "connect timeout");
		return;
	}
	if (s->ready)
		sess_answer(s);
}

/* The PROXY v2 header goes first in up, before the first body byte. */
static int
sess_proxy_header(struct msess *s)
{
	struct proxyv2 h;
	uint8_t out[PROXYV2_ENCODED_MAX], *w;
	size_t room;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.family = s->src.ss_family;
	if (h.family == AF_INET || h.family == AF_INET6) {
		memcpy(&h.src, &s->src, sizeof(h.src));
		if (s->dst.ss_family == h.family)
			memcpy(&h.dst, &s->dst, sizeof(h.dst));
		else
			h.dst.ss_family = (sa_family_t)h.family;
	} else
		h.family = AF_UNSPEC;
	if ((n = proxyv2_encode(&h, out, sizeof(out))) < 0 ||
	    (w = buf_reserve(&s->up, (size_t)n, sess_up_limit(s->m), &room)) == NULL ||
	    room < (size_t)n)
		return -1;
	memcpy(w, out, (size_t)n);
	buf_commit(&s->up, (size_t)n);
	s->hdr = 1;
	return 0;
}

/* The first body is complete: now the upstream is worth a connection. */
void
msess_dial(struct msess *s)
{
	struct meeks *m = s->m;

	if (m->upstream_ep.kind == EP_UNIX)
		s->fd = net_connect(&m->upstream_ep);
	else
		s->fd = net_connect_addr((const struct sockaddr *)&m->upstream_sa, m->upstream_salen);
	if (s->fd == -1) {
		log_warn("session %.8s…: upstream", s->id);
		s->st = SS_FAILED;
		return;
	}
	s->st = SS_DIAL;
	ev_io_set(&s->rd, s->fd, EV_READ);
	ev_io_set(&s->wr, s->fd, EV_WRITE);
	ev_timer_set(&s->timer, MEEKS_CONNECT_TIMEOUT, 0);
	ev_timer_start(m->loop, &s->timer);
	log_debug("session %.8s…: dialling upstream", s->id);
}

static size_t
sess_sa_len(sa_family_t fam)
{
	return fam == AF_INET ? sizeof(struct sockaddr_in) : fam == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
}

struct msess *
msess_new(struct meeks *m, const struct meek_req *r, const struct sockaddr_storage *src,
          const struct sockaddr *local, enum meeks_refusal *why)
{
	struct msess *s;
	size_t b;

	if (m->nsessions >= m->max_sessions) {
		*why = MR_SESSIONS;
		return NULL;
	}
	switch (mlimit_open(&m->limit, src, ev_now(m->loop))) {
	case MLIMIT_RATE:
		*why = MR_SESSION_RATE;
		return NULL;
	case MLIMIT_CAP:
		*why = MR_ADDR_SESSIONS;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mlimit_close(&m->limit, src);
		*why = MR_NREASON;
		return NULL;
	}
	s->m = m;
	memcpy(s->id, r->sid, r->sid_len);
	s->idlen = r->sid_len;
	memcpy(&s->src, src, sizeof(s->src));
	memcpy(&s->dst, local, sess_sa_len(local->sa_family));
	s->fd = -1;
	s->st = SS_NEW;
	ev_init(&s->rd, on_up_read);
	ev_init(&s->wr, on_up_write);
	ev_init(&s->timer, on_timer);
	s->rd.data = s->wr.data = s->timer.data = s;
	s->active = ev_now(m->loop);
	if (r->pipe && mpipe_new(s, r) == -1) {
		mlimit_close(&m->limit, src);
		free(s);
		*why = MR_NREASON;
		return NULL;
	}
	b = sess_hash(m, s->id, s->idlen);
	s->hnext = m->buckets[b];
	m->buckets[b] = s;
	s->next = m->sessions;
	if (s->next)
		s->next->prev = s;
	m->sessions = s;
	m->nsessions++;
	m->st.sessions_created++;
	log_debug("session %.8s…: new (%zu open)", s->id, m->nsessions);
	msess_update(s);
	return s;
}

/* --- requests ----------------------------------------------------------- */

void
msess_activate(struct msess *s, struct mconn *c)
{
	const struct meek_req *r = mconn_req(c);

	s->req = c;
	mconn_set_sess(c, s);
	s->ready = 0;
	s->tent = 0;
	s->cap = r->resp_cap;
	s->req_has_seq = r->has_seq;
	s->req_seq = r->seq;
	s->replay = r->has_seq && s->has_last && r->seq == s->last_seq;
	s->active = ev_now(s->m->loop);
}

int
msess_enqueue(struct msess *s, struct mconn *c)
{
	if (s->pipe != NULL)
		return mpipe_enqueue(s, c);
	mconn_clear_pipe(c); /* a serial session: the answer does not offer it */
	if (s->req == NULL) {
		msess_activate(s, c);
		return MSESS_ACTIVE;
	}
	if (s->nwait >= MEEKS_WAITERS_MAX)
		return MSESS_FULL;
	mconn_set_sess(c, s);
	mconn_set_next_waiter(c, NULL);
	if (s->wait_tail)
		mconn_set_next_waiter(s->wait_tail, c);
	else
		s->wait_head = c;
	s->wait_tail = c;
	s->nwait++;
	return MSESS_WAIT;
}

/* The active request is answered or gone: the next one in line goes. */
static void
sess_next(struct msess *s)
{
	struct mconn *c = s->wait_head;

	s->req = NULL;
	s->ready = 0;
	s->replay = 0;
	s->active = ev_now(s->m->loop);
	if (s->st != SS_DIAL)
		ev_timer_stop(s->m->loop, &s->timer);
	buf_trim(&s->up, s->tent);
	s->tent = 0;
	buf_shrink(&s->up);
	if (c != NULL) {
		msess_unwait(s, c);
		msess_activate(s, c);
		mconn_kick(c);
	}
	msess_update(s);
}

int
msess_unwait(struct msess *s, struct mconn *c)
{
	struct mconn *w, *prev = NULL;

	for (w = s->wait_head; w != NULL && w != c; w = mconn_next_waiter(w))
		prev = w;
	if (w == NULL)
		return 0;
	if (prev)
		mconn_set_next_waiter(prev, mconn_next_waiter(c));
	else
		s->wait_head = mconn_next_waiter(c);
	if (s->wait_tail == c)
		s->wait_tail = prev;
	s->nwait--;
	mconn_set_next_waiter(c, NULL);
	return 1;
}

void
msess_detach(struct msess *s, struct mconn *c)
{
	if (s->pipe != NULL) {
		mpipe_detach(s, c);
		return;
	}
	if (s->req == c) {
		/* Cut off: its tentative body is dropped in sess_next. */
		mconn_set_sess(c, NULL);
		if (s->st == SS_NEW && s->wait_head == NULL) {
			s->req = NULL;
			msess_close(s, "first request cut off");
			return;
		}
		sess_next(s);
		return;
	}
	if (msess_unwait(s, c))
		mconn_set_sess(c, NULL);
}

int
msess_replaying(const struct msess *s)
{
	return s->replay;
}

uint8_t *
msess_body_wptr(struct msess *s, size_t want, size_t *room)
{
	*room = 0;
	if (s->replay)
		return NULL;
	if (s->st == SS_NEW && s->m->proxy_protocol && !s->hdr && sess_proxy_header(s) == -1)
		return NULL; /* no room: out of memory, the body times out */
	return buf_reserve(&s->up, want, sess_up_limit(s->m), room);
}

void
msess_body_commit(struct msess *s, size_t n)
{
	buf_commit(&s->up, n);
	s->tent += n;
}

size_t
msess_body(struct msess *s, const uint8_t *p, size_t n)
{
	size_t room;
	uint8_t *w = msess_body_wptr(s, n, &room);

	if (w == NULL && s->replay)
		return n;
	if (room > 0) {
		memcpy(w, p, room);
		msess_body_commit(s, room);
	}
	return room;
}

/* Keep a copy of the answer to a sequenced request, for its replay. */
static void
sess_store(struct msess *s, const uint8_t *p, size_t n)
{
	free(s->last);
	s->last = NULL;
	s->last_len = 0;
	s->last_valid = 0;
	if (!s->req_has_seq)
		return;
	if (n > 0 && (s->last = malloc(n)) == NULL)
		return; /* a replay then computes a fresh answer */
	if (n > 0)
		memcpy(s->last, p, n);
	s->last_len = n;
	s->last_valid = 1;
}

/* Answer the active request now, with what the session has. */
static void
sess_answer(struct msess *s)
{
	struct meeks *m = s->m;
	struct mconn *c = s->req;
	size_t n;

	if (s->replay && s->last_valid) {
		m->st.replays++;
		mconn_respond(c, 200, NULL, s->last, s->last_len);
		sess_next(s);
	} else if (s->st == SS_FAILED) {
		mconn_respond(c, 502, "upstream unreachable", NULL, 0);
		s->req = NULL;
		msess_close(s, "upstream unreachable");
	} else if (buf_len(&s->down) > 0) {
		n = buf_len(&s->down) < s->cap ? buf_len(&s->down) : (size_t)s->cap;
		sess_store(s, buf_rptr(&s->down), n);
		m->st.bytes_down += n;
		mconn_respond(c, 200, NULL, buf_rptr(&s->down), n);
		buf_consume(&s->down, n);
		buf_shrink(&s->down);
		sess_next(s);
	} else if (s->st == SS_EOF) {
		mconn_respond(c, 410, "upstream closed", NULL, 0);
		s->req = NULL;
		msess_close(s, "upstream closed and drained");
	} else {
		sess_store(s, NULL, 0);
		mconn_respond(c, 200, NULL, NULL, 0);
		sess_next(s);
	}
}

/* The active body is whole: it goes upstream (dialled now if it is the first). */
void
msess_commit(struct msess *s)
{
	struct meeks *m = s->m;

	if (s->st == SS_NEW && s->tent > 0)
		msess_dial(s);
	if (s->st == SS_NEW || s->st == SS_DIAL || s->st == SS_OPEN)
		m->st.bytes_up += s->tent;
	else
		buf_trim(&s->up, s->tent); /* nowhere to go */
	s->tent = 0;
}

void
msess_body_done(struct msess *s, struct mconn *c)
{
	if (s->pipe != NULL) {
		mpipe_body_done(s, c);
		return;
	}
	if (c != s->req) {
		/* A pipelined retry that found a serial session of the same id. */
		mconn_respond(c, 410, "session closed", NULL, 0);
		return;
	}
	if (!s->replay) {
		msess_commit(s);
		if (s->req_has_seq) {
			s->has_last = 1;
			s->last_seq = s->req_seq;
			s->last_valid = 0;
		}
	}
	s->ready = 1;
	sess_ready(s);
}

/* The active request is complete: answer now, after the dial, or after the holdoff. */
static void
sess_ready(struct msess *s)
{
	struct meeks *m = s->m;

	msess_update(s);
	if (s->replay && s->last_valid) {
		sess_answer(s);
		return;
	}
	if (s->st == SS_DIAL)
		return; /* answered when the dial ends */
	if (s->st == SS_OPEN && buf_len(&s->down) == 0 && m->holdoff > 0) {
		ev_timer_stop(m->loop, &s->timer);
		ev_timer_set(&s->timer, m->holdoff, 0);
		ev_timer_start(m->loop, &s->timer);
		return;
	}
	sess_answer(s);
}
