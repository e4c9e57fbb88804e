/* SPDX-License-Identifier: MIT */
/*
 * Checked number parsing: every accepted form, every refusal with its
 * errno (EINVAL for junk, ERANGE for out of range), the exact edges of
 * uint64_t and int, and that *out is untouched on failure.
 */
#include "base/num.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>

START_TEST(test_u64)
{
	uint64_t v;

	ck_assert_int_eq(num_parse_u64("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(num_parse_u64("42", 0, 100, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(num_parse_u64("007", 0, 100, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(num_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	ck_assert(v == UINT64_MAX);
	ck_assert_int_eq(num_parse_u64("65535", 0, 65535, &v), 0);

	v = 12345;
	errno = 0;
	ck_assert_int_eq(num_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_u64("65536", 0, 65535, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_u64("4", 5, 10, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_uint_eq(v, 12345);
}
END_TEST

START_TEST(test_u64_junk)
{
	static const char *junk[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.0", "1e3",
		"\t1", "1\n", "--1", "١" };
	uint64_t v = 7;
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		errno = 0;
		ck_assert_msg(num_parse_u64(junk[i], 0, UINT64_MAX, &v) == -1, "'%s'", junk[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	errno = 0;
	ck_assert_int_eq(num_parse_u64(NULL, 0, 1, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_int)
{
	int v;

	ck_assert_int_eq(num_parse_int("0", -5, 5, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(num_parse_int("-0", -5, 5, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(num_parse_int("-5", -5, 5, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(num_parse_int("2147483647", INT_MIN, INT_MAX, &v), 0);
	ck_assert_int_eq(v, INT_MAX);
	ck_assert_int_eq(num_parse_int("-2147483648", INT_MIN, INT_MAX, &v), 0);
	ck_assert_int_eq(v, INT_MIN);

	v = 99;
	errno = 0;
	ck_assert_int_eq(num_parse_int("2147483648", INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_int("-2147483649", INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_int("6", -5, 5, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_int("-6", -5, 5, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_int("99999999999999999999", INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(v, 99);

	errno = 0;
	ck_assert_int_eq(num_parse_int("-", INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(num_parse_int("--1", INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(num_parse_int("+1", INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(num_parse_int("", INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(num_parse_int(NULL, INT_MIN, INT_MAX, &v), -1);
	ck_assert_int_eq(v, 99);
}
END_TEST

/* A port inside a longer string: only n bytes count. */
START_TEST(test_port)
{
	uint16_t v = 7;

	ck_assert_int_eq(num_parse_port("443x", 3, &v), 0);
	ck_assert_uint_eq(v, 443);
	ck_assert_int_eq(num_parse_port("65535", 5, &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(num_parse_port("0", 1, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(num_parse_port("08080", 5, &v), 0);
	ck_assert_uint_eq(v, 8080);
	v = 7;
	ck_assert_int_eq(num_parse_port("65536", 5, &v), -1);
	ck_assert_int_eq(num_parse_port("123456", 6, &v), -1);
	ck_assert_int_eq(num_parse_port("", 0, &v), -1);
	ck_assert_int_eq(num_parse_port("+80", 3, &v), -1);
	ck_assert_int_eq(num_parse_port("8 0", 3, &v), -1);
	ck_assert_int_eq(num_parse_port("0x1f", 4, &v), -1);
	ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_seconds)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} ok[] = {
		{ "0", 0 }, { "1", 1000 }, { "1.5", 1500 }, { "0.001", 1 }, { "0.0009", 0 },
		{ "1.", 1000 }, { ".5", 500 }, { "10.123456789", 10123 }, { "007.25", 7250 },
		{ "86400", 86400000 },
	};
	static const char *junk[] = { "", ".", "-1", "+1", "1.2.3", "1x", "1.x", " 1", "1 ",
		"1.0000000001", "1e3", "0x1" };
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(num_parse_seconds_ms(ok[i].s, UINT64_MAX, &v) == 0, "%s", ok[i].s);
		ck_assert_msg(v == ok[i].ms, "%s: %llu", ok[i].s, (unsigned long long)v);
	}
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		errno = 0;
		ck_assert_msg(num_parse_seconds_ms(junk[i], UINT64_MAX, &v) == -1, "'%s'", junk[i]);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(num_parse_seconds_ms(NULL, 1, &v), -1);

	/* Caps and overflow. */
	ck_assert_int_eq(num_parse_seconds_ms("60", 60000, &v), 0);
	errno = 0;
	ck_assert_int_eq(num_parse_seconds_ms("60.001", 60000, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_seconds_ms("18446744073709551", UINT64_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse_seconds_ms("18446744073709549.999", UINT64_MAX, &v), 0);
	ck_assert(v == 18446744073709549999ULL);
	ck_assert_int_eq(num_parse_seconds_ms("99999999999999999999999", UINT64_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
}
END_TEST

static Suite *
num_suite(void)
{
	Suite *s = suite_create("num");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_u64);
	tcase_add_test(tc, test_u64_junk);
	tcase_add_test(tc, test_int);
	tcase_add_test(tc, test_port);
	tcase_add_test(tc, test_seconds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(num_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
