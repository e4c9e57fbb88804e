/* SPDX-License-Identifier: MIT */
/*
 * The bulk pacer (call/pace.h): a receiver report round-trips, arrives
 * byte by byte (need more until whole), glued to the next RTCP packet
 * (only its own length is consumed), and malformed ones are refused;
 * the receiver's interval accounting (loss, wrap of the sequence
 * number, a new SSRC); the controller: startup growth only while held
 * back, cuts on loss, the no-report timeout, the bucket's depth.
 */
#include "call/pace.h"

#include <check.h>
#include <math.h>
#include <string.h>

static const struct pace_rr rr0 = {
	.ssrc = 0x01020304, .src = 0xa0b0c0d0, .fraction = 51, .cum_lost = 0x123456, .ext_seq = 0x00017fff
};

START_TEST(test_rr_roundtrip)
{
	uint8_t b[PACE_RR_LEN + 40];
	struct pace_rr g;
	size_t cut;

	ck_assert_int_eq(pace_rr_build(&rr0, b, sizeof(b)), PACE_RR_LEN);
	ck_assert_int_eq(b[0], 0x81);
	ck_assert_int_eq(b[1], 201);
	ck_assert_int_eq(pace_rr_parse(b, PACE_RR_LEN, &g), PACE_RR_LEN);
	ck_assert_uint_eq(g.ssrc, rr0.ssrc);
	ck_assert_uint_eq(g.src, rr0.src);
	ck_assert_uint_eq(g.fraction, rr0.fraction);
	ck_assert_uint_eq(g.cum_lost, rr0.cum_lost);
	ck_assert_uint_eq(g.ext_seq, rr0.ext_seq);
	/* drip: every prefix needs more */
	for (cut = 0; cut < PACE_RR_LEN; cut++)
		ck_assert_int_eq(pace_rr_parse(b, cut, &g), 0);
	/* glued: a sender report after it is not consumed */
	memset(b + PACE_RR_LEN, 0, 28);
	b[PACE_RR_LEN] = 0x80;
	b[PACE_RR_LEN + 1] = 200;
	b[PACE_RR_LEN + 3] = 6;
	ck_assert_int_eq(pace_rr_parse(b, PACE_RR_LEN + 28, &g), PACE_RR_LEN);
	ck_assert_int_eq(pace_rr_build(&rr0, b, PACE_RR_LEN - 1), -1);
}
END_TEST

START_TEST(test_rr_malformed)
{
	uint8_t b[PACE_RR_LEN], m[PACE_RR_LEN];
	struct pace_rr g;

	pace_rr_build(&rr0, b, sizeof(b));
	memcpy(m, b, sizeof(m));
	m[0] = 0x41; /* version 1 */
	ck_assert_int_eq(pace_rr_parse(m, sizeof(m), &g), -1);
	memcpy(m, b, sizeof(m));
	m[1] = 200; /* a sender report */
	ck_assert_int_eq(pace_rr_parse(m, sizeof(m), &g), -1);
	memcpy(m, b, sizeof(m));
	m[0] = 0x80; /* no report block */
	ck_assert_int_eq(pace_rr_parse(m, sizeof(m), &g), -1);
	memcpy(m, b, sizeof(m));
	m[3] = 1; /* 8 bytes cannot hold a block */
	ck_assert_int_eq(pace_rr_parse(m, sizeof(m), &g), -1);
	memcpy(m, b, sizeof(m));
	m[0] = 0x82; /* two blocks in the length of one */
	ck_assert_int_eq(pace_rr_parse(m, sizeof(m), &g), -1);
	memcpy(m, b, sizeof(m));
	m[3] = 8; /* longer than what arrived: need more */
	ck_assert_int_eq(pace_rr_parse(m, sizeof(m), &g), 0);
}
END_TEST

