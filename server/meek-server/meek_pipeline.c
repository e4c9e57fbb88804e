/* SPDX-License-Identifier: MIT */
/*
 * meek sessions that negotiated the pipelining extension (X-Meek-Pipeline,
 * pipeworks-protocol(5)): several requests of one session are in flight
 * at once, on as many connections as the front opens.
 *
 * Upstream order: bodies are written in X-Meek-Seq order. The request
 * whose seq is next (s->req) reads its body into the upstream buffer,
 * tentatively as in a serial session; a later seq waits in the
 * session's waiter list, sorted, without its body being read (the
 * kernel and the front hold it), so the reorder buffer costs no memory
 * of ours beyond the connections already counted. At most
 * MEEK_PIPE_WINDOW_MAX requests wait; a seq outside [base, base +
 * MEEK_PIPE_WINDOW_MAX) is refused (400); a gap that is not filled
 * within --read-timeout fails the session (400 to everyone waiting).
 *
 * Downstream order: a request whose body is committed takes the slot of
 * its seq in the ring; slots are answered strictly in seq order (ans), so
 * the client, which writes answers out in seq order, sees the bytes in
 * the order they were read from the upstream. An answered body stays in
 * the downstream buffer (kept) until the client's base= says it arrived,
 * so a retry of the same seq gets the same bytes, whichever connection
 * carried the first. A slot whose connection died before its answer
 * (orphan) is answered anyway, into that buffer, for the retry.
 *
 * Holding: with nothing to send, the newest request is held up to
 * --hold (a long poll); older ones are answered after --holdoff, so a
 * client with something to send is never stuck behind held polls.
 *
 * Invariants: base <= ans <= next <= base + MEEK_PIPE_WINDOW_MAX; the
 * slots of [base, ans) are answered (DONE), those of [ans, next) wait
 * (PENDING with a connection, or ORPHAN); sent_pos - down_pos bytes at
 * the front of the downstream buffer are answered and kept.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "meek_sess.h"

enum { SL_FREE, SL_PENDING, SL_ORPHAN, SL_DONE };

struct mslot {
	int st;
	uint64_t seq;
	struct mconn *c; /* PENDING */
	uint64_t cap;    /* the request's X-Meek-Max-Body */
	uint64_t pos;    /* DONE: stream offset of its answer */
	size_t len;
	ev_tstamp at;    /* its body was complete */
};

struct mpipe {
	struct msess *s;
	struct mslot ring[MEEK_PIPE_WINDOW_MAX];
	uint64_t base, ans, next;
	uint64_t down_pos; /* stream offset of buf_rptr(&s->down) */
	uint64_t sent_pos; /* stream offset after the last answered byte */
	ev_timer hold, gap;
};

static struct mslot *
pipe_slot(struct mpipe *p, uint64_t seq)
{
	return &p->ring[seq % MEEK_PIPE_WINDOW_MAX];
}

static void on_hold(struct ev_loop *loop, ev_timer *w, int revents);
static void on_gap(struct ev_loop *loop, ev_timer *w, int revents);

int
mpipe_new(struct msess *s, const struct meek_req *r)
{
	struct mpipe *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1;
	p->s = s;
	p->base = p->ans = p->next = r->pipe_p.base;
	ev_init(&p->hold, on_hold);
	ev_init(&p->gap, on_gap);
	p->hold.data = p->gap.data = p;
	s->pipe = p;
	s->m->st.pipe_sessions++;
	return 0;
}

void
mpipe_free(struct msess *s)
{
	struct mpipe *p = s->pipe;
	uint64_t q;

	if (p == NULL)
		return;
	for (q = p->ans; q < p->next; q++)
		if (pipe_slot(p, q)->c != NULL)
			mconn_set_sess(pipe_slot(p, q)->c, NULL);
	ev_timer_stop(s->m->loop, &p->hold);
	ev_timer_stop(s->m->loop, &p->gap);
	free(p);
	s->pipe = NULL;
}

int
mpipe_busy(const struct msess *s)
{
	return s->pipe != NULL && s->pipe->ans < s->pipe->next;
}

/* Requests of the session in flight here: waiting, reading, or waiting for an answer. */
static void
pipe_count(struct msess *s)
{
	struct mpipe *p = s->pipe;
	uint64_t n = (p->next - p->ans) + s->nwait + (s->req != NULL);

	if (n > s->m->st.pipe_inflight_max)
		s->m->st.pipe_inflight_max = n;
}

