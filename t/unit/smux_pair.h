/* SPDX-License-Identifier: MIT */
/*
 * The smux harness the suites share: a client and a server session
 * joined back to back through two in-memory pipes whose capacity a test
 * can limit, to play a full KCP send queue. A tap parses every byte each
 * side emits, so tests can check the exact frames (UPD values, NOP
 * timing, FIN order) a Go peer would see. Header-only (static functions)
 * so each suite stays a single translation unit, like vec.h.
 */
#ifndef PW_T_SMUX_PAIR_H
#define PW_T_SMUX_PAIR_H

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tt/smux.h"

#define SID_MAX 4200
#define MiB (1024 * 1024)

struct frec {
	uint8_t cmd;
	uint32_t sid, len, consumed, window;
};

struct sink {
	uint8_t *data;
	size_t len, cap;
	int eof;
};

struct end {
	struct smux *s;
	struct end *peer;
	/* bytes emitted, not yet delivered; output takes at most limit */
	uint8_t *buf;
	size_t len, cap, limit;
	size_t ncalls; /* output calls */
	int input_err;
	/* tap: every emitted frame, parsed */
	int tap;
	uint8_t tapbuf[SMUX_HDR_LEN + SMUX_PSH_MAX];
	size_t taplen;
	struct frec *log;
	size_t nlog, logcap;
	/* callbacks seen */
	uint32_t acc[SID_MAX];
	size_t nacc, nreadable, nwritable;
	uint32_t last_writable;
	int autoread;
	struct sink *sinks; /* by sid, when autoread */
};

static inline void
sink_put(struct sink *k, const uint8_t *p, size_t n)
{
	if (k->len + n > k->cap) {
		k->cap = (k->len + n) * 2;
		k->data = realloc(k->data, k->cap);
		ck_assert_ptr_nonnull(k->data);
	}
	memcpy(k->data + k->len, p, n);
	k->len += n;
}

static inline void
tap_feed(struct end *e, const uint8_t *p, size_t n)
{
	struct smux_hdr h;
	const uint8_t *pay;
	ssize_t k;

	ck_assert_uint_le(e->taplen + n, sizeof(e->tapbuf));
	memcpy(e->tapbuf + e->taplen, p, n);
	e->taplen += n;
	while ((k = smux_frame_decode(e->tapbuf, e->taplen, &h, &pay)) > 0) {
		struct frec *f;

		if (e->nlog == e->logcap) {
			e->logcap = e->logcap ? e->logcap * 2 : 64;
			e->log = realloc(e->log, e->logcap * sizeof(*e->log));
			ck_assert_ptr_nonnull(e->log);
		}
		f = &e->log[e->nlog++];
		memset(f, 0, sizeof(*f));
		f->cmd = h.cmd;
		f->sid = h.sid;
		f->len = h.len;
		if (h.cmd == SMUX_CMD_UPD) {
			f->consumed = (uint32_t)pay[0] | (uint32_t)pay[1] << 8 |
			    (uint32_t)pay[2] << 16 | (uint32_t)pay[3] << 24;
			f->window = (uint32_t)pay[4] | (uint32_t)pay[5] << 8 |
			    (uint32_t)pay[6] << 16 | (uint32_t)pay[7] << 24;
		}
		memmove(e->tapbuf, e->tapbuf + k, e->taplen - (size_t)k);
		e->taplen -= (size_t)k;
	}
	ck_assert_int_ge(k, 0); /* we never emit a bad frame */
}

static inline size_t
cb_output(void *arg, const uint8_t *p, size_t n)
{
	struct end *e = arg;

	e->ncalls++;
	if (n > e->limit - e->len)
		n = e->limit - e->len;
	if (e->len + n > e->cap) {
		e->cap = (e->len + n) * 2;
		e->buf = realloc(e->buf, e->cap);
		ck_assert_ptr_nonnull(e->buf);
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
	if (e->tap)
		tap_feed(e, p, n);
	return n;
}

static inline void
cb_accept(void *arg, uint32_t sid)
{
	struct end *e = arg;

	ck_assert_uint_lt(e->nacc, SID_MAX);
	e->acc[e->nacc++] = sid;
}

static inline void
drain(struct end *e, uint32_t sid)
{
	static uint8_t tmp[70000];
	ssize_t r;

	ck_assert_uint_lt(sid, SID_MAX);
	while ((r = smux_read(e->s, sid, tmp, sizeof(tmp))) > 0)
		sink_put(&e->sinks[sid], tmp, (size_t)r);
	if (r == 0)
		e->sinks[sid].eof = 1;
	else
		ck_assert(errno == EAGAIN || errno == EBADF);
}

static inline void
cb_readable(void *arg, uint32_t sid)
{
	struct end *e = arg;

	e->nreadable++;
	if (e->autoread)
		drain(e, sid);
}

static inline void
cb_writable(void *arg, uint32_t sid)
{
	struct end *e = arg;

	e->nwritable++;
	e->last_writable = sid;
}

static const struct smux_cb cbs = { cb_output, cb_accept, cb_readable, cb_writable };

static inline struct end *
end_new(int is_client, const struct smux_config *cfg, uint64_t now)
{
	struct end *e = calloc(1, sizeof(*e));

	ck_assert_ptr_nonnull(e);
	e->limit = SIZE_MAX;
	e->tap = 1;
	e->sinks = calloc(SID_MAX, sizeof(*e->sinks));
	e->s = smux_new(is_client, cfg, &cbs, e, now);
	ck_assert_ptr_nonnull(e->s);
	return e;
}

static inline void
end_free(struct end *e)
{
	size_t i;

	smux_free(e->s);
	for (i = 0; i < SID_MAX; i++)
		free(e->sinks[i].data);
	free(e->sinks);
	free(e->log);
	free(e->buf);
	free(e);
}

static inline void
pair(struct end **c, struct end **s, const struct smux_config *ccfg,
    const struct smux_config *scfg)
{
	*c = end_new(1, ccfg, 0);
	*s = end_new(0, scfg, 0);
	(*c)->peer = *s;
	(*s)->peer = *c;
	(*s)->autoread = 1;
}

/* Move what from emitted into its peer; return bytes consumed. */
static inline size_t
deliver(struct end *from)
{
	struct end *to = from->peer;
	ssize_t r;

	if (from->len == 0 || to->input_err)
		return 0;
	r = smux_input(to->s, from->buf, from->len);
	if (r < 0) {
		to->input_err = 1;
		return 0;
	}
	memmove(from->buf, from->buf + r, from->len - (size_t)r);
	from->len -= (size_t)r;
	return (size_t)r;
}

static inline void
pump(struct end *a, struct end *b)
{
	size_t moved;

	do {
		moved = deliver(a) + deliver(b);
		if (!smux_dead(a->s))
			smux_flush(a->s);
		if (!smux_dead(b->s))
			smux_flush(b->s);
	} while (moved > 0);
}

static inline size_t
count_cmd(const struct end *e, uint8_t cmd, uint32_t sid)
{
	size_t i, n = 0;

	for (i = 0; i < e->nlog; i++)
		if (e->log[i].cmd == cmd && (sid == UINT32_MAX || e->log[i].sid == sid))
			n++;
	return n;
}

static inline void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
}

#endif
