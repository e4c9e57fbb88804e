/* SPDX-License-Identifier: MIT */
/*
 * The rtc layer's pure part: Snowflake's JSON wrapping of SDP, written
 * and read back, with the type checked, and what it refuses (another
 * type, a missing or non-string sdp, duplicate keys, truncated JSON, an
 * sdp over SDP_MAX). The connection itself is tested end to end by
 * t/sh/700-707.
 */
#include "rtc/rtc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sdp.h"
#include "rtc/rtc_stun.h"

/* --stun values: names and addresses, ports, at most RTC_STUN_MAX. */
START_TEST(test_stun_list)
{
	struct rtc_stuns l;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(rtc_stun_add(&l, "stun:stun.example.net:3478"), 0);
	ck_assert_str_eq(l.s[0].host, "stun.example.net");
	ck_assert_uint_eq(l.s[0].port, 3478);
	ck_assert_str_eq(l.s[0].ip, "");
	ck_assert_int_eq(rtc_stun_add(&l, "[2001:db8::1]:19302"), 0);
	ck_assert_str_eq(l.s[1].host, "2001:db8::1");
	ck_assert_int_eq(rtc_stun_add(&l, "stun:x"), -1);
	ck_assert_int_eq(rtc_stun_add(&l, "stun:x:"), -1);
	ck_assert_int_eq(rtc_stun_add(&l, "stun:x:0"), -1);
	ck_assert_int_eq(rtc_stun_add(&l, "stun:x:65536"), -1);
	ck_assert_int_eq(rtc_stun_add(&l, "stun:x:-1"), -1);
	ck_assert_int_eq(rtc_stun_add(&l, "stun::1"), -1);
	ck_assert_int_eq(rtc_stun_add(&l, "stun:a/b:1"), -1);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_ptr_null(rtc_stun_pick(&l)); /* nothing resolved yet */
	snprintf(l.s[1].ip, sizeof(l.s[1].ip), "2001:db8::1");
	ck_assert_ptr_eq(rtc_stun_pick(&l), &l.s[1]);
	l.s[1].failed = 1; /* the only one failed: tried again */
	ck_assert_ptr_eq(rtc_stun_pick(&l), &l.s[1]);
	ck_assert_int_eq(l.s[1].failed, 0);
	ck_assert_int_eq(rtc_stun_add(&l, "c:1"), 0);
	ck_assert_int_eq(rtc_stun_add(&l, "d:1"), 0);
	ck_assert_int_eq(rtc_stun_add(&l, "e:1"), -1);
	ck_assert_uint_eq(rtc_stun_usable(&l), 1);
}
END_TEST

START_TEST(test_round_trip)
{
	const char *sdp = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\n\"quoted\"\\\r\n";
	char *j = rtc_sdp_to_json("offer", sdp), *back;

	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_nonnull(strstr(j, "\"type\":\"offer\""));
	ck_assert_ptr_nonnull(strstr(j, "\\r\\n"));
	back = rtc_sdp_from_json(j, strlen(j), "offer");
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(back, sdp);
	free(back);
	ck_assert_ptr_null(rtc_sdp_from_json(j, strlen(j), "answer"));
	ck_assert_ptr_null(rtc_sdp_from_json(j, strlen(j) - 1, "offer"));
	free(j);
}
END_TEST

START_TEST(test_refused)
{
	static const char *const bad[] = {
		"{\"type\":\"offer\"}",
		"{\"type\":\"offer\",\"sdp\":5}",
		"{\"type\":1,\"sdp\":\"v=0\"}",
		"{\"type\":\"offer\",\"sdp\":\"a\",\"sdp\":\"b\"}",
		"[\"offer\",\"v=0\"]",
		"",
		"{",
	};
	size_t i, n = SDP_MAX + 64;
	char *big = malloc(n + 64);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(rtc_sdp_from_json(bad[i], strlen(bad[i]), "offer") == NULL, "%s", bad[i]);
	strcpy(big, "{\"type\":\"offer\",\"sdp\":\"");
	memset(big + strlen(big), 'v', SDP_MAX + 1);
	big[23 + SDP_MAX + 1] = '\0';
	strcat(big, "\"}");
	ck_assert_ptr_null(rtc_sdp_from_json(big, strlen(big), "offer"));
	free(big);
}
END_TEST

static Suite *
rtc_suite(void)
{
	Suite *s = suite_create("rtc");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_stun_list);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rtc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
