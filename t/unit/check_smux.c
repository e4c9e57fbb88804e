/* SPDX-License-Identifier: MIT */
/*
 * smux v2: frame vectors (t/data/smux/vectors.txt), and a client and a
 * server session joined back to back through two in-memory pipes whose
 * capacity a test can limit, to play a full KCP send queue. A tap parses
 * every byte each side emits, so tests can check the exact frames (UPD
 * values, NOP timing, FIN order) a Go peer would see.
 */
#include "tt/smux.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vec.h"

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

static void
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

static void
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

static size_t
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

static void
cb_accept(void *arg, uint32_t sid)
{
	struct end *e = arg;

	ck_assert_uint_lt(e->nacc, SID_MAX);
	e->acc[e->nacc++] = sid;
}

static void
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

static void
cb_readable(void *arg, uint32_t sid)
{
	struct end *e = arg;

	e->nreadable++;
	if (e->autoread)
		drain(e, sid);
}

static void
cb_writable(void *arg, uint32_t sid)
{
	struct end *e = arg;

	e->nwritable++;
	e->last_writable = sid;
}

static const struct smux_cb cbs = { cb_output, cb_accept, cb_readable, cb_writable };

static struct end *
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

static void
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

static void
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
static size_t
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

static void
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

static size_t
count_cmd(const struct end *e, uint8_t cmd, uint32_t sid)
{
	size_t i, n = 0;

	for (i = 0; i < e->nlog; i++)
		if (e->log[i].cmd == cmd && (sid == UINT32_MAX || e->log[i].sid == sid))
			n++;
	return n;
}

static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* ---- codec ------------------------------------------------------------- */

static ssize_t
parse_frame(const uint8_t *p, size_t n, void *ctx)
{
	struct smux_hdr h;
	const uint8_t *pay;

	(void)ctx;
	return smux_frame_decode(p, n, &h, &pay);
}

START_TEST(test_vectors)
{
	size_t nv, i;
	struct vec *v = vec_load("smux/vectors.txt", &nv);

	for (i = 0; i < nv; i++) {
		const struct vec *x = &v[i];
		struct smux_hdr h;
		const uint8_t *pay;
		uint8_t enc[SMUX_HDR_LEN];

		vec_check_stream(x, parse_frame, NULL);
		if (strcmp(x->result, "ok") != 0)
			continue;
		ck_assert_int_eq(smux_frame_decode(x->bytes, x->len, &h, &pay), (ssize_t)x->len);
		ck_assert_int_eq(smux_hdr_decode(x->bytes, x->len, &h), SMUX_HDR_LEN);
		ck_assert_uint_eq(h.ver, SMUX_VERSION);
		ck_assert_uint_eq(h.cmd, vec_num(x, "cmd"));
		ck_assert_uint_eq(h.sid, (uint32_t)vec_num(x, "sid"));
		ck_assert_uint_eq(h.len, vec_num(x, "len"));
		ck_assert_uint_eq(h.len, x->len - SMUX_HDR_LEN);
		if (h.cmd == SMUX_CMD_UPD) {
			ck_assert_uint_eq(pay[0] | pay[1] << 8 | pay[2] << 16 | (uint32_t)pay[3] << 24,
			    (uint32_t)vec_num(x, "consumed"));
			ck_assert_uint_eq(pay[4] | pay[5] << 8 | pay[6] << 16 | (uint32_t)pay[7] << 24,
			    (uint32_t)vec_num(x, "window"));
		}
		smux_hdr_encode(enc, &h);
		ck_assert_mem_eq(enc, x->bytes, SMUX_HDR_LEN);
	}
	free(v);
}
END_TEST

/* Every header byte pattern that differs in ver or cmd is refused at once. */
START_TEST(test_hdr_early_error)
{
	uint8_t b[SMUX_HDR_LEN] = { 2, 0, 0, 0, 3, 0, 0, 0 };
	struct smux_hdr h;
	int v, c;

	for (v = 0; v < 256; v++) {
		b[0] = (uint8_t)v;
		ck_assert_int_eq(smux_hdr_decode(b, 1, &h), v == 2 ? 0 : -1);
	}
	b[0] = 2;
	for (c = 0; c < 256; c++) {
		b[1] = (uint8_t)c;
		ck_assert_int_eq(smux_hdr_decode(b, 2, &h), c <= SMUX_CMD_UPD ? 0 : -1);
	}
}
END_TEST

