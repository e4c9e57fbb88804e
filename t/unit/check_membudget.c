/* SPDX-License-Identifier: MIT */
/*
 * Byte budgets: a limit refuses whole charges and charges nothing when it
 * refuses; forced charges pass it; nested budgets charge every level and
 * refuse at the first full one; an admission check counts its refusal;
 * room is the tightest level's; release trims only after enough was
 * freed, absolutely and against what is held.
 */
#include "base/membudget.h"

#include <check.h>
#include <stdint.h>

START_TEST(test_charge_limit)
{
	struct membudget b;

	membudget_init(&b, 1000, NULL);
	ck_assert_int_eq(membudget_would_exceed(&b, 1000), 0);
	ck_assert_int_eq(membudget_would_exceed(&b, 1001), 1);
	ck_assert_int_eq(membudget_would_exceed(&b, SIZE_MAX), 1);
	ck_assert_int_eq(membudget_charge(&b, 600), 0);
	ck_assert_int_eq(membudget_charge(&b, 401), -1);
	ck_assert_uint_eq(b.used, 600);
	ck_assert_uint_eq(b.refused, 1);
	ck_assert_int_eq(membudget_charge(&b, 400), 0);
	ck_assert_uint_eq(membudget_room(&b), 0);
	ck_assert_int_eq(membudget_charge(&b, 1), -1);
	membudget_force(&b, 50);
	ck_assert_uint_eq(b.used, 1050);
	ck_assert_uint_eq(b.peak, 1050);
	ck_assert_uint_eq(membudget_room(&b), 0);
	membudget_uncharge(&b, 1050);
	ck_assert_uint_eq(b.used, 0);
	ck_assert_uint_eq(b.peak, 1050);
	ck_assert_uint_eq(membudget_room(&b), 1000);
}
END_TEST

START_TEST(test_unlimited_and_null)
{
	struct membudget b;

	membudget_init(&b, 0, NULL);
	ck_assert_int_eq(membudget_charge(&b, SIZE_MAX / 2), 0);
	ck_assert_int_eq(membudget_would_exceed(&b, SIZE_MAX / 4), 0);
	ck_assert_uint_eq(membudget_room(&b), SIZE_MAX);
	membudget_uncharge(&b, SIZE_MAX / 2);
	ck_assert_uint_eq(b.used, 0);
	/* NULL: no budget, nothing refused. */
	ck_assert_int_eq(membudget_charge(NULL, 123), 0);
	ck_assert_int_eq(membudget_would_exceed(NULL, SIZE_MAX), 0);
	membudget_force(NULL, 1);
	membudget_uncharge(NULL, 1);
	ck_assert_int_eq(membudget_release(NULL), 0);
}
END_TEST

START_TEST(test_nested)
{
	struct membudget g, a, b;

	membudget_init(&g, 1500, NULL);
	membudget_init(&a, 1000, &g);
	membudget_init(&b, 1000, &g);
	ck_assert_int_eq(membudget_charge(&a, 900), 0);
	ck_assert_uint_eq(g.used, 900);
	/* b's own limit allows it, the global one does not. */
	ck_assert_int_eq(membudget_would_exceed(&b, 700), 1);
	ck_assert_int_eq(membudget_charge(&b, 700), -1);
	ck_assert_uint_eq(b.used, 0);
	ck_assert_uint_eq(g.used, 900);
	ck_assert_uint_eq(g.refused, 1);
	ck_assert_uint_eq(b.refused, 0);
	ck_assert_uint_eq(membudget_room(&b), 600);
	ck_assert_int_eq(membudget_charge(&b, 600), 0);
	ck_assert_uint_eq(g.used, 1500);
	/* a's own limit refuses first. */
	ck_assert_int_eq(membudget_charge(&a, 101), -1);
	ck_assert_uint_eq(a.refused, 1);
	membudget_uncharge(&a, 900);
	membudget_uncharge(&b, 600);
	ck_assert_uint_eq(a.used, 0);
	ck_assert_uint_eq(b.used, 0);
	ck_assert_uint_eq(g.used, 0);
	ck_assert_uint_eq(g.peak, 1500);
}
END_TEST

/* An admission check that refuses counts it where a charge would, and charges nothing. */
START_TEST(test_refuse_counts)
{
	struct membudget g, a;

	membudget_init(&g, 1000, NULL);
	membudget_init(&a, 0, &g);
	ck_assert_int_eq(membudget_refuse(&a, 1000), 0);
	ck_assert_uint_eq(g.refused, 0);
	ck_assert_int_eq(membudget_charge(&a, 800), 0);
	ck_assert_int_eq(membudget_refuse(&a, 201), 1);
	ck_assert_int_eq(membudget_refuse(&a, 201), 1);
	ck_assert_uint_eq(g.refused, 2);
	ck_assert_uint_eq(a.refused, 0);
	ck_assert_uint_eq(g.used, 800);
	ck_assert_int_eq(membudget_refuse(&a, 200), 0);
	ck_assert_uint_eq(g.refused, 2);
	ck_assert_int_eq(membudget_refuse(NULL, SIZE_MAX), 0);
}
END_TEST

START_TEST(test_cost)
{
	/* Small allocations cost at least malloc's header; sizes round up to 16. */
	ck_assert_uint_eq(membudget_cost(0), MEMBUDGET_MALLOC_OVERHEAD);
	ck_assert_uint_eq(membudget_cost(1) % 16, 0);
	ck_assert_uint_ge(membudget_cost(1), 1 + MEMBUDGET_MALLOC_OVERHEAD);
	ck_assert_uint_lt(membudget_cost(1400), 1400 + 2 * MEMBUDGET_MALLOC_OVERHEAD);
}
END_TEST

START_TEST(test_release)
{
	struct membudget g, s;

	membudget_init(&g, 0, NULL);
	membudget_init(&s, 0, &g);
	membudget_force(&s, 100u << 20);
	membudget_uncharge(&s, MEMBUDGET_TRIM_BYTES - 1);
	ck_assert_int_eq(membudget_release(&s), 0); /* not enough freed yet */
	membudget_uncharge(&s, 1);
	/* 8 MiB freed, 92 MiB held: a quarter of that first. */
	ck_assert_int_eq(membudget_release(&s), 0);
	membudget_uncharge(&s, 12u << 20);
	ck_assert_int_eq(membudget_release(&s), 1);
	ck_assert_uint_eq(g.freed, 0);
	ck_assert_uint_eq(g.trims, 1);
	/* The last of a burst is trimmed too. */
	membudget_uncharge(&s, 80u << 20);
	ck_assert_uint_eq(g.used, 0);
	ck_assert_int_eq(membudget_release(&g), 1);
	ck_assert_int_eq(membudget_release(&g), 0);
}
END_TEST

static Suite *
membudget_suite(void)
{
	Suite *s = suite_create("membudget");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, test_charge_limit);
	tcase_add_test(tc, test_unlimited_and_null);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_refuse_counts);
	tcase_add_test(tc, test_cost);
	tcase_add_test(tc, test_release);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(membudget_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
