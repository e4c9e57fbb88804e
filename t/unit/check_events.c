/* SPDX-License-Identifier: MIT */
/*
 * egress/events: exact JSON lines for accept and close, null fields,
 * escaping, invalid UTF-8, rounding, and a buffer that is too small.
 * t/data/events/stream.jsonl starts with the same two lines, as sample
 * input for peerconn-watch.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress/events.h"

START_TEST(test_accept)
{
	struct events_stream s = { 1700000000.25, NULL, "203.0.113.7:51234", "example.com:443", NULL };
	char out[EVENTS_LINE_MAX];
	int n;

	n = events_format_accept(&s, out, sizeof(out));
	ck_assert_str_eq(out, "{\"time\":1700000000.25,\"event\":\"accept\",\"session\":null,"
	                      "\"source\":\"203.0.113.7:51234\",\"destination\":\"example.com:443\"}\n");
	ck_assert_int_eq(n, (int)strlen(out));
}
END_TEST

START_TEST(test_close)
{
	struct events_stream s = { 1700000001.123456, "0123456789abcdef", "[2001:db8::1]:4000",
		                   "[2001:db8::2]:80", NULL };
	struct events_close c = { 1234, 5678901234ULL, 0.5, EVENTS_OK };
	char out[EVENTS_LINE_MAX];

	ck_assert_int_gt(events_format_close(&s, &c, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{\"time\":1700000001.123456,\"event\":\"close\","
	                      "\"session\":\"0123456789abcdef\",\"source\":\"[2001:db8::1]:4000\","
	                      "\"destination\":\"[2001:db8::2]:80\",\"bytes_up\":1234,"
	                      "\"bytes_down\":5678901234,\"duration\":0.5,\"result\":\"ok\"}\n");
}
END_TEST

START_TEST(test_close_results)
{
	static const char *names[] = { "ok", "refused", "unreachable", "timeout", "error" };
	struct events_stream s = { 1, NULL, NULL, "a:1", NULL };
	struct events_close c = { 0, 0, 0, EVENTS_OK };
	char out[EVENTS_LINE_MAX], want[EVENTS_LINE_MAX];

	c.result = (enum events_result)_i;
	ck_assert_int_gt(events_format_close(&s, &c, out, sizeof(out)), 0);
	snprintf(want, sizeof(want),
	         "{\"time\":1.0,\"event\":\"close\",\"session\":null,\"source\":null,"
	         "\"destination\":\"a:1\",\"bytes_up\":0,\"bytes_down\":0,\"duration\":0.0,"
	         "\"result\":\"%s\"}\n",
	         names[_i]);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(events_result_str((enum events_result)_i), names[_i]);
}
END_TEST

START_TEST(test_result_out_of_range)
{
	ck_assert_str_eq(events_result_str((enum events_result)99), "error");
}
END_TEST

START_TEST(test_rounding)
{
	struct events_stream s = { 1700000000.1234567, NULL, NULL, NULL, NULL };
	struct events_close c = { 0, 0, 2.0000004, EVENTS_TIMEOUT };
	char out[EVENTS_LINE_MAX];

	ck_assert_int_gt(events_format_close(&s, &c, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{\"time\":1700000000.123457,\"event\":\"close\",\"session\":null,"
	                      "\"source\":null,\"destination\":null,\"bytes_up\":0,\"bytes_down\":0,"
	                      "\"duration\":2.0,\"result\":\"timeout\"}\n");
	/* Negative or non-finite durations (clock steps) print as 0. */
	c.duration = -3;
	ck_assert_int_gt(events_format_close(&s, &c, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"duration\":0.0,"));
}
END_TEST

START_TEST(test_escaping)
{
	struct events_stream s = { 2, NULL, NULL, "a\"b\\c\n\x01:80", NULL };
	char out[EVENTS_LINE_MAX];

	ck_assert_int_gt(events_format_accept(&s, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{\"time\":2.0,\"event\":\"accept\",\"session\":null,\"source\":null,"
	                      "\"destination\":\"a\\\"b\\\\c\\n\\u0001:80\"}\n");
	/* Exactly one newline: the terminator. */
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
}
END_TEST

START_TEST(test_utf8)
{
	struct events_stream s = { 2, NULL, NULL, "b\xc3\xbc\x63her.example:80", NULL };
	char out[EVENTS_LINE_MAX];

	/* Valid UTF-8 passes through unchanged. */
	ck_assert_int_gt(events_format_accept(&s, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"destination\":\"b\xc3\xbc" "cher.example:80\""));
	/* Invalid UTF-8: each high byte becomes '?'. */
	s.destination = "x\xff\xc3y.example:80";
	ck_assert_int_gt(events_format_accept(&s, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"destination\":\"x??y.example:80\""));
}
END_TEST

START_TEST(test_parses_back)
{
	struct events_stream s = { 1700000000.5, NULL, "192.0.2.1:1", "[::1]:22", NULL };
	struct events_close c = { 10, 20, 30.25, EVENTS_REFUSED };
	char out[EVENTS_LINE_MAX];
	json_error_t jerr;
	json_t *j;

	ck_assert_int_gt(events_format_close(&s, &c, out, sizeof(out)), 0);
	j = json_loads(out, 0, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "result")), "refused");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "bytes_down")), 20);
	ck_assert(json_is_null(json_object_get(j, "session")));
	json_decref(j);
}
END_TEST

START_TEST(test_too_small)
{
	struct events_stream s = { 1, NULL, "192.0.2.1:1", "example.com:443", NULL };
	char out[EVENTS_LINE_MAX];
	int n;

	n = events_format_accept(&s, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	/* n bytes plus the NUL fit; one byte less does not. */
	ck_assert_int_eq(events_format_accept(&s, out, (size_t)n + 1), n);
	ck_assert_int_eq(events_format_accept(&s, out, (size_t)n), -1);
	ck_assert_int_eq(events_format_accept(&s, out, 1), -1);
	ck_assert_int_eq(events_format_accept(&s, out, 0), -1);
}
END_TEST

START_TEST(test_long_destination)
{
	char name[300], out[EVENTS_LINE_MAX];
	struct events_stream s = { 1, "0123456789abcdef", "[2001:db8::1]:65535", name, NULL };
	struct events_close c = { ~0ULL, ~0ULL, 1e9, EVENTS_ERROR };

	memset(name, 'a', 255);
	memcpy(name + 255, ":65535", 7);
	/* The longest possible close line fits EVENTS_LINE_MAX. */
	ck_assert_int_gt(events_format_close(&s, &c, out, sizeof(out)), 0);
}
END_TEST

static Suite *
events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_accept);
	tcase_add_test(tc, test_close);
	tcase_add_loop_test(tc, test_close_results, 0, 5);
	tcase_add_test(tc, test_result_out_of_range);
	tcase_add_test(tc, test_rounding);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_parses_back);
	tcase_add_test(tc, test_too_small);
	tcase_add_test(tc, test_long_destination);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(events_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