START_TEST(test_config)
{
	struct smux_config c;
	struct smux *s;

	smux_config_default(&c, 1);
	ck_assert_uint_eq(c.frame_max, 32768);
	ck_assert_uint_eq(c.stream_window, 1048576);
	ck_assert_uint_eq(c.session_window, 4194304);
	ck_assert_uint_eq(c.keepalive_ms, 10000);
	ck_assert_uint_eq(c.timeout_ms, 600000);
	smux_config_default(&c, 0);
	ck_assert_uint_eq(c.timeout_ms, 240000);

	c.stream_window = c.session_window + 1;
	errno = 0;
	ck_assert_ptr_null(smux_new(0, &c, &cbs, NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	smux_config_default(&c, 0);
	c.frame_max = 65536;
	ck_assert_ptr_null(smux_new(0, &c, &cbs, NULL, 0));
	smux_config_default(&c, 0);
	c.timeout_ms = c.keepalive_ms - 1;
	ck_assert_ptr_null(smux_new(0, &c, &cbs, NULL, 0));
	c.keepalive_ms = 0; /* disabled: timeout ignored */
	s = smux_new(0, &c, &cbs, NULL, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(smux_next_tick(s), UINT64_MAX);
	smux_free(s);
}
END_TEST

/* ---- sessions ---------------------------------------------------------- */

START_TEST(test_open_rw_fin)
{
	struct end *c, *s;
	uint32_t sid, sid2, ssid;
	uint8_t buf[64];

	pair(&c, &s, NULL, NULL);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(sid, 3); /* Go: counter 1, += 2 before use */
	ck_assert_int_eq(smux_open(c->s, &sid2), 0);
	ck_assert_uint_eq(sid2, 5);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"hello", 5), 5);
	pump(c, s);
	ck_assert_uint_eq(s->nacc, 2);
	ck_assert_uint_eq(s->acc[0], 3);
	ck_assert_uint_eq(s->acc[1], 5);
	ck_assert_uint_eq(smux_nstreams(s->s), 2);
	ck_assert_uint_eq(s->sinks[3].len, 5);
	ck_assert_mem_eq(s->sinks[3].data, "hello", 5);
	/* The first read announces itself: UPD(5, 1 MiB), as Go does. */
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, 3), 1);
	ck_assert_uint_eq(s->log[0].consumed, 5);
	ck_assert_uint_eq(s->log[0].window, 1048576);

	/* Server → client on the same stream; the client reads by hand. */
	ck_assert_int_eq(smux_write(s->s, 3, (const uint8_t *)"world", 5), 5);
	pump(c, s);
	ck_assert_uint_ge(c->nreadable, 1);
	ck_assert_int_eq(smux_read(c->s, 3, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "world", 5);
	errno = 0;
	ck_assert_int_eq(smux_read(c->s, 3, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);

	/* Server-opened streams are even from 2. */
	ck_assert_int_eq(smux_open(s->s, &ssid), 0);
	ck_assert_uint_eq(ssid, 2);
	pump(c, s);
	ck_assert_uint_eq(c->nacc, 1);
	ck_assert_uint_eq(c->acc[0], 2);

	/* FIN both ways, then close: nothing left. */
	ck_assert_int_eq(smux_shutdown(c->s, 3), 0);
	ck_assert_int_eq(smux_shutdown(c->s, 3), 0); /* idempotent: one FIN */
	pump(c, s);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_FIN, 3), 1);
	ck_assert_int_eq(s->sinks[3].eof, 1);
	ck_assert_int_eq(smux_shutdown(s->s, 3), 0);
	pump(c, s);
	ck_assert_int_eq(smux_read(c->s, 3, buf, sizeof(buf)), 0);
	smux_close(c->s, 3);
	smux_close(s->s, 3);
	smux_close(c->s, 3); /* twice: no-op */
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_FIN, 3), 1);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_FIN, 3), 1);
	errno = 0;
	ck_assert_int_eq(smux_write(c->s, 3, buf, 1), -1);
	ck_assert_int_eq(errno, EBADF);

	/* close without shutdown sends the FIN. */
	smux_close(c->s, 5);
	smux_close(c->s, 2);
	pump(c, s);
	ck_assert_int_eq(s->sinks[5].eof, 1);
	ck_assert_int_eq(s->sinks[2].eof, 1);
	smux_close(s->s, 5);
	smux_close(s->s, 2);
	ck_assert_uint_eq(smux_nstreams(c->s), 0);
	ck_assert_uint_eq(smux_nstreams(s->s), 0);
	ck_assert(!smux_dead(c->s) && !smux_dead(s->s));
	end_free(c);
	end_free(s);
}
END_TEST

/* After the peer's FIN we can still write; after ours we can still read. */
START_TEST(test_half_close)
{
	struct end *c, *s;
	uint32_t sid;
	uint8_t buf[16];

	pair(&c, &s, NULL, NULL);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"req", 3), 3);
	ck_assert_int_eq(smux_shutdown(c->s, sid), 0);
	errno = 0;
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	pump(c, s);
	ck_assert_uint_eq(s->sinks[sid].len, 3);
	ck_assert_int_eq(s->sinks[sid].eof, 1);

	/* The server answers after the client's FIN. */
	ck_assert_int_eq(smux_write(s->s, sid, (const uint8_t *)"resp1", 5), 5);
	pump(c, s);
	ck_assert_int_eq(smux_write(s->s, sid, (const uint8_t *)"resp2", 5), 5);
	ck_assert_int_eq(smux_shutdown(s->s, sid), 0);
	pump(c, s);
	ck_assert_int_eq(smux_read(c->s, sid, buf, sizeof(buf)), 10);
	ck_assert_mem_eq(buf, "resp1resp2", 10);
	ck_assert_int_eq(smux_read(c->s, sid, buf, sizeof(buf)), 0);
	ck_assert_int_eq(smux_read(c->s, sid, buf, sizeof(buf)), 0); /* EOF stays */
	smux_close(c->s, sid);
	smux_close(s->s, sid);
	pump(c, s);
	ck_assert_uint_eq(smux_nstreams(c->s) + smux_nstreams(s->s), 0);
	end_free(c);
	end_free(s);
}
END_TEST

static size_t
write_all(struct end *e, uint32_t sid, size_t max)
{
	static uint8_t data[256 * 1024];
	size_t total = 0;
	ssize_t r;

	do {
		size_t n = max - total < sizeof(data) ? max - total : sizeof(data);

		if (n == 0)
			break;
		r = smux_write(e->s, sid, data, n);
		ck_assert_int_ge(r, 0);
		total += (size_t)r;
	} while (r > 0);
	return total;
}

