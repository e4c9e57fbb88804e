/* SPDX-License-Identifier: MIT */
/*
 * KCP when its path changes: a sender whose link went dead for a while
 * (timers backed off, every retransmission lost) gets a working link
 * again. With kcp_resend_inflight at that moment, the receiver has
 * everything within a few round trips; without it, only when the
 * backed-off timers expire. Both runs happen here, so the test fails if
 * the call stops making a difference. A simulated clock and link,
 * driven by kcp_check/kcp_update as an event loop would.
 */
#include "tt/kcp.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define MV_DELAY 20       /* one-way delay, ms */
#define MV_DOWN_AT 5      /* the link dies... */
#define MV_UP_AT 2500     /* ...and a new one works from here */
#define MV_BYTES 200000
#define MV_QMAX 4096
#define MV_END 20000

struct mv_pkt {
	uint32_t at;
	int to; /* 0: to a, 1: to b */
	size_t n;
	uint8_t b[1500];
};

struct mv_link {
	struct mv_pkt *q;
	size_t nq;
	uint32_t now;
	int up;
	struct kcp *k[2];
};

struct mv_end {
	struct mv_link *l;
	int to;
};

static void
mv_out(const uint8_t *pkt, size_t len, void *arg)
{
	struct mv_end *e = arg;
	struct mv_link *l = e->l;
	struct mv_pkt *p;

	if (!l->up || l->nq == MV_QMAX)
		return; /* lost with the dead path */
	ck_assert_uint_le(len, sizeof(p->b));
	p = &l->q[l->nq++];
	p->at = l->now + MV_DELAY;
	p->to = e->to;
	p->n = len;
	memcpy(p->b, pkt, len);
}

/* Deliver what is due (in order of arrival time, stable). */
static void
mv_deliver(struct mv_link *l)
{
	size_t i, j = 0;

	for (i = 0; i < l->nq; i++) {
		struct mv_pkt *p = &l->q[i];

		if (p->at <= l->now)
			(void)kcp_input(l->k[p->to], p->b, p->n);
		else
			l->q[j++] = *p;
	}
	l->nq = j;
}

/* ms after MV_UP_AT until the receiver had every byte; -1 if never. */
static long
mv_run(int resend, uint32_t *moved)
{
	struct mv_link l;
	struct mv_end ea, eb;
	uint8_t *src = malloc(MV_BYTES), buf[4096];
	size_t off = 0, got = 0;
	long done = -1;
	uint32_t t;
	ssize_t r;

	ck_assert_ptr_nonnull(src);
	memset(&l, 0, sizeof(l));
	l.q = calloc(MV_QMAX, sizeof(*l.q));
	ck_assert_ptr_nonnull(l.q);
	l.up = 1;
	ea = (struct mv_end){ &l, 1 };
	eb = (struct mv_end){ &l, 0 };
	l.k[0] = kcp_new(7, mv_out, &ea);
	l.k[1] = kcp_new(7, mv_out, &eb);
	ck_assert_ptr_nonnull(l.k[0]);
	ck_assert_ptr_nonnull(l.k[1]);
	for (t = 0; t < 2; t++) {
		kcp_nodelay(l.k[t], 0, 10, 2, 1);
		kcp_wndsize(l.k[t], 1024, 1024);
		ck_assert_int_eq(kcp_stream(l.k[t], 1), 0);
	}
	for (off = 0; off < MV_BYTES; off++)
		src[off] = (uint8_t)(off * 31 + 7);
	off = 0;
	for (t = 0; t < MV_END && done < 0; t++) {
		l.now = t;
		if (t == MV_DOWN_AT)
			l.up = 0;
		if (t == MV_UP_AT) {
			l.up = 1;
			if (resend)
				*moved = kcp_resend_inflight(l.k[0], 64);
			kcp_flush(l.k[0]);
		}
		mv_deliver(&l);
		while (off < MV_BYTES && (r = kcp_send(l.k[0], src + off, MV_BYTES - off)) > 0)
			off += (size_t)r;
		kcp_update(l.k[0], t);
		kcp_update(l.k[1], t);
		while ((r = kcp_recv(l.k[1], buf, sizeof(buf))) > 0) {
			ck_assert_uint_le(got + (size_t)r, MV_BYTES);
			ck_assert_msg(memcmp(buf, src + got, (size_t)r) == 0, "bytes differ at %zu", got);
			got += (size_t)r;
		}
		if (got == MV_BYTES && t >= MV_UP_AT)
			done = (long)(t - MV_UP_AT);
	}
	ck_assert_msg(kcp_pending(l.k[0]) > 0 || got == MV_BYTES, "sender idle with bytes missing");
	kcp_free(l.k[0]);
	kcp_free(l.k[1]);
	free(l.q);
	free(src);
	return done;
}

START_TEST(test_resend_after_move)
{
	uint32_t moved = 0;
	long with = mv_run(1, &moved), without = mv_run(0, &moved);

	/* A 200 kB window lost whole: 64 segments go at once, ACKs bring the rest. */
	ck_assert_uint_eq(moved, 64);
	ck_assert_msg(with >= 0 && without >= 0, "with %ld, without %ld", with, without);
	/* A few round trips of 40 ms, against timers backed off past a second. */
	ck_assert_msg(with <= 400, "with resend: %ld ms after the new path", with);
	ck_assert_msg(without >= with + 300, "without %ld ms, with %ld ms", without, with);
}
END_TEST

START_TEST(test_resend_nothing_in_flight)
{
	struct kcp *k = kcp_new(1, mv_out, NULL);

	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(kcp_resend_inflight(k, 64), 0);
	kcp_free(k);
}
END_TEST

static Suite *
kcpmove_suite(void)
{
	Suite *s = suite_create("kcpmove");
	TCase *tc = tcase_create("move");

	tcase_add_test(tc, test_resend_after_move);
	tcase_add_test(tc, test_resend_nothing_in_flight);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kcpmove_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
