/* SPDX-License-Identifier: MIT */
/*
 * KCP over the simulated link of kcp_sim.h: transfers with loss,
 * duplication and reordering, with and without fast retransmit and
 * congestion control, under a small memory budget; determinism, zero
 * windows, the dead-link backoff, sequence numbers wrapping. Every byte
 * is checked in order by the simulator.
 */
#include "tt/kcp.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/membudget.h"
#include "tt/kcp_int.h"
#include "kcp_sim.h"

static void
lossy_transfer(uint64_t seed, unsigned permille, uint64_t bytes, int resend)
{
	struct sim m;
	struct kcp_stats st0, st1;
	uint32_t t;

	sim_init(&m, seed, permille, permille, permille, 40);
	if (resend) {
		kcp_nodelay(m.s[0].k, -1, -1, resend, -1);
		kcp_nodelay(m.s[1].k, -1, -1, resend, -1);
	}
	m.s[0].want = bytes;
	m.s[1].want = bytes / 4;
	t = sim_run(&m, 600000);
	kcp_stats(m.s[0].k, &st0);
	kcp_stats(m.s[1].k, &st1);
	fprintf(stderr, "kcp loss %u‰ seed %llu resend %d: %llu+%llu bytes in %u ms sim, "
	    "%llu rto + %llu fast retrans, %llu dup, srtt %u\n", permille,
	    (unsigned long long)seed, resend, (unsigned long long)bytes,
	    (unsigned long long)bytes / 4, t, (unsigned long long)st0.rto_retrans,
	    (unsigned long long)st0.fast_retrans, (unsigned long long)st1.dup_segs, st0.srtt);
	/* Everything acknowledged in the end, both ways. */
	while (kcp_pending(m.s[0].k) > 0 || kcp_pending(m.s[1].k) > 0)
		sim_step(&m);
	sim_free(&m);
}

START_TEST(test_lossless)
{
	lossy_transfer(1, 0, 16u << 20, 0);
}
END_TEST

START_TEST(test_loss_1)
{
	lossy_transfer(2, 10, 16u << 20, 0);
	lossy_transfer(3, 10, 4u << 20, 2);
}
END_TEST

START_TEST(test_loss_5)
{
	lossy_transfer(4, 50, 8u << 20, 0);
	lossy_transfer(5, 50, 4u << 20, 2);
}
END_TEST

START_TEST(test_loss_20)
{
	lossy_transfer(6, 200, 4u << 20, 0);
	lossy_transfer(7, 200, 4u << 20, 2);
}
END_TEST

/* Same seed, same everything: the engine has no hidden clock or randomness. */
START_TEST(test_deterministic)
{
	uint64_t pkts[2][2];
	uint32_t t[2];
	int r;

	for (r = 0; r < 2; r++) {
		struct sim m;

		sim_init(&m, 9, 50, 20, 50, 25);
		kcp_nodelay(m.s[0].k, -1, -1, 2, -1);
		m.s[0].want = 1u << 20;
		m.s[1].want = 1u << 18;
		t[r] = sim_run(&m, 600000);
		pkts[r][0] = m.s[0].pkts;
		pkts[r][1] = m.s[1].pkts;
		sim_free(&m);
	}
	ck_assert_uint_eq(t[0], t[1]);
	ck_assert(pkts[0][0] == pkts[1][0] && pkts[0][1] == pkts[1][1]);
}
END_TEST

/* The receiver does not read: the sender fills exactly the advertised window and waits. */
static void
zero_window(uint32_t wins_drop)
{
	struct sim m;
	struct kcp_stats sa, sb;
	uint32_t mss = KCP_MTU_DEFAULT - KCP_OVERHEAD, t0, t1, waited;

	sim_init(&m, 11, 0, 0, 0, 20);
	kcp_wndsize(m.s[1].k, 0, 128);
	m.s[0].want = 1u << 20;
	m.s[1].no_read = 1;
	m.s[1].wins_drop = wins_drop;
	app_io(&m);
	m.until = 1000 + 3000;
	while (m.now != m.until)
		sim_step(&m);
	m.until = 0;
	kcp_stats(m.s[0].k, &sa);
	kcp_stats(m.s[1].k, &sb);
	ck_assert_uint_eq(kcp_readable(m.s[1].k), 128 * mss);
	ck_assert_uint_eq(sa.rmt_wnd, 0);
	ck_assert_uint_eq(sb.win_drops, 0);
	ck_assert_uint_eq(sa.rto_retrans, 0);
	ck_assert_uint_eq(kcp_pending(m.s[0].k), m.s[0].sent / mss + !!(m.s[0].sent % mss) - 128);
	ck_assert_uint_eq(m.s[0].k->snd_nxt, 128);
	ck_assert(!kcp_dead(m.s[0].k));

	/* Reading reopens the window; the WINS (or, if lost, the probe) restarts the sender. */
	t0 = m.now;
	m.s[1].no_read = 0;
	sim_run(&m, 60000);
	t1 = m.now;
	waited = t1 - t0;
	fprintf(stderr, "kcp zero window, %u WINS dropped: resumed and done in %u ms\n",
	    wins_drop, waited);
	if (wins_drop == 0)
		ck_assert_uint_lt(waited, 1000);
	else
		ck_assert_uint_ge(waited, 3000); /* the probe fires 7 s after the stall began */
	sim_free(&m);
}