START_TEST(test_flow_control)
{
	struct end *c, *s;
	uint32_t sid;
	uint8_t *buf = malloc(MiB);
	size_t total, i, nupd;

	pair(&c, &s, NULL, NULL);
	s->autoread = 0;
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	/* Before any UPD the sender assumes Go's initial 256 KiB. */
	total = write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 262144);
	pump(c, s);
	ck_assert_int_eq(smux_write(c->s, sid, buf, 1), 0);

	/* One byte read: UPD(1, 1 MiB); the writer may fill the whole window. */
	c->nwritable = 0;
	ck_assert_int_eq(smux_read(s->s, sid, buf, 1), 1);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].consumed, 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 1048576);
	pump(c, s);
	ck_assert_uint_eq(c->nwritable, 1);
	ck_assert_uint_eq(c->last_writable, sid);
	total += write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 1 + 1048576); /* exactly 1 MiB unread */
	pump(c, s);
	ck_assert(!smux_dead(s->s));

	/* Reads below half a window send nothing. */
	ck_assert_int_eq(smux_read(s->s, sid, buf, 524287), 524287);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), 1);
	pump(c, s);
	ck_assert_int_eq(smux_write(c->s, sid, buf, 1), 0);
	/* The byte that makes half: UPD(consumed 524289). */
	ck_assert_int_eq(smux_read(s->s, sid, buf, 1), 1);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), 2);
	ck_assert_uint_eq(s->log[s->nlog - 1].consumed, 524289);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 1048576);
	pump(c, s);
	total += write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 524289 + 1048576);

	/* Drain everything in big reads: one UPD per half window. */
	for (i = 0; i < 40; i++) {
		ssize_t r;

		while ((r = smux_read(s->s, sid, buf, MiB)) > 0)
			;
		pump(c, s);
		total += write_all(c, sid, 16 * MiB - total);
		pump(c, s);
	}
	while (smux_read(s->s, sid, buf, MiB) > 0)
		;
	ck_assert_uint_eq(total, 16 * MiB);
	nupd = count_cmd(s, SMUX_CMD_UPD, sid);
	ck_assert_uint_le(nupd, 2 + 2 * 16 + 1);
	ck_assert_uint_gt(s->log[s->nlog - 1].consumed, 16 * MiB - 524288);
	free(buf);
	end_free(c);
	end_free(s);
}
END_TEST

/* smux_set_window: later UPDs announce the raised window, data up to it is taken, it never shrinks. */
START_TEST(test_set_window)
{
	struct end *c, *s;
	uint32_t sid;
	uint8_t *buf = malloc(MiB);
	size_t total, nupd;

	pair(&c, &s, NULL, NULL);
	s->autoread = 0;
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	total = write_all(c, sid, 8 * MiB);
	pump(c, s);
	smux_set_window(s->s, 3 * MiB);
	smux_set_window(s->s, 2 * MiB);
	ck_assert_uint_eq(smux_window(s->s), 3 * MiB);
	ck_assert_int_eq(smux_read(s->s, sid, buf, 1), 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 3 * MiB);
	pump(c, s);
	total += write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 1 + 3 * MiB); /* 3 MiB unread: more than stream_window */
	pump(c, s);
	ck_assert(!smux_dead(s->s));
	/* A raise is told at once on a stream already read, without waiting for reads. */
	nupd = count_cmd(s, SMUX_CMD_UPD, sid);
	smux_set_window(s->s, 4 * MiB);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), nupd + 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 4 * MiB);
	pump(c, s);
	ck_assert_uint_eq(write_all(c, sid, 8 * MiB), MiB);
	free(buf);
	end_free(c);
	end_free(s);
}
END_TEST

/* MaxReceiveBuffer: at 4 MiB buffered the server stops taking input. */
START_TEST(test_session_window)
{
	struct end *c, *s;
	uint32_t sid[20];
	uint8_t *buf = malloc(MiB);
	size_t i, pend;

	pair(&c, &s, NULL, NULL);
	s->autoread = 0;
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(smux_open(c->s, &sid[i]), 0);
		ck_assert_uint_eq(write_all(c, sid[i], 8 * MiB), 262144);
	}
	pump(c, s);
	/* 16 streams × 256 KiB = 4 MiB taken; the other 4 wait in the pipe. */
	ck_assert(!smux_want_input(s->s));
	pend = c->len;
	ck_assert_uint_eq(pend, 4 * (8 + 262144 + 8 * 8)); /* SYN + 8 PSH each */
	ck_assert_int_eq(smux_read(s->s, sid[15], buf, 1), 1);
	ck_assert_int_eq(smux_read(s->s, sid[19], buf, 1), -1);
	ck_assert(smux_want_input(s->s));
	pump(c, s);
	ck_assert(!smux_want_input(s->s));
	ck_assert_uint_lt(c->len, pend); /* one more frame went in */
	/* Closing a stream returns its bytes to the session. */
	smux_close(s->s, sid[0]);
	smux_close(s->s, sid[1]);
	pump(c, s);
	for (i = 2; i < 20; i++)
		while (smux_read(s->s, sid[i], buf, MiB) > 0)
			;
	pump(c, s);
	ck_assert_uint_eq(c->len, 0);
	ck_assert(smux_want_input(s->s));
	ck_assert(!smux_dead(s->s));
	free(buf);
	end_free(c);
	end_free(s);
}
END_TEST

