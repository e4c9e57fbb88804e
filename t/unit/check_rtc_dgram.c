/* SPDX-License-Identifier: MIT */
/*
 * DTLS record boundaries (common/rtc/rtc_dgram.h), as the rtc layer cuts
 * a UDP_GRO buffer: 1.2 and 1.3 (unified header with length) records,
 * every prefix asking for more (drip), records glued one after another
 * as the kernel hands a run of datagrams over, and the malformed or
 * undelimitable: STUN, a wrong version, a connection ID, no length.
 */
#include "rtc/rtc_dgram.h"

#include <check.h>
#include <string.h>

/* A 1.2 application-data record of plen bytes at b; its length. */
static size_t
rec12(uint8_t *b, size_t plen)
{
	static const uint8_t h[] = { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7 };

	memcpy(b, h, sizeof(h));
	b[11] = (uint8_t)(plen >> 8);
	b[12] = (uint8_t)plen;
	memset(b + 13, 0xa5, plen);
	return 13 + plen;
}

/* A 1.3 ciphertext record (001CSLEE, C 0, L 1), 16-bit sequence if s16; its length. */
static size_t
rec13(uint8_t *b, size_t plen, int s16)
{
	size_t hl = s16 ? 3 : 2;

	b[0] = (uint8_t)(0x24 | (s16 ? 0x08 : 0) | 3);
	b[1] = 0x12;
	b[2] = 0x34;
	b[hl] = (uint8_t)(plen >> 8);
	b[hl + 1] = (uint8_t)plen;
	memset(b + hl + 2, 0x5a, plen);
	return hl + 2 + plen;
}

START_TEST(test_one_and_drip)
{
	uint8_t b[2048];
	size_t n, k;
	int v;

	for (v = 0; v < 3; v++) {
		n = v == 0 ? rec12(b, 1187) : rec13(b, v == 1 ? 1187 : 0, v == 1);
		ck_assert_int_eq(rtc_dtls_record(b, n), (ssize_t)n);
		for (k = 0; k < n; k++)
			ck_assert_int_eq(rtc_dtls_record(b, k), 0);
	}
}
END_TEST

START_TEST(test_glued)
{
	uint8_t b[40000];
	size_t n = 0, off = 0, seen = 0, lens[40], i = 0;
	ssize_t k;

	/* 31 equal datagrams and a shorter last one: one GSO batch read whole. */
	for (i = 0; i < 31; i++)
		n += lens[i] = rec12(b + n, 1200 - 13);
	n += lens[i++] = rec13(b + n, 300, 1);
	for (i = 0; off < n; i++, seen++) {
		k = rtc_dtls_record(b + off, n - off);
		ck_assert_int_eq(k, (ssize_t)lens[i]);
		off += (size_t)k;
	}
	ck_assert_uint_eq(seen, 32);
	ck_assert_uint_eq(off, n);
}
END_TEST

START_TEST(test_malformed)
{
	uint8_t b[64];
	size_t n;

	/* STUN (RFC 7983: first byte 0..3) and what is neither DTLS header. */
	memset(b, 0, sizeof(b));
	b[0] = 0x00;
	b[1] = 0x01;
	ck_assert_int_eq(rtc_dtls_record(b, 20), -1);
	b[0] = 64;
	ck_assert_int_eq(rtc_dtls_record(b, 20), -1);
	b[0] = 19;
	ck_assert_int_eq(rtc_dtls_record(b, 20), -1);
	/* A 1.2 header with a TLS version (0x03 0x03). */
	n = rec12(b, 10);
	b[1] = 0x03;
	ck_assert_int_eq(rtc_dtls_record(b, n), -1);
	/* 1.3 with a connection ID, and without a length: not delimitable. */
	n = rec13(b, 10, 1);
	b[0] |= 0x10;
	ck_assert_int_eq(rtc_dtls_record(b, n), -1);
	b[0] = (uint8_t)(0x20 | 0x08);
	ck_assert_int_eq(rtc_dtls_record(b, n), -1);
	/* A length past the buffer asks for more; nothing at all too. */
	n = rec12(b, 40);
	ck_assert_int_eq(rtc_dtls_record(b, n - 1), 0);
	b[11] = 0xff;
	ck_assert_int_eq(rtc_dtls_record(b, n), 0);
	ck_assert_int_eq(rtc_dtls_record(b, 0), 0);
}
END_TEST

static Suite *
rtc_dgram_suite(void)
{
	Suite *s = suite_create("rtc_dgram");
	TCase *tc = tcase_create("records");

	tcase_add_test(tc, test_one_and_drip);
	tcase_add_test(tc, test_glued);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rtc_dgram_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