START_TEST(test_rx_interval)
{
	struct pace_rx rx;
	struct pace_rr rr;
	unsigned i;

	memset(&rx, 0, sizeof(rx));
	ck_assert_int_eq(pace_rx_report(&rx, 9, &rr), 0);
	/* 100 sent from 65500 (wrapping), every 4th lost */
	for (i = 0; i < 100; i++)
		if (i % 4 != 3)
			pace_rx_seen(&rx, 7, (uint16_t)(65500 + i));
	pace_rx_seen(&rx, 7, 65599 - 65536); /* the last one arrives */
	ck_assert_int_eq(pace_rx_report(&rx, 9, &rr), 1);
	ck_assert_uint_eq(rr.ssrc, 9);
	ck_assert_uint_eq(rr.src, 7);
	ck_assert_uint_eq(rr.ext_seq, 65536 + 63);
	ck_assert_uint_eq(rr.cum_lost, 24);
	ck_assert_uint_eq(rr.fraction, 24 * 256 / 100);
	/* nothing new: no report */
	ck_assert_int_eq(pace_rx_report(&rx, 9, &rr), 0);
	/* the next interval: all arrive, a duplicate and a late one too */
	for (i = 100; i < 150; i++)
		pace_rx_seen(&rx, 7, (uint16_t)(65500 + i));
	pace_rx_seen(&rx, 7, (uint16_t)(65500 + 140));
	ck_assert_int_eq(pace_rx_report(&rx, 9, &rr), 1);
	ck_assert_uint_eq(rr.fraction, 0);
	ck_assert_uint_eq(rr.ext_seq, 65536 + 113);
	/* a new stream starts over */
	pace_rx_seen(&rx, 8, 10);
	ck_assert_int_eq(pace_rx_report(&rx, 9, &rr), 1);
	ck_assert_uint_eq(rr.src, 8);
	ck_assert_uint_eq(rr.cum_lost, 0);
	ck_assert_uint_eq(rr.ext_seq, 10);
}
END_TEST

START_TEST(test_controller)
{
	struct pace p;
	struct pace_rr rr;
	double t = 100, r;

	memset(&rr, 0, sizeof(rr));
	pace_init(&p, t);
	ck_assert(p.rate == PACE_RATE_INIT);
	/* an idle sender is not raised */
	pace_on_report(&p, &rr, t);
	ck_assert(p.rate == PACE_RATE_INIT);
	/* held back: startup grows by half a report */
	pace_refill(&p, t);
	while (pace_may_send(&p))
		pace_spent(&p, 1200);
	ck_assert(pace_wait(&p, 1200) > 0);
	pace_on_report(&p, &rr, t += 0.025);
	ck_assert(p.rate == PACE_RATE_INIT * 1.5);
	/* loss: a cut by half the fraction, the end of startup */
	r = p.rate;
	rr.fraction = 64;
	pace_on_report(&p, &rr, t += 0.025);
	ck_assert(p.rate < r * 0.876 && p.rate > r * 0.874);
	ck_assert_uint_eq(p.cuts, 1);
	/* after startup, growth is 5 % */
	rr.fraction = 0;
	r = p.rate;
	pace_wait(&p, 1200);
	pace_on_report(&p, &rr, t += 0.025);
	ck_assert(p.rate > r * 1.049 && p.rate < r * 1.051);
	/* no report for PACE_RR_TIMEOUT while sending: halve, once per timeout */
	r = p.rate;
	pace_refill(&p, t += 0.001);
	pace_spent(&p, 1200);
	pace_tick(&p, t + PACE_RR_TIMEOUT / 2);
	ck_assert(p.rate == r);
	pace_tick(&p, t + PACE_RR_TIMEOUT + 0.01);
	ck_assert(p.rate == r / 2);
	pace_tick(&p, t + PACE_RR_TIMEOUT + 0.02);
	ck_assert(p.rate == r / 2);
	/* an idle sender never times out */
	pace_tick(&p, t + 100);
	ck_assert(p.rate == r / 2);
	/* the floor */
	rr.fraction = 255;
	for (int i = 0; i < 200; i++)
		pace_on_report(&p, &rr, t += 0.025);
	ck_assert(p.rate == PACE_RATE_MIN);
}
END_TEST

