/* SPDX-License-Identifier: MIT */
/*
 * The fleet's health and picks (stun/fleet): unhealthy after 3
 * consecutive failures, a success resets the count, healing after
 * 5 min with the count reset, refused credentials unhealthy at once, no
 * pick when none is healthy, never the last pick twice in a row while
 * another is healthy, and the picks spread uniformly.
 */
#include "stun/fleet.h"

#include <check.h>
#include <stdlib.h>

START_TEST(test_health)
{
	struct fleet f;

	fleet_init(&f, 2);
	fleet_fail(&f, 0, 1000, 0);
	fleet_fail(&f, 0, 1000, 0);
	ck_assert(fleet_healthy(&f, 0, 1000));
	fleet_ok(&f, 0);
	fleet_fail(&f, 0, 2000, 0);
	fleet_fail(&f, 0, 2000, 0);
	ck_assert(fleet_healthy(&f, 0, 2000));
	fleet_fail(&f, 0, 3000, 0);
	ck_assert(!fleet_healthy(&f, 0, 3000));
	ck_assert_uint_eq(fleet_nhealthy(&f, 3000), 1);
	/* Only endpoint 1 is picked while 0 is sick. */
	for (uint32_t r = 0; r < 20; r++)
		ck_assert_int_eq(fleet_pick(&f, 3000 + r, r), 1);
	/* Heals 5 min later, its count reset: one failure does not make it sick again. */
	ck_assert(!fleet_healthy(&f, 0, 3000 + FLEET_HEAL_MS - 1));
	ck_assert(fleet_healthy(&f, 0, 3000 + FLEET_HEAL_MS));
	fleet_fail(&f, 0, 3000 + FLEET_HEAL_MS, 0);
	ck_assert(fleet_healthy(&f, 0, 3000 + FLEET_HEAL_MS));
	/* Refused credentials: sick at once. */
	fleet_fail(&f, 1, 5000, 1);
	ck_assert(!fleet_healthy(&f, 1, 5000));
	/* Time 0 is a time like another. */
	fleet_init(&f, 1);
	fleet_fail(&f, 0, 0, 1);
	ck_assert(!fleet_healthy(&f, 0, 0));
	ck_assert_int_eq(fleet_pick(&f, 0, 7), -1);
	ck_assert_uint_eq(f.ep[0].failures, 1);
}
END_TEST

START_TEST(test_picks)
{
	enum { N = 4, ROUNDS = 40000 };
	unsigned count[N] = { 0 };
	struct fleet f;
	int i, last = -1;

	fleet_init(&f, N);
	srand(42);
	for (i = 0; i < ROUNDS; i++) {
		int p = fleet_pick(&f, 1, (uint32_t)rand());

		ck_assert(p >= 0 && p < N);
		ck_assert_int_ne(p, last);
		last = p;
		count[p]++;
	}
	for (i = 0; i < N; i++)
		ck_assert_msg(count[i] > ROUNDS / N * 9 / 10 && count[i] < ROUNDS / N * 11 / 10, "%d: %u", i,
		    count[i]);
	/* One healthy endpoint is picked again and again. */
	fleet_init(&f, 2);
	fleet_fail(&f, 0, 1, 1);
	ck_assert_int_eq(fleet_pick(&f, 1, 0), 1);
	ck_assert_int_eq(fleet_pick(&f, 1, 1), 1);
	/* A single endpoint too. */
	fleet_init(&f, 1);
	ck_assert_int_eq(fleet_pick(&f, 1, 5), 0);
	ck_assert_int_eq(fleet_pick(&f, 1, 6), 0);
	ck_assert_uint_eq(f.ep[0].picks, 2);
	/* Empty and oversized fleets. */
	fleet_init(&f, 0);
	ck_assert_int_eq(fleet_pick(&f, 1, 5), -1);
	fleet_init(&f, FLEET_MAX + 5);
	ck_assert_uint_eq(f.n, FLEET_MAX);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nfail;

	tcase_add_test(tc, test_health);
	tcase_add_test(tc, test_picks);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? 0 : 1;
}