START_TEST(test_zero_window_tell)
{
	zero_window(0);
}
END_TEST

START_TEST(test_zero_window_probe)
{
	zero_window(1);
}
END_TEST

/* Small windows: the sender never has more in flight than the peer allows. */
START_TEST(test_window_limits_flight)
{
	struct sim m;
	uint32_t maxflight = 0;

	sim_init(&m, 12, 0, 0, 0, 30);
	kcp_wndsize(m.s[0].k, 40, 0);
	m.s[0].want = 2u << 20;
	app_io(&m);
	while (!sim_done(&m)) {
		uint32_t f = m.s[0].k->snd_nxt - m.s[0].k->snd_una;

		if (f > maxflight)
			maxflight = f;
		sim_step(&m);
	}
	ck_assert_uint_eq(maxflight, 40);
	sim_free(&m);
}
END_TEST

/* A link that drops everything: linear backoff, then dead after dead_link sends. */
static void
dead_link(unsigned n, int nodelay)
{
	struct sim m;
	int i;

	sim_init(&m, 13, 0, 0, 0, 20);
	if (n)
		kcp_setdeadlink(m.s[0].k, n);
	else
		n = KCP_DEADLINK_DEFAULT;
	if (nodelay)
		kcp_nodelay(m.s[0].k, 1, 10, -1, -1);
	m.s[0].drop_all = 1;
	m.s[0].want = 100;
	app_io(&m);
	while (!kcp_dead(m.s[0].k)) {
		sim_step(&m);
		CHECK(kcp_diff(m.now, 1000) < 3600 * 1000);
	}
	ck_assert_int_eq(m.s[0].npush, (int)n);
	for (i = 2; i < m.s[0].npush; i++) {
		uint32_t a = m.s[0].push_times[i - 1] - m.s[0].push_times[i - 2];
		uint32_t b = m.s[0].push_times[i] - m.s[0].push_times[i - 1];

		ck_assert_msg(b > a || (a >= KCP_RTO_MAX && b >= KCP_RTO_MAX - 10),
		    "gap %d: %u then %u ms", i, a, b);
	}
	fprintf(stderr, "kcp dead link after %d sends, %u ms (first gap %u ms)\n",
	    m.s[0].npush, m.now - m.s[0].push_times[0],
	    m.s[0].push_times[1] - m.s[0].push_times[0]);
	if (n == KCP_DEADLINK_DEFAULT && !nodelay) {
		/* 200 ms * (1 + 2 + ... + 19) = 38 s, on a 10 ms flush grid */
		ck_assert_uint_ge(m.now - m.s[0].push_times[0], 37000);
		ck_assert_uint_le(m.now - m.s[0].push_times[0], 40000);
	}
	sim_free(&m);
}

START_TEST(test_dead_link)
{
	dead_link(0, 0);
	dead_link(5, 0);
	dead_link(8, 1);
}
END_TEST

/*
 * RTO-only versus fast retransmit (resend 2) on the same lossy links. The
 * link is short (20 ms RTT) and the window small, as on a LAN hop: each
 * loss then stalls the window for the 100 ms minimum RTO without fast
 * retransmit and for about one RTT with it. (On a long link with a
 * steady RTT the RTO tracks the RTT closely and the two are nearer.)
 */
#define FR_LOSS 20 /* per mille, both ways */
#define FR_DELAY 10
#define FR_WND 256

START_TEST(test_fast_retransmit_faster)
{
	uint32_t t[2] = { 0, 0 };
	unsigned seed;
	int r;

	for (seed = 0; seed < 3; seed++) {
		for (r = 0; r < 2; r++) {
			struct sim m;
			uint32_t d;

			sim_init(&m, 14 + seed, FR_LOSS, 0, 0, FR_DELAY);
			kcp_wndsize(m.s[0].k, FR_WND, 0);
			if (r)
				kcp_nodelay(m.s[0].k, -1, -1, 2, -1);
			m.s[0].want = 4u << 20;
			d = sim_run(&m, 600000);
			t[r] += d;
			sim_free(&m);
		}
	}
	fprintf(stderr, "kcp 3 x 4 MiB, %u permille loss, window %u: %u ms RTO only, "
	    "%u ms fast resend\n", FR_LOSS, FR_WND, t[0], t[1]);
	ck_assert_uint_lt(t[1], t[0] / 2);
}
END_TEST

