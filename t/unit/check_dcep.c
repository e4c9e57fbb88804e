/* SPDX-License-Identifier: MIT */
/*
 * DCEP (RFC 8832): OPEN written and read back, the seed messages of
 * t/data/fuzz/dcep, every prefix of an OPEN asking for more, bytes
 * after a message left alone, and the malformed: unknown message and
 * channel types, labels over DCEP_LABEL_MAX, a buffer too small.
 */
#include "proto/dcep.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_open_round_trip)
{
	uint8_t b[64];
	struct dcep_msg m;
	int n, k;

	n = dcep_write_open(DCEP_UNORDERED, "snowflake", "", b, sizeof(b));
	ck_assert_int_eq(n, DCEP_OPEN_HDR + 9);
	ck_assert_int_eq(b[0], DCEP_OPEN);
	ck_assert_int_eq(b[1], 0x80);
	ck_assert_int_eq(dcep_parse(b, (size_t)n, &m), n);
	ck_assert_int_eq(m.type, DCEP_OPEN);
	ck_assert_int_eq(m.chan_type, DCEP_UNORDERED);
	ck_assert_uint_eq(m.label_len, 9);
	ck_assert_mem_eq(m.label, "snowflake", 9);
	ck_assert_uint_eq(m.protocol_len, 0);
	/* Drip: every prefix asks for more. */
	for (k = 0; k < n; k++)
		ck_assert_int_eq(dcep_parse(b, (size_t)k, &m), 0);
	/* Glued: what follows is not ours. */
	b[n] = DCEP_ACK;
	ck_assert_int_eq(dcep_parse(b, (size_t)n + 1, &m), n);
	ck_assert_int_eq(dcep_parse(b + n, 1, &m), 1);
	ck_assert_int_eq(m.type, DCEP_ACK);
	ck_assert_int_eq(dcep_write_open(0, "snowflake", "", b, DCEP_OPEN_HDR + 8), -1);
}
END_TEST

START_TEST(test_seed)
{
	/* Partial reliability (rexmit 5), unordered, label "chat", protocol "json". */
	static const uint8_t b[] = { 0x03, 0x81, 0x01, 0x00, 0, 0, 0, 5, 0, 4, 0, 4,
		                     'c', 'h', 'a', 't', 'j', 's', 'o', 'n' };
	struct dcep_msg m;

	ck_assert_int_eq(dcep_parse(b, sizeof(b), &m), (int)sizeof(b));
	ck_assert_int_eq(m.chan_type, DCEP_UNORDERED | DCEP_PARTIAL_RELIABLE_REXMIT);
	ck_assert_uint_eq(m.priority, 256);
	ck_assert_uint_eq(m.reliability, 5);
	ck_assert_mem_eq(m.protocol, "json", 4);
}
END_TEST

START_TEST(test_malformed)
{
	uint8_t b[DCEP_OPEN_HDR + 4] = { DCEP_OPEN, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 'a', 'b', 'c', 'd' };
	struct dcep_msg m;
	char *big = malloc(DCEP_LABEL_MAX + 2);
	uint8_t *out = malloc(DCEP_LABEL_MAX * 3);

	ck_assert_int_eq(dcep_parse(b, sizeof(b), &m), (int)sizeof(b));
	b[0] = 0x01; /* no such message */
	ck_assert_int_eq(dcep_parse(b, sizeof(b), &m), -1);
	b[0] = DCEP_OPEN;
	b[1] = 0x03; /* no such channel type */
	ck_assert_int_eq(dcep_parse(b, sizeof(b), &m), -1);
	b[1] = 0x7f;
	ck_assert_int_eq(dcep_parse(b, sizeof(b), &m), -1);
	b[1] = 0;
	b[8] = 0x04; /* label of 1028 bytes: over the limit, refused before waiting for it */
	ck_assert_int_eq(dcep_parse(b, sizeof(b), &m), -1);
	b[8] = 0;
	b[10] = 0xff; /* protocol length over the limit */
	ck_assert_int_eq(dcep_parse(b, sizeof(b), &m), -1);
	memset(big, 'x', DCEP_LABEL_MAX + 1);
	big[DCEP_LABEL_MAX + 1] = '\0';
	ck_assert_int_eq(dcep_write_open(0, big, "", out, DCEP_LABEL_MAX * 3), -1);
	big[DCEP_LABEL_MAX] = '\0';
	ck_assert_int_eq(dcep_write_open(0, big, "", out, DCEP_LABEL_MAX * 3), DCEP_OPEN_HDR + DCEP_LABEL_MAX);
	ck_assert_int_eq(dcep_parse(out, DCEP_OPEN_HDR + DCEP_LABEL_MAX, &m), DCEP_OPEN_HDR + DCEP_LABEL_MAX);
	free(big);
	free(out);
}
END_TEST

static Suite *
dcep_suite(void)
{
	Suite *s = suite_create("dcep");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_open_round_trip);
	tcase_add_test(tc, test_seed);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dcep_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