START_TEST(test_many_streams)
{
	struct end *c, *s;
	static uint32_t sids[1000];
	uint8_t *data = malloc(8192);
	size_t i, n;

	pair(&c, &s, NULL, NULL);
	c->tap = s->tap = 0;
	c->autoread = 1;
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(smux_open(c->s, &sids[i]), 0);
		ck_assert_uint_eq(sids[i], 3 + 2 * i);
		n = 1000 + i * 7;
		fill(data, n, (uint32_t)i);
		ck_assert_int_eq(smux_write(c->s, sids[i], data, n), (ssize_t)n);
		if (i % 3 == 0)
			ck_assert_int_eq(smux_shutdown(c->s, sids[i]), 0);
	}
	pump(c, s);
	ck_assert_uint_eq(s->nacc, 1000);
	ck_assert_uint_eq(smux_nstreams(s->s), 1000);
	/* Each server stream answers with its own data, in reverse order. */
	for (i = 1000; i-- > 0;) {
		n = 500 + i * 3;
		fill(data, n, (uint32_t)(i + 5000));
		ck_assert_int_eq(smux_write(s->s, sids[i], data, n), (ssize_t)n);
		ck_assert_int_eq(smux_shutdown(s->s, sids[i]), 0);
	}
	pump(c, s);
	for (i = 0; i < 1000; i++) {
		uint32_t id = sids[i];

		n = 1000 + i * 7;
		fill(data, n, (uint32_t)i);
		ck_assert_uint_eq(s->sinks[id].len, n);
		ck_assert(memcmp(s->sinks[id].data, data, n) == 0);
		ck_assert_int_eq(s->sinks[id].eof, i % 3 == 0);
		n = 500 + i * 3;
		fill(data, n, (uint32_t)(i + 5000));
		ck_assert_uint_eq(c->sinks[id].len, n);
		ck_assert(memcmp(c->sinks[id].data, data, n) == 0);
		ck_assert_int_eq(c->sinks[id].eof, 1);
	}
	for (i = 0; i < 1000; i += 2) {
		smux_close(c->s, sids[i]);
		smux_close(s->s, sids[i]);
	}
	pump(c, s);
	ck_assert_uint_eq(smux_nstreams(c->s), 500);
	for (i = 1; i < 1000; i += 2) {
		smux_close(c->s, sids[i]);
		smux_close(s->s, sids[i]);
	}
	pump(c, s);
	ck_assert_uint_eq(smux_nstreams(c->s) + smux_nstreams(s->s), 0);
	free(data);
	end_free(c);
	end_free(s);
}
END_TEST

START_TEST(test_keepalive)
{
	struct end *c, *s;
	uint64_t t;
	size_t i;

	pair(&c, &s, NULL, NULL);
	ck_assert_uint_eq(smux_next_tick(c->s), 10000);
	ck_assert_int_eq(smux_tick(c->s, 9999), 0);
	ck_assert_uint_eq(c->len, 0);
	ck_assert_int_eq(smux_tick(c->s, 10000), 0);
	ck_assert_uint_eq(c->len, 8);
	ck_assert_mem_eq(c->buf, "\x02\x03\x00\x00\x00\x00\x00\x00", 8);
	ck_assert_uint_eq(smux_next_tick(c->s), 20000);
	ck_assert_int_eq(smux_tick(c->s, 15000), 0);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 1);
	/* A late tick sends one NOP, not the missed ones. */
	ck_assert_int_eq(smux_tick(c->s, 45000), 0);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 2);
	ck_assert_uint_eq(smux_next_tick(c->s), 55000);

	/* Server: NOPs every 10 s; it hears nothing and dies at 240 s. */
	for (t = 0; t < 240000; t += 10000) {
		ck_assert_int_eq(smux_tick(s->s, t), 0);
		ck_assert_uint_le(smux_next_tick(s->s), t + 10000);
	}
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_NOP, 0), 23);
	ck_assert_int_eq(smux_tick(s->s, 239999), 0);
	ck_assert_int_eq(smux_tick(s->s, 240000), -1);
	ck_assert(smux_dead(s->s));
	ck_assert_str_eq(smux_error(s->s), "keepalive timeout");
	ck_assert_uint_eq(smux_next_tick(s->s), UINT64_MAX);
	end_free(c);
	end_free(s);

	/* Joined, each side's NOPs keep the other alive for an hour. */
	pair(&c, &s, NULL, NULL);
	for (t = 0, i = 0; t <= 3600000; t += 5000, i++) {
		ck_assert_int_eq(smux_tick(c->s, t), 0);
		ck_assert_int_eq(smux_tick(s->s, t), 0);
		pump(c, s);
	}
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 360);
	end_free(c);
	end_free(s);
}
END_TEST

/* While our own receive buffer is full the silence is ours: no timeout. */
START_TEST(test_keepalive_full_buffer)
{
	struct end *c, *s;
	struct smux_config cfg;
	uint32_t sid;
	uint64_t t;
	uint8_t b[64];

	smux_config_default(&cfg, 0);
	cfg.session_window = cfg.stream_window = 4096;
	pair(&c, &s, NULL, &cfg);
	s->autoread = 0;
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(write_all(c, sid, 1 * MiB), 262144);
	pump(c, s); /* takes the first frame, 32768 > 4096: bucket negative */
	ck_assert(!smux_want_input(s->s));
	for (t = 0; t <= 600000; t += 10000)
		ck_assert_int_eq(smux_tick(s->s, t), 0);
	ck_assert_int_eq(smux_read(s->s, sid, b, sizeof(b)), 64);
	end_free(c);
	end_free(s);
}
END_TEST