/* Every request of the session gets status; the session ends. */
static void
pipe_fail(struct msess *s, int status, const char *msg)
{
	struct mpipe *p = s->pipe;
	struct mconn *c, *next;
	struct mslot *sl;

	for (; p->ans < p->next; p->ans++) {
		sl = pipe_slot(p, p->ans);
		if ((c = sl->c) != NULL) {
			sl->c = NULL;
			mconn_respond(c, status, msg, NULL, 0);
		}
	}
	if ((c = s->req) != NULL) {
		s->req = NULL;
		mconn_respond(c, status, msg, NULL, 0);
	}
	for (c = s->wait_head; c != NULL; c = next) {
		next = mconn_next_waiter(c);
		mconn_set_next_waiter(c, NULL);
		mconn_respond(c, status, msg, NULL, 0);
	}
	s->wait_head = s->wait_tail = NULL;
	s->nwait = 0;
	msess_close(s, msg);
}

/* The client has every answer below base: their bytes can go. */
static int
pipe_ack(struct msess *s, uint64_t base)
{
	struct mpipe *p = s->pipe;
	struct mslot *sl;
	uint64_t end;

	if (base <= p->base)
		return 0;
	if (base > p->ans)
		return -1; /* acknowledges an answer never given */
	for (; p->base < base; p->base++) {
		sl = pipe_slot(p, p->base);
		end = sl->pos + sl->len;
		if (end > p->down_pos) {
			buf_consume(&s->down, (size_t)(end - p->down_pos));
			p->down_pos = end;
		}
		sl->st = SL_FREE;
	}
	buf_shrink(&s->down);
	msess_update(s);
	return 0;
}

/* The gap timer runs while requests wait for a seq that is not here. */
static void
pipe_gap_check(struct msess *s)
{
	struct mpipe *p = s->pipe;
	int gap = s->req == NULL && s->wait_head != NULL;

	if (gap && !ev_is_active(&p->gap)) {
		ev_timer_set(&p->gap, s->m->read_timeout, 0);
		ev_timer_start(s->m->loop, &p->gap);
	} else if (!gap) {
		ev_timer_stop(s->m->loop, &p->gap);
	}
}

/* Insert c into the waiters, by seq. -1 when that seq is already here. */
static int
pipe_wait(struct msess *s, struct mconn *c)
{
	uint64_t seq = mconn_req(c)->seq;
	struct mconn *w, *prev = NULL;

	if (s->req != NULL && mconn_req(s->req)->seq == seq)
		return -1;
	for (w = s->wait_head; w != NULL && mconn_req(w)->seq <= seq; w = mconn_next_waiter(w)) {
		if (mconn_req(w)->seq == seq)
			return -1;
		prev = w;
	}
	mconn_set_next_waiter(c, w);
	if (prev != NULL)
		mconn_set_next_waiter(prev, c);
	else
		s->wait_head = c;
	if (w == NULL)
		s->wait_tail = c;
	s->nwait++;
	mconn_set_sess(c, s);
	return 0;
}

/* With nothing to send: the newest request is held longest. */
static ev_tstamp
pipe_due(const struct msess *s, const struct mslot *sl)
{
	const struct mpipe *p = s->pipe;
	int newest = sl->seq + 1 == p->next && s->req == NULL && s->wait_head == NULL;

	return sl->at + (newest ? s->m->hold : s->m->holdoff);
}

static void
pipe_arm(struct msess *s)
{
	struct mpipe *p = s->pipe;
	double after;

	ev_timer_stop(s->m->loop, &p->hold);
	if (p->ans == p->next)
		return;
	after = pipe_due(s, pipe_slot(p, p->ans)) - ev_now(s->m->loop);
	ev_timer_set(&p->hold, after > 0.001 ? after : 0.001, 0);
	ev_timer_start(s->m->loop, &p->hold);
}

int
mpipe_enqueue(struct msess *s, struct mconn *c)
{
	struct mpipe *p = s->pipe;
	const struct meek_req *r = mconn_req(c);

	if (!r->pipe || pipe_ack(s, r->pipe_p.base) == -1 || r->seq < p->base ||
	    r->seq - p->base >= MEEK_PIPE_WINDOW_MAX)
		return MSESS_BAD;
	if (r->seq < p->next)
		return MSESS_RETRY; /* its body is dropped, then mpipe_body_done */
	if (r->seq == p->next && s->req == NULL) {
		msess_activate(s, c);
		pipe_arm(s);
		pipe_count(s);
		return MSESS_ACTIVE;
	}
	if (s->nwait >= MEEK_PIPE_WINDOW_MAX || pipe_wait(s, c) == -1)
		return MSESS_FULL;
	if (s->req == NULL || r->seq != mconn_req(s->req)->seq + 1)
		s->m->st.pipe_reordered++;
	pipe_gap_check(s);
	pipe_arm(s);
	pipe_count(s);
	return MSESS_WAIT;
}

