/* SPDX-License-Identifier: MIT */
/*
 * smux output (see smux.c for the engine's rules): frames go to the
 * output callback whole or not at all; what it refuses of a frame is kept
 * as one heap copy (the held tail), and while it exists no new data frame
 * is made and control frames are owed, as flags on their stream, sent in
 * order when it drains. A frame with a small payload is offered as one
 * piece, so that a secure session seals it as one TLS record, not two.
 */
#include "tt/smux.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt/smux_impl.h"

#define SMUX_JOIN_MAX 2048 /* a frame this long or shorter is offered in one piece */

void
smux_o_die(struct smux *s, const char *why)
{
	if (s->why == NULL)
		s->why = why;
}

int
smux_o_blocked(const struct smux *s)
{
	return s->pend != NULL || s->owed_head != NULL;
}

static int
smux_o_pend_set(struct smux *s, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	s->pend = malloc(alen + blen);
	if (s->pend == NULL) {
		smux_o_die(s, smux_enomem);
		return -1;
	}
	if (alen > 0)
		memcpy(s->pend, a, alen);
	if (blen > 0)
		memcpy(s->pend + alen, b, blen);
	s->pend_len = alen + blen;
	s->pend_off = 0;
	return 1;
}

/* An output callback claiming more than it was given is taken at its word, capped. */
static size_t
smux_o_out(struct smux *s, const uint8_t *p, size_t n)
{
	size_t k = s->cb.output(s->arg, p, n);

	return k < n ? k : n;
}

/*
 * Offer one frame (a, then b) to output. The frame is committed either
 * way: what output does not take becomes the held tail. 0 all taken, 1
 * some held, -1 dead. Only called while nothing is held. Up to
 * SMUX_JOIN_MAX bytes go as one piece: each output call of a secure
 * session is a TLS record, so a request's header and payload make one
 * record (one seal, 22 bytes of overhead) instead of two.
 */
int
smux_o_frame(struct smux *s, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t j[SMUX_JOIN_MAX];
	size_t k;

	if (blen > 0 && alen + blen <= sizeof(j)) {
		memcpy(j, a, alen);
		memcpy(j + alen, b, blen);
		k = smux_o_out(s, j, alen + blen);
		return k < alen + blen ? smux_o_pend_set(s, j + k, alen + blen - k, NULL, 0) : 0;
	}
	k = smux_o_out(s, a, alen);

	if (k < alen)
		return smux_o_pend_set(s, a + k, alen - k, b, blen);
	if (blen == 0)
		return 0;
	k = smux_o_out(s, b, blen);
	if (k < blen)
		return smux_o_pend_set(s, NULL, 0, b + k, blen - k);
	return 0;
}

static int
smux_o_ctrl_now(struct smux *s, struct stream *st, uint32_t what)
{
	uint8_t f[SMUX_HDR_LEN + SMUX_UPD_LEN];

	switch (what) {
	case ST_OWE_SYN:
		frame_hdr(f, SMUX_CMD_SYN, 0, st->sid);
		return smux_o_frame(s, f, SMUX_HDR_LEN, NULL, 0);
	case ST_OWE_FIN:
		frame_hdr(f, SMUX_CMD_FIN, 0, st->sid);
		return smux_o_frame(s, f, SMUX_HDR_LEN, NULL, 0);
	default:
		/* The current count, not the one at the read that owed it: newer is better. */
		frame_hdr(f, SMUX_CMD_UPD, SMUX_UPD_LEN, st->sid);
		put32(f + SMUX_HDR_LEN, st->nread);
		put32(f + SMUX_HDR_LEN + 4, s->window);
		return smux_o_frame(s, f, sizeof(f), NULL, 0);
	}
}

/* Send a control frame for st now, or owe it if output is held. */
int
smux_o_ctrl(struct smux *s, struct stream *st, uint32_t what)
{
	if (!smux_o_blocked(s))
		return smux_o_ctrl_now(s, st, what) < 0 ? -1 : 0;
	st->flags |= what;
	if (!(st->flags & ST_OWED)) {
		st->flags |= ST_OWED;
		st->owed_next = NULL;
		if (s->owed_tail != NULL)
			s->owed_tail->owed_next = st;
		else
			s->owed_head = st;
		s->owed_tail = st;
	}
	return 0;
}

void
smux_o_want_out(struct smux *s, struct stream *st)
{
	if (st->flags & ST_WANT_OUT)
		return;
	if (s->wq_len == s->wq_cap) {
		uint32_t cap = s->wq_cap ? s->wq_cap * 2 : 8;
		uint32_t *q = realloc(s->wq, cap * sizeof(*q));

		if (q == NULL) {
			smux_o_die(s, smux_enomem);
			return;
		}
		s->wq = q;
		s->wq_cap = cap;
	}
	s->wq[s->wq_len++] = st->sid;
	st->flags |= ST_WANT_OUT;
}

/*
 * Output drained: tell the streams that were refused for it. The queue
 * is detached first, because the callbacks write (and may block again,
 * refilling a new queue) and close streams (so only sids are kept).
 */
static void
smux_o_notify_writable(struct smux *s)
{
	s->notifying = 1;
	while (s->wq_len > 0 && !smux_o_blocked(s) && s->why == NULL) {
		uint32_t *q = s->wq, n = s->wq_len, i;

		s->wq = NULL;
		s->wq_len = s->wq_cap = 0;
		for (i = 0; i < n; i++) {
			struct stream *st = smux_lookup(s, q[i]);

			if (st == NULL || !(st->flags & ST_WANT_OUT))
				continue;
			st->flags &= ~ST_WANT_OUT;
			if (s->why != NULL)
				break;
			if (smux_o_blocked(s))
				smux_o_want_out(s, st); /* held again: keep its turn for the next drain */
			else if (!(st->flags & ST_CLOSED) && s->cb.writable != NULL)
				s->cb.writable(s->arg, q[i]);
		}
		free(q);
	}
	s->notifying = 0;
}

int
smux_o_flush(struct smux *s)
{
	struct stream *st;
	static const uint32_t order[] = { ST_OWE_SYN, ST_OWE_UPD, ST_OWE_FIN };
	size_t i, k;

	if (s->why != NULL)
		return -1;
	if (s->pend != NULL) {
		k = smux_o_out(s, s->pend + s->pend_off, s->pend_len - s->pend_off);
		s->pend_off += k;
		if (s->pend_off < s->pend_len)
			return 1;
		free(s->pend);
		s->pend = NULL;
	}
	while ((st = s->owed_head) != NULL) {
		for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			if (!(st->flags & order[i]))
				continue;
			st->flags &= ~order[i];
			if (smux_o_ctrl_now(s, st, order[i]) != 0)
				return s->why != NULL ? -1 : 1;
		}
		s->owed_head = st->owed_next;
		if (s->owed_head == NULL)
			s->owed_tail = NULL;
		st->flags &= ~ST_OWED;
		if (st->flags & ST_CLOSED)
			smux_stream_free(s, st);
	}
	if (s->wq_len > 0 && !s->notifying)
		smux_o_notify_writable(s);
	return s->why != NULL ? -1 : smux_o_blocked(s);
}