static struct end *
server_fed(const uint8_t *p, size_t n, ssize_t *r)
{
	struct end *s = end_new(0, NULL, 0);

	s->autoread = 1;
	*r = smux_input(s->s, p, n);
	return s;
}

START_TEST(test_protocol_errors)
{
	static const struct {
		const char *name;
		uint8_t b[24];
		size_t n;
	} bad[] = {
		{ "version 1", { 1, 0, 0, 0, 3, 0, 0, 0 }, 8 },
		{ "version 3", { 3, 3, 0, 0, 0, 0, 0, 0 }, 8 },
		{ "cmd 5", { 2, 5, 0, 0, 3, 0, 0, 0 }, 8 },
		{ "cmd 255", { 2, 255, 0, 0, 3, 0, 0, 0 }, 8 },
		{ "SYN with payload", { 2, 0, 1, 0, 3, 0, 0, 0, 'x' }, 9 },
		{ "NOP with payload", { 2, 3, 2, 0, 0, 0, 0, 0, 'x', 'y' }, 10 },
		{ "FIN with payload", { 2, 1, 0, 1, 3, 0, 0, 0 }, 8 },
		{ "short UPD", { 2, 4, 4, 0, 3, 0, 0, 0, 1, 0, 0, 0 }, 12 },
		{ "long UPD", { 2, 4, 9, 0, 3, 0, 0, 0 }, 8 },
	};
	static const uint8_t good[] = { 2, 0, 0, 0, 3, 0, 0, 0, 2, 2, 2, 0, 3, 0, 0, 0, 'h', 'i' };
	uint8_t in[64];
	size_t i, j;
	ssize_t r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct end *s;

		/* Alone, after good frames in one piece, and dripped. */
		s = server_fed(bad[i].b, bad[i].n, &r);
		ck_assert_msg(r == -1, "%s: %zd", bad[i].name, r);
		ck_assert(smux_dead(s->s));
		ck_assert_str_eq(smux_error(s->s), "bad frame header");
		ck_assert_int_eq(smux_input(s->s, good, sizeof(good)), -1);
		ck_assert_int_eq(smux_open(s->s, &(uint32_t){ 0 }), -1);
		ck_assert_int_eq(smux_tick(s->s, 1), -1);
		end_free(s);

		memcpy(in, good, sizeof(good));
		memcpy(in + sizeof(good), bad[i].b, bad[i].n);
		s = server_fed(in, sizeof(good) + bad[i].n, &r);
		ck_assert_msg(r == -1, "%s glued", bad[i].name);
		ck_assert_uint_eq(s->sinks[3].len, 2); /* the good frames took effect */
		end_free(s);

		s = end_new(0, NULL, 0);
		s->autoread = 1;
		for (j = 0; j < sizeof(good) + bad[i].n; j++) {
			r = smux_input(s->s, in + j, 1);
			if (r < 0)
				break;
			ck_assert_int_eq(r, 1);
		}
		/* Dripped, it dies on the first byte that makes it wrong. */
		ck_assert_msg(r == -1, "%s drip", bad[i].name);
		ck_assert_uint_le(j, sizeof(good) + SMUX_HDR_LEN - 1);
		ck_assert_uint_eq(s->sinks[3].len, 2);
		end_free(s);
	}
}
END_TEST

/* A peer that sends past our window: 1 MiB + 1 unread. */
START_TEST(test_window_overrun)
{
	static uint8_t in[MiB + 200];
	struct end *s;
	size_t off = 0, left = MiB + 1, k;
	ssize_t r;

	in[off++] = 2, in[off++] = 0, off += 2, in[off++] = 7, off += 3;
	while (left > 0) {
		k = left < 65535 ? left : 65535;
		in[off] = 2, in[off + 1] = 2, in[off + 2] = (uint8_t)k, in[off + 3] = (uint8_t)(k >> 8);
		in[off + 4] = 7;
		off += 8 + k;
		left -= k;
	}
	s = end_new(0, NULL, 0);
	r = smux_input(s->s, in, off);
	ck_assert_int_eq(r, -1);
	ck_assert_str_eq(smux_error(s->s), "peer overran the stream window");
	/* 65535-byte frames (more than our 32768) are fine otherwise. */
	end_free(s);
	s = end_new(0, NULL, 0);
	ck_assert_int_eq(smux_input(s->s, in, off - 8 - 17), (ssize_t)(off - 8 - 17));
	ck_assert(!smux_dead(s->s));
	end_free(s);
}
END_TEST

/* Frames Go ignores: PSH/FIN/UPD for unknown sids, SYN for a known one. */
START_TEST(test_ignored_frames)
{
	static const uint8_t in[] = {
		2, 2, 3, 0, 99, 0, 0, 0, 'a', 'b', 'c',          /* PSH unknown */
		2, 1, 0, 0, 99, 0, 0, 0,                         /* FIN unknown */
		2, 4, 8, 0, 99, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, /* UPD unknown */
		2, 0, 0, 0, 3, 0, 0, 0,                          /* SYN 3 */
		2, 2, 1, 0, 3, 0, 0, 0, 'x',                     /* PSH 3 */
		2, 0, 0, 0, 3, 0, 0, 0,                          /* SYN 3 again */
		2, 2, 1, 0, 3, 0, 0, 0, 'y',                     /* PSH 3 */
		2, 3, 0, 0, 5, 0, 0, 0,                          /* NOP, any sid */
		2, 2, 0, 0, 3, 0, 0, 0,                          /* empty PSH */
		2, 1, 0, 0, 3, 0, 0, 0,                          /* FIN 3 */
		2, 1, 0, 0, 3, 0, 0, 0,                          /* FIN 3 again */
		2, 2, 1, 0, 3, 0, 0, 0, 'z',                     /* PSH after FIN: kept, as Go */
	};
	struct end *s;
	ssize_t r;

	s = server_fed(in, sizeof(in), &r);
	ck_assert_int_eq(r, (ssize_t)sizeof(in));
	ck_assert_uint_eq(s->nacc, 1);
	ck_assert_uint_eq(s->sinks[3].len, 3);
	ck_assert_mem_eq(s->sinks[3].data, "xyz", 3);
	ck_assert_int_eq(s->sinks[3].eof, 1);
	ck_assert_uint_eq(s->sinks[99].len, 0);
	ck_assert(!smux_dead(s->s));
	end_free(s);
}
END_TEST

