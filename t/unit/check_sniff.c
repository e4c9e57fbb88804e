/* SPDX-License-Identifier: MIT */
/*
 * egress/sniff: first-bytes classification, fed whole, one byte at a
 * time, glued to what follows, and diverging at every position.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "egress/sniff.h"

static const uint8_t socks_greeting[] = { 0x05, 0x01, 0x00 };
static const uint8_t pv2_sig[] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};
static const uint8_t token[] = { 0x12, 0x93, 0x60, 0x5d, 0x27, 0x81, 0x75, 0xf5 };

/* Every proper prefix says MORE (or the final answer once it is known), the whole says want. */
static void
drip(const uint8_t *p, size_t n, size_t decided_at, enum sniff_kind want)
{
	size_t i;

	ck_assert_int_eq(sniff_classify(p, 0), SNIFF_MORE);
	for (i = 1; i <= n; i++)
		ck_assert_int_eq(sniff_classify(p, i), i < decided_at ? SNIFF_MORE : want);
}

START_TEST(test_socks5)
{
	drip(socks_greeting, sizeof(socks_greeting), 1, SNIFF_SOCKS5);
}
END_TEST

START_TEST(test_proxyv2)
{
	drip(pv2_sig, sizeof(pv2_sig), sizeof(pv2_sig), SNIFF_PROXYV2);
}
END_TEST

START_TEST(test_turbo)
{
	ck_assert_int_eq(SNIFF_TURBO_TOKEN_LEN, 8);
	ck_assert_mem_eq(sniff_turbo_token, token, sizeof(token));
	drip(token, sizeof(token), sizeof(token), SNIFF_TURBO);
}
END_TEST

START_TEST(test_turbo_secure)
{
	static const uint8_t st[] = { 0xbb, 0x6f, 0x23, 0x68, 0x1b, 0x15, 0x0a, 0x1f };
	uint8_t mixed[8];

	ck_assert_mem_eq(sniff_secure_token, st, sizeof(st));
	drip(st, sizeof(st), sizeof(st), SNIFF_TURBO);
	/* The two tokens do not mix. */
	memcpy(mixed, st, 4);
	memcpy(mixed + 4, token + 4, 4);
	ck_assert_int_eq(sniff_classify(mixed, sizeof(mixed)), SNIFF_UNKNOWN);
}
END_TEST

START_TEST(test_glued)
{
	uint8_t b[64];

	memcpy(b, token, sizeof(token));
	memset(b + sizeof(token), 0xab, sizeof(b) - sizeof(token));
	ck_assert_int_eq(sniff_classify(b, sizeof(b)), SNIFF_TURBO);
	memcpy(b, pv2_sig, sizeof(pv2_sig));
	ck_assert_int_eq(sniff_classify(b, sizeof(b)), SNIFF_PROXYV2);
	memcpy(b, socks_greeting, sizeof(socks_greeting));
	ck_assert_int_eq(sniff_classify(b, sizeof(b)), SNIFF_SOCKS5);
}
END_TEST

/* A wrong byte at position _i of the token or signature: unknown at once. */
START_TEST(test_diverge)
{
	uint8_t b[16];

	if ((size_t)_i < sizeof(token)) {
		memcpy(b, token, sizeof(token));
		b[_i] ^= 0x40;
		ck_assert_int_eq(sniff_classify(b, (size_t)_i + 1), SNIFF_UNKNOWN);
		ck_assert_int_eq(sniff_classify(b, sizeof(token)), SNIFF_UNKNOWN);
	}
	memcpy(b, pv2_sig, sizeof(pv2_sig));
	b[_i] ^= 0x40;
	ck_assert_int_eq(sniff_classify(b, (size_t)_i + 1), SNIFF_UNKNOWN);
	ck_assert_int_eq(sniff_classify(b, sizeof(pv2_sig)), SNIFF_UNKNOWN);
}
END_TEST

START_TEST(test_unknown)
{
	static const char *probes[] = { "GET / HTTP/1.1\r\n", "\x16\x03\x01\x02\x00", "\x04\x01\x00\x50",
		                        "SSH-2.0-x", "\r\n\r\nX" };
	size_t i;
	unsigned b;
	uint8_t c;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		ck_assert_int_eq(sniff_classify((const uint8_t *)probes[i], strlen(probes[i])), SNIFF_UNKNOWN);
	/* A prefix of the PROXY v2 signature is not decided yet. */
	ck_assert_int_eq(sniff_classify((const uint8_t *)"\r\n", 2), SNIFF_MORE);
	/* Only four first bytes can lead anywhere. */
	for (b = 0; b < 256; b++) {
		c = (uint8_t)b;
		if (b == 0x05 || b == 0x0d || b == 0x12 || b == 0xbb)
			ck_assert_int_ne(sniff_classify(&c, 1), SNIFF_UNKNOWN);
		else
			ck_assert_int_eq(sniff_classify(&c, 1), SNIFF_UNKNOWN);
	}
	ck_assert_str_eq(sniff_kind_str(SNIFF_TURBO), "turbo-tunnel");
	ck_assert_str_eq(sniff_kind_str((enum sniff_kind)42), "unknown");
}
END_TEST

static Suite *
sniff_suite(void)
{
	Suite *s = suite_create("sniff");
	TCase *tc = tcase_create("classify");

	tcase_add_test(tc, test_socks5);
	tcase_add_test(tc, test_proxyv2);
	tcase_add_test(tc, test_turbo);
	tcase_add_test(tc, test_turbo_secure);
	tcase_add_test(tc, test_glued);
	tcase_add_loop_test(tc, test_diverge, 0, (int)sizeof(pv2_sig));
	tcase_add_test(tc, test_unknown);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sniff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