START_TEST(test_window)
{
	struct pace p;
	struct pace_rr rr;
	double t = 5, r;
	uint16_t seq = 65500; /* wraps on the way */
	unsigned i;

	memset(&rr, 0, sizeof(rr));
	pace_init(&p, t);
	ck_assert_uint_eq(pace_in_flight(&p), 0);
	ck_assert(pace_window_open(&p, t));
	for (i = 0; i < PACE_WND_PKTS; i++)
		pace_sent_seq(&p, seq++, t);
	ck_assert_uint_eq(pace_in_flight(&p), PACE_WND_PKTS);
	ck_assert(!pace_window_open(&p, t));
	ck_assert_uint_eq(p.wnd_waits, 1);
	/* a report of the first 16 (extended: the receiver counts a wrap) opens it */
	rr.ext_seq = 65500 + 15;
	pace_on_report(&p, &rr, t);
	ck_assert_uint_eq(pace_in_flight(&p), PACE_WND_PKTS - 16);
	/* an older report (reordered) never takes it back */
	rr.ext_seq = 65500 + 3;
	pace_on_report(&p, &rr, t += 0.001);
	ck_assert_uint_eq(pace_in_flight(&p), PACE_WND_PKTS - 16);
	/* nor one beyond what was sent */
	rr.ext_seq = 65500 + PACE_WND_PKTS + 100;
	pace_on_report(&p, &rr, t += 0.001);
	ck_assert_uint_eq(pace_in_flight(&p), PACE_WND_PKTS - 16);
	/* across the wrap (the last sent is 65536 + seq - 1) */
	ck_assert_uint_ge(seq, 8);
	rr.ext_seq = 65536u + seq - 8;
	pace_on_report(&p, &rr, t += 0.001);
	ck_assert_uint_eq(pace_in_flight(&p), 7);
	/* reports sooner than about an interval after a judgement move only the window */
	r = p.rate;
	rr.cum_lost = 30;
	rr.fraction = 255;
	pace_on_report(&p, &rr, t += 0.005);
	ck_assert(p.rate == r);
	ck_assert_uint_eq(p.cuts, 0);
	/* the next judgement: 30 lost of the PACE_WND_PKTS - 16 expected since the first, a cut */
	rr.fraction = 0;
	rr.ext_seq = 65536u + seq - 1;
	pace_on_report(&p, &rr, t += PACE_RR_IVL);
	ck_assert_uint_eq(pace_in_flight(&p), 0);
	ck_assert_uint_eq(p.cuts, 1);
	{
		double loss = 30.0 / (PACE_WND_PKTS - 16), want = r * (1 - 0.5 * (loss > 1 ? 1 : loss));

		ck_assert(p.rate < want * 1.001 && p.rate > want * 0.999);
	}
	/* no report for PACE_RR_TIMEOUT while sending: what was in flight is lost */
	pace_refill(&p, t);
	pace_spent(&p, 1200);
	pace_sent_seq(&p, seq++, t);
	ck_assert(pace_in_flight(&p) > 0);
	pace_tick(&p, t + PACE_RR_TIMEOUT + 0.01);
	ck_assert_uint_eq(pace_in_flight(&p), 0);
	ck_assert(pace_window_open(&p, t));
}
END_TEST

/* Round trips from the send times kept by sequence number; the time a closed window kept us waiting. */
START_TEST(test_window_timing)
{
	struct pace p;
	struct pace_rr rr;
	double t = 10;
	uint16_t seq = 65530;
	unsigned i;

	memset(&rr, 0, sizeof(rr));
	pace_init(&p, t);
	for (i = 0; i < PACE_WND_PKTS; i++)
		pace_sent_seq(&p, seq++, t + i * 0.0001);
	ck_assert(!pace_window_open(&p, t + 0.005));
	ck_assert(!pace_window_open(&p, t + 0.006)); /* one wait, counted once */
	ck_assert_uint_eq(p.wnd_waits, 1);
	/* the 8th packet (sent at +0.7 ms) reported at +7.7 ms: a sample of 7 ms; the wait ends */
	rr.ext_seq = 65536u + 1;
	pace_on_report(&p, &rr, t + 0.0077);
	ck_assert_uint_eq(p.rtt_samples, 1);
	ck_assert(fabs(p.rtt_min - 0.007) < 1e-9);
	ck_assert(fabs(p.wnd_closed - 0.0027) < 1e-9);
	ck_assert(pace_window_open(&p, t + 0.008));
	/* a later report: a bigger round trip raises the mean, not the minimum */
	rr.ext_seq = 65536u + 14; /* the 21st, sent at +2 ms */
	pace_on_report(&p, &rr, t + 0.012);
	ck_assert_uint_eq(p.rtt_samples, 2);
	ck_assert(fabs(p.rtt_min - 0.007) < 1e-9);
	ck_assert(fabs(p.rtt_sum - 0.017) < 1e-9);
	/* the timeout ends a wait too */
	for (i = 0; i < PACE_WND_PKTS; i++)
		pace_sent_seq(&p, seq++, t + 0.01);
	pace_spent(&p, 1200);
	ck_assert(!pace_window_open(&p, t + 0.02));
	pace_tick(&p, t + 0.02 + PACE_RR_TIMEOUT + 0.1);
	ck_assert(pace_window_open(&p, t + 1));
	ck_assert_uint_eq(p.wnd_waits, 2);
}
END_TEST