/*
 * UPD values a Go peer never sends: garbage (found by the fuzzer as a
 * signed overflow), consumed beyond what was written (Go's ErrConsumed:
 * the write fails), a window past INT32_MAX (Go reads it as negative: no
 * room).
 */
START_TEST(test_upd_hostile)
{
	static const uint8_t upd_bad[] = { 2, 4, 8, 0, 3, 0, 0, 0, 0xa5, 0xa5, 0xa5, 0xa5,
		0xa5, 0xa5, 0xa5, 0xa5 };
	static const uint8_t upd_over[] = { 2, 4, 8, 0, 3, 0, 0, 0, 6, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t upd_neg[] = { 2, 4, 8, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x80 };
	static const uint8_t upd_ok[] = { 2, 4, 8, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 1, 0 };
	struct end *c = end_new(1, NULL, 0);
	uint32_t sid;

	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"hello", 5), 5);
	ck_assert_int_eq(smux_input(c->s, upd_bad, sizeof(upd_bad)), (ssize_t)sizeof(upd_bad));
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), 0);
	ck_assert_int_eq(smux_input(c->s, upd_over, sizeof(upd_over)), (ssize_t)sizeof(upd_over));
	errno = 0;
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(smux_input(c->s, upd_neg, sizeof(upd_neg)), (ssize_t)sizeof(upd_neg));
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), 0);
	c->nwritable = 0;
	ck_assert_int_eq(smux_input(c->s, upd_ok, sizeof(upd_ok)), (ssize_t)sizeof(upd_ok));
	ck_assert_uint_eq(c->nwritable, 1);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), 1);
	ck_assert(!smux_dead(c->s));
	end_free(c);
}
END_TEST

/* The same byte stream fed whole, one byte at a time, and in odd pieces. */
START_TEST(test_drip_glued)
{
	struct end *c, *ref;
	uint8_t *stream;
	size_t len, i, cut;
	uint32_t sid;
	uint8_t data[40000];

	/* Produce a realistic stream with a client session. */
	c = end_new(1, NULL, 0);
	c->tap = 0;
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(smux_open(c->s, &sid), 0);
		fill(data, sizeof(data), (uint32_t)i);
		ck_assert_int_eq(smux_write(c->s, sid, data, 100 + i * 9000), (ssize_t)(100 + i * 9000));
		if (i & 1)
			ck_assert_int_eq(smux_shutdown(c->s, sid), 0);
	}
	ck_assert_int_eq(smux_tick(c->s, 10000), 0);
	smux_close(c->s, 3);
	stream = c->buf;
	len = c->len;

	ref = server_fed(stream, len, &(ssize_t){ 0 });
	for (cut = 1; cut <= 1001; cut += 100) {
		struct end *s = end_new(0, NULL, 0);

		s->autoread = 1;
		for (i = 0; i < len; i += cut) {
			size_t n = len - i < cut ? len - i : cut;

			ck_assert_int_eq(smux_input(s->s, stream + i, n), (ssize_t)n);
		}
		ck_assert_uint_eq(s->nacc, ref->nacc);
		for (i = 3; i <= 11; i += 2) {
			ck_assert_uint_eq(s->sinks[i].len, ref->sinks[i].len);
			ck_assert_int_eq(s->sinks[i].eof, ref->sinks[i].eof);
			ck_assert(memcmp(s->sinks[i].data, ref->sinks[i].data, s->sinks[i].len) == 0);
		}
		end_free(s);
	}
	ck_assert_uint_eq(ref->nacc, 5);
	ck_assert_uint_eq(ref->sinks[3].len, 100);
	ck_assert_int_eq(ref->sinks[3].eof, 1); /* closed: FIN */
	ck_assert_int_eq(ref->sinks[5].eof, 1);
	ck_assert_int_eq(ref->sinks[7].eof, 0);
	ck_assert_uint_eq(ref->sinks[11].len, 36100);
	end_free(ref);
	end_free(c);
}
END_TEST

/*
 * The stream underneath takes 1000 bytes at a time: smux keeps one frame
 * tail, refuses writes, owes SYN/UPD/FIN in order, and catches up on flush.
 */