/* Sequence numbers and timestamps crossing 2^32 mid-transfer. */
START_TEST(test_wraparound)
{
	struct sim m;
	int i;

	sim_init(&m, 21, 30, 10, 30, 20);
	m.now = 0xffffff00u; /* the clock wraps too */
	for (i = 0; i < 2; i++) {
		struct kcp *k = m.s[i].k;

		k->snd_una = k->snd_nxt = 0xfffffc00u;
		m.s[1 - i].k->rcv_nxt = 0xfffffc00u;
	}
	kcp_nodelay(m.s[0].k, -1, -1, 2, -1);
	m.s[0].want = 4u << 20;
	m.s[1].want = 1u << 20;
	sim_run(&m, 600000);
	ck_assert_int_gt(kcp_diff(m.s[0].k->snd_nxt, 0), 0);
	ck_assert_uint_lt(m.s[0].k->snd_nxt, 0x10000);
	sim_free(&m);
}
END_TEST

/* Congestion control on (nc 0) still gets everything through. */
START_TEST(test_congestion_control)
{
	struct sim m;

	sim_init(&m, 15, 30, 10, 30, 20);
	kcp_nodelay(m.s[0].k, -1, -1, 2, 0);
	kcp_nodelay(m.s[1].k, -1, -1, 2, 0);
	m.s[0].want = 2u << 20;
	m.s[1].want = 1u << 20;
	sim_run(&m, 600000);
	ck_assert_uint_ge(m.s[0].k->cwnd, 1);
	sim_free(&m);
}
END_TEST

/* --- memory budget -------------------------------------------------------- */


/*
 * Lossy links with a small budget on both ends (a few hundred segments
 * against a window of 65535): every byte still arrives, in order, and
 * the budget is never passed by more than the engine's arrays.
 */
static void
capped_transfer(uint64_t seed, unsigned permille, uint64_t bytes, size_t cap)
{
	struct membudget b[2];
	struct kcp_stats st;
	struct sim m;
	uint32_t t;
	int i;

	sim_init(&m, seed, permille, permille, permille, 40);
	for (i = 0; i < 2; i++) {
		membudget_init(&b[i], cap, NULL);
		ck_assert_int_eq(kcp_set_membudget(m.s[i].k, &b[i]), 0);
	}
	m.s[0].want = bytes;
	m.s[1].want = bytes / 4;
	t = sim_run(&m, 600000);
	while (kcp_pending(m.s[0].k) > 0 || kcp_pending(m.s[1].k) > 0)
		sim_step(&m);
	kcp_stats(m.s[1].k, &st);
	fprintf(stderr, "kcp loss %u‰, budget %zu KiB: %llu bytes in %u ms sim, %llu dropped "
	    "for memory, peak %zu / %zu bytes\n", permille, cap >> 10,
	    (unsigned long long)bytes, t, (unsigned long long)st.mem_drops, b[1].peak, b[0].peak);
	for (i = 0; i < 2; i++)
		ck_assert_uint_le(b[i].peak, cap + (32u << 10)); /* rings, heap, ACK list: forced */
	sim_free(&m);
	ck_assert_uint_eq(b[0].used, 0);
	ck_assert_uint_eq(b[1].used, 0);
}

/* seed, loss per mille, bytes: every loss rate the uncapped tests use. */
static const struct {
	uint64_t seed;
	unsigned permille;
	uint64_t bytes;
} capped_runs[] = {
	{ 11, 0, 4u << 20 },
	{ 12, 10, 2u << 20 },
	{ 13, 50, 2u << 20 },
	{ 14, 200, 1u << 20 },
};

START_TEST(test_capped)
{
	capped_transfer(capped_runs[_i].seed, capped_runs[_i].permille, capped_runs[_i].bytes,
	    256u << 10);
}
END_TEST

static Suite *
kcp_link_suite(void)
{
	Suite *s = suite_create("kcp-link");
	TCase *tc = tcase_create("link");

	tcase_add_test(tc, test_lossless);
	tcase_add_test(tc, test_loss_1);
	tcase_add_test(tc, test_loss_5);
	tcase_add_test(tc, test_loss_20);
	tcase_add_loop_test(tc, test_capped, 0, (int)(sizeof(capped_runs) / sizeof(capped_runs[0])));
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_zero_window_tell);
	tcase_add_test(tc, test_zero_window_probe);
	tcase_add_test(tc, test_window_limits_flight);
	tcase_add_test(tc, test_dead_link);
	tcase_add_test(tc, test_fast_retransmit_faster);
	tcase_add_test(tc, test_congestion_control);
	tcase_add_test(tc, test_wraparound);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kcp_link_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