/*
 * A sender that may send per_ms packets a millisecond (the bottleneck,
 * no queue) over a path of round trip rtt, reported every millisecond,
 * for ms milliseconds: the packets reported in the last second.
 */
static unsigned
sim(struct pace *p, double rtt, unsigned per_ms, unsigned ms)
{
	static double sent_at[65536];
	struct pace_rr rr;
	uint16_t seq = 1000;
	uint32_t next = 1000, reported = 0, at_last_second = 0;
	unsigned i, k;
	double t;

	memset(&rr, 0, sizeof(rr));
	pace_init(p, 0);
	for (i = 1; i <= ms; i++) {
		t = i * 0.001;
		/* the report: every packet that has had its round trip */
		while (next != seq && sent_at[(uint16_t)next] + rtt <= t + 1e-9)
			next++;
		if (next != 1000 && next - 1 != reported) {
			reported = next - 1;
			rr.ext_seq = reported;
			pace_on_report(p, &rr, t);
		}
		if (i == ms - 1000)
			at_last_second = reported;
		for (k = 0; k < per_ms && pace_window_open(p, t); k++) {
			sent_at[seq] = t;
			pace_sent_seq(p, seq++, t);
		}
	}
	return reported - at_last_second;
}

/* The window from the delivery rate and the least round trip. */
START_TEST(test_window_bdp)
{
	struct pace p;
	unsigned got;

	/* 100 ms, 2,000 packets/s: a fixed 48 would deliver 480/s; two BDPs are 400 packets */
	got = sim(&p, 0.1, 2, 4000);
	ck_assert_uint_gt(got, 1800);
	ck_assert_uint_ge(pace_wnd(&p), 300);
	ck_assert_uint_le(pace_wnd(&p), 500);
	ck_assert_uint_le(p.wnd_top, PACE_WND_MAX);
	/* 100 ms, 50,000 packets/s: at most PACE_WND_MAX */
	sim(&p, 0.1, 50, 3000);
	ck_assert_uint_eq(pace_wnd(&p), PACE_WND_MAX);
	/* short: a round trip of 1 ms (the tick) at 20,000 packets/s, two BDPs of 40: the floor */
	sim(&p, 0.0001, 20, 2000);
	ck_assert_uint_eq(pace_wnd(&p), PACE_WND_PKTS);
	ck_assert_uint_eq(p.wnd_top, PACE_WND_PKTS);
}
END_TEST

START_TEST(test_bucket)
{
	struct pace p;

	pace_init(&p, 0);
	/* a long pause fills the bucket to its depth, no more */
	pace_refill(&p, 10);
	ck_assert(p.tokens == pace_burst(&p));
	ck_assert(pace_burst(&p) >= PACE_BURST_MIN && pace_burst(&p) <= PACE_BURST_MAX);
	p.rate = PACE_RATE_MAX;
	ck_assert(pace_burst(&p) == PACE_BURST_MAX);
	p.rate = PACE_RATE_MIN;
	ck_assert(pace_burst(&p) == PACE_BURST_MIN);
	/* spending below zero by one packet, then the wait for the next */
	p.tokens = 100;
	ck_assert(pace_may_send(&p));
	pace_spent(&p, 1200);
	ck_assert(!pace_may_send(&p));
	ck_assert(pace_wait(&p, 1200) > 2299 / PACE_RATE_MIN);
	ck_assert(pace_wait(&p, 1200) < 2301 / PACE_RATE_MIN);
}
END_TEST

static Suite *
pace_suite(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("pace");

	tcase_add_test(tc, test_rr_roundtrip);
	tcase_add_test(tc, test_rr_malformed);
	tcase_add_test(tc, test_rx_interval);
	tcase_add_test(tc, test_controller);
	tcase_add_test(tc, test_bucket);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_window_timing);
	tcase_add_test(tc, test_window_bdp);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