START_TEST(test_output_backpressure)
{
	struct end *c, *s;
	uint32_t a, b;
	uint8_t *data = malloc(200000);
	size_t sent = 0, rounds = 0;
	ssize_t r;

	pair(&c, &s, NULL, NULL);
	c->limit = 1000;
	fill(data, 200000, 42);
	ck_assert_int_eq(smux_open(c->s, &a), 0);
	r = smux_write(c->s, a, data, 200000);
	ck_assert_int_eq(r, 32768); /* one frame, mostly held */
	sent = (size_t)r;
	ck_assert(smux_blocked(c->s));
	ck_assert_uint_eq(c->len, 1000);
	ck_assert_int_eq(smux_write(c->s, a, data + sent, 200000 - sent), 0);
	ck_assert_int_eq(smux_write(c->s, a, data + sent, 200000 - sent), 0);
	/* Open and FIN while held: owed, emitted in order later. */
	ck_assert_int_eq(smux_open(c->s, &b), 0);
	ck_assert_int_eq(smux_shutdown(c->s, b), 0);
	ck_assert_uint_eq(c->len, 1000);
	c->nwritable = 0;
	while (sent < 200000) {
		pump(c, s);
		r = smux_write(c->s, a, data + sent, 200000 - sent);
		ck_assert_int_ge(r, 0);
		sent += (size_t)r;
		ck_assert_uint_le(c->len, 1000);
		ck_assert_uint_lt(++rounds, 10000);
	}
	ck_assert_uint_ge(c->nwritable, 1);
	ck_assert_int_eq(smux_shutdown(c->s, a), 0);
	pump(c, s);
	ck_assert(!smux_blocked(c->s));
	ck_assert_uint_eq(s->nacc, 2);
	ck_assert_uint_eq(s->sinks[a].len, 200000);
	ck_assert(memcmp(s->sinks[a].data, data, 200000) == 0);
	ck_assert_int_eq(s->sinks[a].eof, 1);
	ck_assert_int_eq(s->sinks[b].eof, 1);
	/* The frames as emitted: SYN a, PSH a..., SYN b, FIN b, ... FIN a. */
	ck_assert_uint_eq(c->log[0].cmd, SMUX_CMD_SYN);
	ck_assert_uint_eq(c->log[1].cmd, SMUX_CMD_PSH);
	ck_assert_uint_eq(c->log[2].cmd, SMUX_CMD_SYN);
	ck_assert_uint_eq(c->log[2].sid, b);
	ck_assert_uint_eq(c->log[3].cmd, SMUX_CMD_FIN);
	ck_assert_uint_eq(c->log[3].sid, b);
	ck_assert_uint_eq(c->log[c->nlog - 1].cmd, SMUX_CMD_FIN);
	ck_assert_uint_eq(c->log[c->nlog - 1].sid, a);

	/* Close while held: the stream lingers until its FIN is out. */
	smux_close(c->s, a);
	smux_close(c->s, b);
	ck_assert_int_eq(smux_open(c->s, &b), 0);
	c->limit = c->len; /* full */
	ck_assert_int_eq(smux_write(c->s, b, data, 10), 10); /* the whole frame held */
	ck_assert_int_eq(smux_write(c->s, b, data, 10), 0);
	smux_close(c->s, b);
	ck_assert_uint_eq(smux_nstreams(c->s), 0);
	c->limit = SIZE_MAX;
	pump(c, s);
	ck_assert_uint_eq(s->sinks[b].len, 10);
	ck_assert_int_eq(s->sinks[b].eof, 1);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_FIN, b), 1);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_PSH, b), 1);
	/* A NOP behind held output is skipped. */
	c->limit = c->len;
	ck_assert_int_eq(smux_write(c->s, a, data, 1), -1); /* a is closed */
	ck_assert_int_eq(smux_open(c->s, &b), 0);
	ck_assert(smux_blocked(c->s));
	ck_assert_int_eq(smux_tick(c->s, 10000), 0);
	c->limit = SIZE_MAX;
	ck_assert_int_eq(smux_flush(c->s), 0);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 0);
	free(data);
	end_free(c);
	end_free(s);
}
END_TEST

/*
 * A frame with a small payload is one output call (a secure session seals
 * each call as a TLS record); a large one stays two. A small frame cut by
 * the output's limit is held whole and arrives intact.
 */
START_TEST(test_small_frames_joined)
{
	struct end *c, *s;
	uint32_t a;
	uint8_t data[4000];
	size_t before;

	pair(&c, &s, NULL, NULL);
	fill(data, sizeof(data), 7);
	ck_assert_int_eq(smux_open(c->s, &a), 0);
	before = c->ncalls;
	ck_assert_int_eq(smux_write(c->s, a, data, 100), 100);
	ck_assert_uint_eq(c->ncalls - before, 1);
	before = c->ncalls;
	ck_assert_int_eq(smux_write(c->s, a, data, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_uint_eq(c->ncalls - before, 2);
	c->limit = c->len + 20; /* header and 12 of 100 bytes */
	ck_assert_int_eq(smux_write(c->s, a, data + 100, 100), 100);
	ck_assert(smux_blocked(c->s));
	c->limit = SIZE_MAX;
	pump(c, s);
	ck_assert(!smux_blocked(c->s));
	ck_assert_uint_eq(s->sinks[a].len, 4200);
	ck_assert(memcmp(s->sinks[a].data, data, 100) == 0);
	ck_assert(memcmp(s->sinks[a].data + 100, data, sizeof(data)) == 0);
	ck_assert(memcmp(s->sinks[a].data + 4100, data + 100, 100) == 0);
	end_free(c);
	end_free(s);
}
END_TEST

START_TEST(test_streams_max)
{
	struct end *c, *s;
	struct smux_config cfg;
	uint32_t sid[3];
	uint8_t b[4];
	int i;

	smux_config_default(&cfg, 0);
	cfg.streams_max = 2;
	pair(&c, &s, NULL, &cfg);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(smux_open(c->s, &sid[i]), 0);
	pump(c, s);
	ck_assert_uint_eq(s->nacc, 2);
	ck_assert_int_eq(smux_read(c->s, sid[2], b, sizeof(b)), 0); /* refused: FIN */
	errno = 0;
	ck_assert_int_eq(smux_open(s->s, &sid[0]), -1);
	ck_assert_int_eq(errno, EMFILE);
	end_free(c);
	end_free(s);

	/* Sid 0 is never a stream: its SYN gets a FIN, no accept. */
	pair(&c, &s, NULL, NULL);
	ck_assert_int_eq(smux_input(s->s, (const uint8_t *)"\2\0\0\0\0\0\0\0", 8), 8);
	ck_assert_uint_eq(s->nacc, 0);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_FIN, 0), 1);
	ck_assert_uint_eq(smux_nstreams(s->s), 0);
	end_free(c);
	end_free(s);
}
END_TEST