void
mpipe_detach(struct msess *s, struct mconn *c)
{
	struct mpipe *p = s->pipe;
	uint64_t q;

	mconn_set_sess(c, NULL);
	if (s->req == c) {
		/* Cut off: nothing of it went upstream; its retry comes. */
		s->req = NULL;
		buf_trim(&s->up, s->tent);
		s->tent = 0;
		buf_shrink(&s->up);
		pipe_gap_check(s);
		pipe_arm(s);
		msess_update(s);
		return;
	}
	for (q = p->ans; q < p->next; q++)
		if (pipe_slot(p, q)->c == c) {
			pipe_slot(p, q)->c = NULL;
			pipe_slot(p, q)->st = SL_ORPHAN;
			mpipe_pump(s);
			return;
		}
	if (msess_unwait(s, c))
		pipe_gap_check(s);
}

/* A retry of an answered or waiting seq: the same answer, on c. */
static void
pipe_retry(struct msess *s, struct mconn *c)
{
	struct mpipe *p = s->pipe;
	uint64_t seq = mconn_req(c)->seq;
	struct mslot *sl = pipe_slot(p, seq);
	struct mconn *old;

	if (seq < p->base || seq >= p->next) {
		mconn_respond(c, 400, "sequence out of window", NULL, 0);
		return;
	}
	if (sl->st == SL_DONE) {
		s->m->st.replays++;
		mconn_respond(c, 200, NULL, buf_rptr(&s->down) + (sl->pos - p->down_pos), sl->len);
		return;
	}
	if ((old = sl->c) != NULL)
		mconn_respond(old, 503, "superseded by a retry", NULL, 0);
	sl->c = c;
	sl->st = SL_PENDING;
	mconn_set_sess(c, s);
	mpipe_pump(s);
}

void
mpipe_body_done(struct msess *s, struct mconn *c)
{
	struct mpipe *p = s->pipe;
	struct mslot *sl;
	struct mconn *w;

	if (c != s->req) {
		pipe_retry(s, c);
		return;
	}
	msess_commit(s);
	sl = pipe_slot(p, p->next);
	sl->st = SL_PENDING;
	sl->seq = p->next;
	sl->c = c;
	sl->cap = s->cap;
	sl->at = ev_now(s->m->loop);
	p->next++;
	s->req = NULL;
	if ((w = s->wait_head) != NULL && mconn_req(w)->seq == p->next) {
		msess_unwait(s, w);
		msess_activate(s, w);
		mconn_kick(w);
	}
	pipe_gap_check(s);
	msess_update(s);
	mpipe_pump(s);
}

/* Answer the oldest waiting slot with n bytes of the downstream. */
static void
pipe_give(struct msess *s, struct mslot *sl, size_t n)
{
	struct mpipe *p = s->pipe;
	const uint8_t *data = buf_rptr(&s->down) + (p->sent_pos - p->down_pos);
	struct mconn *c = sl->c;

	sl->pos = p->sent_pos;
	sl->len = n;
	sl->st = SL_DONE;
	sl->c = NULL;
	p->sent_pos += n;
	p->ans++;
	s->m->st.bytes_down += n;
	s->active = ev_now(s->m->loop);
	if (c != NULL)
		mconn_respond(c, 200, NULL, data, n);
}

void
mpipe_pump(struct msess *s)
{
	struct mpipe *p = s->pipe;
	struct mslot *sl;
	size_t avail, n;

	while (p->ans < p->next) {
		sl = pipe_slot(p, p->ans);
		avail = buf_len(&s->down) - (size_t)(p->sent_pos - p->down_pos);
		if (s->st == SS_FAILED) {
			pipe_fail(s, 502, "upstream unreachable");
			return;
		}
		if (avail == 0 && s->st == SS_EOF) {
			pipe_fail(s, 410, "upstream closed");
			return;
		}
		if (avail == 0 && sl->st == SL_PENDING &&
		    (s->st == SS_DIAL || ev_now(s->m->loop) < pipe_due(s, sl)))
			break;
		n = avail < sl->cap ? avail : (size_t)sl->cap;
		pipe_give(s, sl, n);
	}
	pipe_arm(s);
}

size_t
mpipe_down_kept(const struct msess *s)
{
	return s->pipe != NULL ? (size_t)(s->pipe->sent_pos - s->pipe->down_pos) : 0;
}

static void
on_hold(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mpipe *p = w->data;

	(void)loop;
	(void)revents;
	mpipe_pump(p->s);
}

static void
on_gap(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mpipe *p = w->data;
	struct msess *s = p->s;

	(void)loop;
	(void)revents;
	s->m->st.pipe_gaps++;
	log_info("session %.8s…: sequence %llu never came; closing", s->id,
	         (unsigned long long)p->next);
	pipe_fail(s, 400, "sequence gap not filled");
}
