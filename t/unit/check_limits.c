/* SPDX-License-Identifier: MIT */
/*
 * The egress's per-source table and refusal counters: keys (IPv4, IPv6
 * by /64, IPv4-mapped as IPv4, UNIX sockets keyless), the per-source
 * cap, a full table, churn against a reference model (deletion by
 * backward shift must keep every other key findable) and the metrics.
 */
#include "egress/limits.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static struct limit_key
key_of(const char *addr)
{
	struct sockaddr_storage ss;
	struct limit_key k;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':') != NULL) {
		ss.ss_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	} else {
		ss.ss_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr), 1);
	}
	ck_assert_int_eq(limits_key(&ss, &k), 0);
	return k;
}

START_TEST(test_keys)
{
	struct limit_key a = key_of("2001:db8:1:2::1"), b = key_of("2001:db8:1:2:ffff::9");
	struct limit_key c = key_of("2001:db8:1:3::1"), d = key_of("::ffff:192.0.2.7");
	struct limit_key e = key_of("192.0.2.7");
	struct sockaddr_storage ss;
	struct limit_key k;

	ck_assert(memcmp(&a, &b, sizeof(a)) == 0); /* same /64 */
	ck_assert(memcmp(&a, &c, sizeof(a)) != 0);
	ck_assert(memcmp(&d, &e, sizeof(d)) == 0); /* mapped is its IPv4 */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(limits_key(&ss, &k), -1);
}
END_TEST

START_TEST(test_per_source)
{
	struct limits l;
	struct limit_key a = key_of("192.0.2.1"), b = key_of("192.0.2.2");
	int i;

	ck_assert_int_eq(limits_init(&l, 3, 100), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(limits_take(&l, &a), 0);
	ck_assert_int_eq(limits_take(&l, &a), -1);
	ck_assert_uint_eq(limits_held(&l, &a), 3);
	ck_assert_int_eq(limits_take(&l, &b), 0); /* others are not affected */
	limits_give(&l, &a);
	ck_assert_int_eq(limits_take(&l, &a), 0);
	for (i = 0; i < 3; i++)
		limits_give(&l, &a);
	ck_assert_uint_eq(limits_held(&l, &a), 0);
	ck_assert_uint_eq(l.used, 1);
	limits_give(&l, &a); /* giving what is not held changes nothing */
	ck_assert_uint_eq(l.used, 1);
	limits_free(&l);
}
END_TEST

START_TEST(test_full)
{
	struct limits l;
	struct limit_key k;
	uint32_t i, ok = 0;

	ck_assert_int_eq(limits_init(&l, 0, 8), 0); /* 16 slots, at most 8 keys */
	for (i = 0; i < 20; i++) {
		memset(&k, 0, sizeof(k));
		memcpy(k.a, &i, sizeof(i));
		ok += limits_take(&l, &k) == 0;
	}
	ck_assert_uint_eq(ok, 8);
	limits_free(&l);
}
END_TEST

/* Random takes and gives against a plain array: every count stays right. */
START_TEST(test_churn)
{
	enum { NK = 600, STEPS = 200000 };
	static uint32_t model[NK];
	struct limits l;
	struct limit_key k;
	unsigned seed = 7;
	uint32_t i;
	int s;

	memset(model, 0, sizeof(model));
	ck_assert_int_eq(limits_init(&l, 5, NK), 0);
	for (s = 0; s < STEPS; s++) {
		i = (uint32_t)rand_r(&seed) % NK;
		memset(&k, 0, sizeof(k));
		memcpy(k.a, &i, sizeof(i));
		if (rand_r(&seed) % 2) {
			int r = limits_take(&l, &k);

			ck_assert_int_eq(r, model[i] < 5 ? 0 : -1);
			model[i] += r == 0;
		} else {
			limits_give(&l, &k);
			model[i] -= model[i] > 0;
		}
		if (s % 997 == 0) {
			uint32_t j, used = 0;

			for (j = 0; j < NK; j++) {
				memset(&k, 0, sizeof(k));
				memcpy(k.a, &j, sizeof(j));
				ck_assert_uint_eq(limits_held(&l, &k), model[j]);
				used += model[j] > 0;
			}
			ck_assert_uint_eq(l.used, used);
		}
	}
	limits_free(&l);
}
END_TEST

START_TEST(test_metrics)
{
	struct limits l;
	char out[2048];
	int n;

	ck_assert_int_eq(limits_init(&l, 0, 4), 0);
	limits_refuse(&l, LIMIT_SOURCE, 1.0);
	limits_refuse(&l, LIMIT_SOURCE, 1.5);
	limits_refuse(&l, LIMIT_HANDSHAKE, 2.0);
	n = limits_metrics(&l, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(out, "egress_refused_total{reason=\"max_per_source\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(out, "egress_refused_total{reason=\"handshake_timeout\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "egress_refused_total{reason=\"max_conns\"} 0\n"));
	ck_assert_int_eq(limits_metrics(&l, out, 40), -1);
	limits_free(&l);
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_per_source);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_churn);
	tcase_add_test(tc, test_metrics);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(limits_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