static long
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)mi.uordblks;
}

static size_t
discard(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	return n;
}

/* glibc's count of bytes in use (0 under ASan, whose allocator it does not see). */
START_TEST(test_idle_memory)
{
	static const struct smux_cb dcb = { discard, NULL, NULL, NULL };
	static uint32_t sids[1000];
	struct smux *x;
	long before, used;
	size_t i;

	before = heap_used();
	x = smux_new(1, NULL, &dcb, NULL, 0);
	used = heap_used() - before;
	fprintf(stderr, "smux: idle session %ld bytes\n", used);
	ck_assert_int_le(used, 2048);
	before = heap_used();
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(smux_open(x, &sids[i]), 0);
	used = heap_used() - before;
	fprintf(stderr, "smux: 1000 idle streams %ld bytes (%ld per stream, table included)\n", used,
	    used / 1000);
	ck_assert_int_le(used, 1000 * 128);
	for (i = 0; i < 1000; i++)
		smux_close(x, sids[i]);
	/* Table freed with the last stream; glibc counts its tcache as in use. */
	ck_assert_int_le(heap_used() - before, 8192);
	smux_free(x);
}
END_TEST

START_TEST(test_sid_skip_and_goaway)
{
	static const uint8_t syn5[] = { 2, 0, 0, 0, 5, 0, 0, 0 };
	struct end *c = end_new(1, NULL, 0);
	uint32_t sid;

	ck_assert_int_eq(smux_input(c->s, syn5, sizeof(syn5)), 8);
	ck_assert_uint_eq(c->nacc, 1);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(sid, 3);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(sid, 7); /* 5 is the peer's */
	end_free(c);
}
END_TEST

/*
 * One stream client → server, big reads; prints the rate. Three copies
 * per byte (into the pipe, into the stream, out to the reader). Run twice:
 * with glibc's default heap trimming, which hands the freed chunks of
 * each 1 MiB window back to the kernel and faults them in again, and
 * with trimming raised, which leaves only the copies.
 */
static void
throughput(const char *what)
{
	struct end *c, *s;
	const size_t total = (size_t)2 << 30;
	size_t sent = 0, got = 0;
	uint8_t *wbuf = malloc(MiB), *rbuf = malloc(4 * MiB);
	struct timespec t0, t1;
	uint32_t sid;
	double secs;
	ssize_t r;

	pair(&c, &s, NULL, NULL);
	c->tap = s->tap = 0;
	s->autoread = 0;
	fill(wbuf, MiB, 7);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < total) {
		while (sent < total &&
		    (r = smux_write(c->s, sid, wbuf + sent % MiB, MiB - sent % MiB)) > 0)
			sent += (size_t)r;
		deliver(c);
		while ((r = smux_read(s->s, sid, rbuf, 4 * MiB)) > 0) {
			/* Spot check: the pattern repeats every MiB. */
			ck_assert(rbuf[0] == wbuf[got % MiB] && rbuf[r - 1] == wbuf[(got + (size_t)r - 1) % MiB]);
			got += (size_t)r;
		}
		deliver(s);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "smux: %zu MiB one stream in %.3f s = %.2f GB/s (%s)\n", total / MiB, secs,
	    (double)total / secs / 1e9, what);
	ck_assert_uint_eq(got, total);
	free(wbuf);
	free(rbuf);
	end_free(c);
	end_free(s);
}

START_TEST(test_throughput)
{
	throughput("glibc default trim");
	mallopt(M_TRIM_THRESHOLD, 64 * MiB);
	throughput("M_TRIM_THRESHOLD 64 MiB");
}
END_TEST

static Suite *
smux_suite(void)
{
	Suite *su = suite_create("smux");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_hdr_early_error);
	tcase_add_test(tc, test_config);
	suite_add_tcase(su, tc);

	tc = tcase_create("session");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_rw_fin);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_set_window);
	tcase_add_test(tc, test_flow_control);
	tcase_add_test(tc, test_session_window);
	tcase_add_test(tc, test_many_streams);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_keepalive_full_buffer);
	tcase_add_test(tc, test_output_backpressure);
	tcase_add_test(tc, test_small_frames_joined);
	tcase_add_test(tc, test_streams_max);
	tcase_add_test(tc, test_idle_memory);
	tcase_add_test(tc, test_sid_skip_and_goaway);
	suite_add_tcase(su, tc);

	tc = tcase_create("input");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_protocol_errors);
	tcase_add_test(tc, test_window_overrun);
	tcase_add_test(tc, test_ignored_frames);
	tcase_add_test(tc, test_upd_hostile);
	tcase_add_test(tc, test_drip_glued);
	suite_add_tcase(su, tc);

	tc = tcase_create("bench");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_throughput);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(smux_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
