/* SPDX-License-Identifier: MIT */
/*
 * egress/watch_bucket and the watch engine: least-recently-seen
 * eviction at the cap, the sliding window (slots expire, late events
 * are refused), the distinct-count estimate's accuracy, and findings
 * reported once per window per bucket and rule.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerconn-watch/watch.h"
#include "peerconn-watch/watch_bucket.h"

#define S 1000000LL

static struct watch_table t;

static struct watch_key
v4(uint8_t last)
{
	struct watch_key k;

	memset(&k, 0, sizeof(k));
	k.kind = WATCH_KEY_V4;
	k.len = 4;
	k.b[0] = 192;
	k.b[3] = last;
	return k;
}

static struct watch_event
accept_ev(int64_t t_us, uint64_t host, uint16_t port)
{
	struct watch_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = WATCH_EV_ACCEPT;
	ev.time_us = t_us;
	ev.has_dest = 1;
	ev.dest_hash = host;
	ev.dest_port = port;
	ev.duration_us = -1;
	return ev;
}

START_TEST(test_lru_eviction)
{
	struct watch_key k;
	struct watch_bucket *b0, *b;
	int i;

	ck_assert_int_eq(watch_table_init(&t, 4, 60 * S, 42), 0);
	for (i = 0; i < 4; i++) {
		k = v4((uint8_t)i);
		watch_table_get(&t, &k)->total_events = (uint64_t)i + 100;
	}
	ck_assert_uint_eq(t.n, 4);
	/* Touch 0: now 1 is the least recently seen and goes first. */
	k = v4(0);
	b0 = watch_table_get(&t, &k);
	ck_assert_uint_eq(b0->total_events, 100);
	k = v4(9);
	b = watch_table_get(&t, &k);
	ck_assert_uint_eq(t.evicted, 1);
	ck_assert_uint_eq(b->total_events, 0);
	k = v4(1);
	ck_assert_uint_eq(watch_table_get(&t, &k)->total_events, 0); /* gone, recreated */
	ck_assert_uint_eq(t.evicted, 2);                          /* and evicted 2 */
	for (i = 0; i < 1000; i++) {
		k = v4((uint8_t)(i % 7));
		(void)watch_table_get(&t, &k);
	}
	ck_assert_uint_eq(t.n, 4);
	watch_table_free(&t);
	ck_assert_int_eq(watch_table_init(&t, 0, 60 * S, 1), -1);
}
END_TEST

START_TEST(test_window)
{
	struct watch_key k = v4(1);
	struct watch_bucket *b;
	struct watch_event ev;
	struct watch_agg a;
	int i;

	ck_assert_int_eq(watch_table_init(&t, 8, 80 * S, 1), 0); /* 8 slots of 10 s */
	b = watch_table_get(&t, &k);
	for (i = 0; i < 80; i++) {
		ev = accept_ev(1000 * S + i * S, 1, 80);
		ck_assert_int_eq(watch_bucket_add(&t, b, &ev, 5 * S), 0);
	}
	watch_bucket_agg(&t, b, 1079 * S, &a);
	ck_assert_uint_eq(a.accepts, 80);
	/* 10 s later the oldest slot has left the window. */
	watch_bucket_agg(&t, b, 1089 * S, &a);
	ck_assert_uint_eq(a.accepts, 70);
	watch_bucket_agg(&t, b, 2000 * S, &a);
	ck_assert_uint_eq(a.accepts, 0);
	/* Late: older than the window of the bucket's newest event. */
	ev = accept_ev(999 * S, 1, 80);
	ck_assert_int_eq(watch_bucket_add(&t, b, &ev, 5 * S), -1);
	ev = accept_ev(1075 * S, 1, 80);
	ck_assert_int_eq(watch_bucket_add(&t, b, &ev, 5 * S), 0);
	/* A jump far ahead clears every slot. */
	ev = accept_ev(5000 * S, 1, 80);
	ck_assert_int_eq(watch_bucket_add(&t, b, &ev, 5 * S), 0);
	watch_bucket_agg(&t, b, 5000 * S, &a);
	ck_assert_uint_eq(a.accepts, 1);
	watch_table_free(&t);
}
END_TEST

START_TEST(test_distinct_estimate)
{
	struct watch_key k = v4(1);
	struct watch_bucket *b;
	struct watch_event ev;
	struct watch_agg a;
	uint64_t i, n;

	for (n = 1; n <= 1000; n = n < 10 ? n + 1 : n * 2) {
		ck_assert_int_eq(watch_table_init(&t, 1, 60 * S, 1), 0);
		b = watch_table_get(&t, &k);
		for (i = 0; i < n; i++) {
			/* FNV-like spread hashes, as the parser makes them; each twice. */
			ev = accept_ev(S, (i + 1) * 0x100000001b3ULL ^ (i << 40), (uint16_t)(1000 + i));
			watch_bucket_add(&t, b, &ev, S);
			watch_bucket_add(&t, b, &ev, S);
		}
		watch_bucket_agg(&t, b, S, &a);
		ck_assert_uint_eq(a.accepts, 2 * n);
		if (n <= 10) {
			ck_assert_msg(a.hosts + 1 >= n && a.hosts <= n + 1, "n=%llu hosts=%llu",
			              (unsigned long long)n, (unsigned long long)a.hosts);
		} else {
			ck_assert_msg(a.hosts * 10 >= n * 8 && a.hosts * 10 <= n * 12,
			              "n=%llu hosts=%llu", (unsigned long long)n,
			              (unsigned long long)a.hosts);
			ck_assert_msg(a.ports * 10 >= n * 8 && a.ports * 10 <= n * 12,
			              "n=%llu ports=%llu", (unsigned long long)n,
			              (unsigned long long)a.ports);
		}
		watch_table_free(&t);
		if (n >= 160)
			break; /* beyond that the 256-bit map saturates by design */
	}
}
END_TEST

START_TEST(test_findings_once_per_window)
{
	struct watch_rules r;
	struct watch w;
	char line[256], *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int i;

	watch_rules_default(&r);
	r.rate_accepts = 5;
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(watch_init(&w, &r, 10 * S, 16, 0, out, 7), 0);
	/* One accept a second for 25 s: fires at 4, again at 14 and 24 (not in between). */
	for (i = 0; i < 25; i++) {
		snprintf(line, sizeof(line),
		         "{\"time\":%d,\"event\":\"accept\",\"source\":\"10.0.0.1:1\","
		         "\"destination\":\"h%d:80\"}", i, i % 2);
		watch_line(&w, line, strlen(line));
	}
	watch_line(&w, "junk", 4);
	watch_line(&w, NULL, 0);
	fflush(out);
	ck_assert_str_eq(buf, "4.000000\trate\t10.0.0.1\taccepts=5 hosts=2\n"
	                      "14.000000\trate\t10.0.0.1\taccepts=10 hosts=2\n"
	                      "24.000000\trate\t10.0.0.1\taccepts=10 hosts=2\n");
	ck_assert_uint_eq(w.st.findings, 3);
	ck_assert_uint_eq(w.st.garbage, 2);
	ck_assert_uint_eq(w.st.events, 25);
	watch_free(&w);
	fclose(out);
	free(buf);
}
END_TEST

static Suite *
watch_bucket_suite(void)
{
	Suite *s = suite_create("watch_bucket");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_lru_eviction);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_distinct_estimate);
	tcase_add_test(tc, test_findings_once_per_window);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(watch_bucket_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
