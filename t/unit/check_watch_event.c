/* SPDX-License-Identifier: MIT */
/*
 * egress/watch_event and watch_lines: the egress's own lines parse to
 * the right event and bucket; escapes, unknown and nested keys, missing
 * optional keys, exponent numbers; every truncation of a good line and
 * a list of malformed lines are garbage; unknown event types are told
 * apart. Line splitting fed one byte at a time, glued, and overlong.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerconn-watch/watch_event.h"
#include "peerconn-watch/watch_lines.h"

static const char line_accept[] = "{\"time\":1700000000.25,\"event\":\"accept\",\"session\":null,"
                                  "\"source\":\"203.0.113.7:51234\",\"destination\":\"example.com:443\"}";
static const char line_close[] =
	"{\"time\":1700000001.123456,\"event\":\"close\",\"session\":\"0123456789abcdef\","
	"\"source\":\"[2001:db8::1]:4000\",\"destination\":\"[2001:db8::2]:80\",\"bytes_up\":1234,"
	"\"bytes_down\":5678901234,\"duration\":0.5,\"result\":\"ok\"}";

static enum watch_parse
parse(const char *s, struct watch_event *ev)
{
	return watch_event_parse(s, strlen(s), ev);
}

static void
key_is(const struct watch_event *ev, const char *want)
{
	char got[WATCH_KEY_STR_MAX];

	watch_key_format(&ev->key, got, sizeof(got));
	ck_assert_str_eq(got, want);
}

static uint64_t
host_hash(const char *line)
{
	struct watch_event ev;

	ck_assert_int_eq(parse(line, &ev), WATCH_PARSE_OK);
	ck_assert(ev.has_dest);
	return ev.dest_hash;
}

START_TEST(test_accept)
{
	struct watch_event ev;

	ck_assert_int_eq(parse(line_accept, &ev), WATCH_PARSE_OK);
	ck_assert_int_eq(ev.type, WATCH_EV_ACCEPT);
	ck_assert_int_eq(ev.time_us, 1700000000250000LL);
	ck_assert_int_eq(ev.dest_port, 443);
	ck_assert_int_eq(ev.duration_us, -1);
	ck_assert_int_eq(ev.result, WATCH_RES_NONE);
	key_is(&ev, "203.0.113.7");
}
END_TEST

/* egress names the user of a secure session; the key is skipped, the bucket stays the session. */
START_TEST(test_user_key)
{
	static const char line[] = "{\"time\":2.0,\"event\":\"accept\",\"session\":\"0123abcd\","
	                           "\"source\":\"203.0.113.7:1\",\"destination\":\"example.com:443\","
	                           "\"user\":\"alice\"}";
	struct watch_event ev;

	ck_assert_int_eq(parse(line, &ev), WATCH_PARSE_OK);
	ck_assert_int_eq(ev.type, WATCH_EV_ACCEPT);
	ck_assert_int_eq(ev.dest_port, 443);
	key_is(&ev, "session:0123abcd");
}
END_TEST

START_TEST(test_close)
{
	struct watch_event ev;

	ck_assert_int_eq(parse(line_close, &ev), WATCH_PARSE_OK);
	ck_assert_int_eq(ev.type, WATCH_EV_CLOSE);
	ck_assert_int_eq(ev.time_us, 1700000001123456LL);
	ck_assert_uint_eq(ev.bytes_up, 1234);
	ck_assert_uint_eq(ev.bytes_down, 5678901234ULL);
	ck_assert_int_eq(ev.duration_us, 500000);
	ck_assert_int_eq(ev.result, WATCH_RES_OK);
	ck_assert_int_eq(ev.dest_port, 80);
	/* The session wins over the source. */
	key_is(&ev, "session:0123456789abcdef");
}
END_TEST

START_TEST(test_sources)
{
	static const struct {
		const char *src, *bucket;
	} v[] = {
		{ "\"198.51.100.9:40000\"", "198.51.100.9" },
		{ "\"198.51.100.9\"", "198.51.100.9" },
		{ "\"[2001:db8:1:2:3:4:5:6]:443\"", "2001:db8:1:2::/64" },
		{ "\"2001:db8:1:2::9\"", "2001:db8:1:2::/64" },
		{ "\"[::ffff:192.0.2.1]:80\"", "192.0.2.1" },
		{ "null", "unknown" },
		{ "\"unix\"", "unknown" },
		{ "\"\"", "unknown" },
		{ "\"[::1\"", "unknown" },
	};
	char line[256];
	struct watch_event ev;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(line, sizeof(line), "{\"time\":1,\"event\":\"accept\",\"source\":%s}", v[i].src);
		ck_assert_int_eq(parse(line, &ev), WATCH_PARSE_OK);
		key_is(&ev, v[i].bucket);
	}
	/* Two sources in one /64 share a bucket; the source port never matters. */
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"accept\",\"source\":\"[2001:db8::1]:1\"}", &ev), 0);
	key_is(&ev, "2001:db8::/64");
}
END_TEST

START_TEST(test_destinations)
{
	struct watch_event ev;

	ck_assert_uint_eq(host_hash("{\"time\":1,\"event\":\"accept\",\"destination\":\"Example.COM:80\"}"),
	                  host_hash("{\"time\":1,\"event\":\"accept\",\"destination\":\"example.com:443\"}"));
	ck_assert_uint_ne(host_hash("{\"time\":1,\"event\":\"accept\",\"destination\":\"a.com:80\"}"),
	                  host_hash("{\"time\":1,\"event\":\"accept\",\"destination\":\"b.com:80\"}"));
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"accept\",\"destination\":\"[::1]:853\"}", &ev), 0);
	ck_assert_int_eq(ev.dest_port, 853);
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"accept\",\"destination\":\"a:99999\"}", &ev), 0);
	ck_assert_int_eq(ev.dest_port, 0);
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"accept\",\"destination\":\"noport\"}", &ev), 0);
	ck_assert_int_eq(ev.dest_port, 0);
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"accept\",\"destination\":null}", &ev), 0);
	ck_assert(!ev.has_dest);
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"accept\"}", &ev), 0);
	ck_assert(!ev.has_dest);
}
END_TEST

START_TEST(test_escapes_and_unknown_keys)
{
	struct watch_event ev;

	/* \u escapes decode before the split; "\/" is "/". */
	ck_assert_uint_eq(host_hash("{\"time\":1,\"event\":\"accept\",\"destination\":\"\\u0061.com:80\"}"),
	                  host_hash("{\"time\":1,\"event\":\"accept\",\"destination\":\"a.com:80\"}"));
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"acc\\u0065pt\",\"destination\":\"\\ud83d\\ude00:1\"}", &ev), 0);
	ck_assert_int_eq(ev.type, WATCH_EV_ACCEPT);
	ck_assert_int_eq(parse(" { \"x\" : [1, {\"y\": [true, false, null, -1.5e3, \"\\\"\"]}] ,"
	                       "\"time\" : 2e0 , \"event\" : \"close\", \"z\": {} } \r\n", &ev), 0);
	ck_assert_int_eq(ev.time_us, 2000000);
	ck_assert_int_eq(ev.type, WATCH_EV_CLOSE);
	ck_assert_int_eq(parse("{\"time\":7.1e-05,\"event\":\"close\",\"duration\":7.1e-05,"
	                       "\"bytes_up\":1e3,\"bytes_down\":null,\"result\":\"weird\"}", &ev), 0);
	ck_assert_int_eq(ev.time_us, 71);
	ck_assert_int_eq(ev.duration_us, 71);
	ck_assert_uint_eq(ev.bytes_up, 1000);
	ck_assert_int_eq(ev.result, WATCH_RES_OTHER);
	/* Duplicate keys: the last wins. */
	ck_assert_int_eq(parse("{\"time\":1,\"time\":3,\"event\":\"accept\"}", &ev), 0);
	ck_assert_int_eq(ev.time_us, 3000000);
	/* Huge byte counts saturate. */
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"close\",\"bytes_up\":99999999999999999999999}", &ev), 0);
	ck_assert_uint_eq(ev.bytes_up, UINT64_MAX);
}
END_TEST

START_TEST(test_unknown_type)
{
	struct watch_event ev;

	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"reopen\"}", &ev), WATCH_PARSE_UNKNOWN);
	ck_assert_int_eq(parse("{\"event\":\"\",\"time\":0}", &ev), WATCH_PARSE_UNKNOWN);
	/* Still garbage when the rest of the line is broken. */
	ck_assert_int_eq(parse("{\"time\":1,\"event\":\"reopen\"", &ev), WATCH_PARSE_GARBAGE);
}
END_TEST

static const char *const bad[] = {
	"",
	"   ",
	"garbage",
	"[]",
	"{}",
	"null",
	"{\"time\":1}",
	"{\"event\":\"accept\"}",
	"{\"time\":null,\"event\":\"accept\"}",
	"{\"time\":1,\"event\":null}",
	"{\"time\":\"1\",\"event\":\"accept\"}",
	"{\"time\":-1,\"event\":\"accept\"}",
	"{\"time\":1e300,\"event\":\"accept\"}",
	"{\"time\":01,\"event\":\"accept\"}",
	"{\"time\":1.,\"event\":\"accept\"}",
	"{\"time\":.5,\"event\":\"accept\"}",
	"{\"time\":1,\"event\":accept}",
	"{\"time\":1,\"event\":\"accept\",}",
	"{\"time\":1,,\"event\":\"accept\"}",
	"{\"time\":1 \"event\":\"accept\"}",
	"{\"time\":1,\"event\":\"accept\"}x",
	"{\"time\":1,\"event\":\"accept\"}{}",
	"{\"time\":1,\"event\":[\"accept\"]}",
	"{\"time\":1,\"event\":\"accept\",\"source\":1}",
	"{\"time\":1,\"event\":\"accept\",\"destination\":{}}",
	"{\"time\":1,\"event\":\"close\",\"bytes_up\":-5}",
	"{\"time\":1,\"event\":\"close\",\"bytes_up\":\"5\"}",
	"{\"time\":1,\"event\":\"accept\",\"session\":\"xyz\"}",
	"{\"time\":1,\"event\":\"accept\",\"session\":\"abc\"}",
	"{\"time\":1,\"event\":\"accept\",\"session\":\"\"}",
	"{\"time\":1,\"event\":\"accept\",\"session\":\"00112233445566778899aabbccddeeff00\"}",
	"{\"time\":1,\"event\":\"ac\\qcept\"}",
	"{\"time\":1,\"event\":\"\\ud800\"}",
	"{\"time\":1,\"event\":\"\\udc00\"}",
	"{\"time\":1,\"event\":\"\\u12\"}",
	"{\"time\":1,\"event\":\"a\tb\"}",
	"{\"time\":1,\"event\":\"accept\",\"x\":tru}",
	"{\"time\":1,\"event\":\"accept\",\"x\":[1,]}",
	"{\"time\":1,\"event\":\"accept\",\"x\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}",
	"{'time':1,'event':'accept'}",
};

START_TEST(test_garbage)
{
	struct watch_event ev;

	ck_assert_msg(parse(bad[_i], &ev) == WATCH_PARSE_GARBAGE, "accepted: %s", bad[_i]);
}
END_TEST

START_TEST(test_truncations)
{
	struct watch_event ev;
	size_t n, len = strlen(line_close);

	/* Every proper prefix is garbage; the one ending after '}' is whole. */
	for (n = 0; n < len; n++)
		ck_assert_msg(watch_event_parse(line_close, n, &ev) == WATCH_PARSE_GARBAGE, "prefix %zu", n);
	ck_assert_int_eq(watch_event_parse(line_close, len, &ev), WATCH_PARSE_OK);
}
END_TEST

/* ---- line splitting ---------------------------------------------------- */

struct collected {
	char text[16384];
	size_t n;
	int lines, overlong;
};

static void
collect(void *arg, const char *line, size_t n)
{
	struct collected *c = arg;

	if (line == NULL) {
		c->overlong++;
		c->n += (size_t)snprintf(c->text + c->n, sizeof(c->text) - c->n, "<long>|");
		return;
	}
	c->lines++;
	memcpy(c->text + c->n, line, n);
	c->n += n;
	c->text[c->n++] = '|';
	c->text[c->n] = '\0';
}

START_TEST(test_lines_drip_and_glued)
{
	static const char in[] = "one\ntwo\n\nthree\nfour";
	struct watch_lines l;
	struct collected a, b;
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	watch_lines_init(&l);
	watch_lines_feed(&l, in, sizeof(in) - 1, collect, &a);
	watch_lines_finish(&l, collect, &a);
	for (i = 0; i < sizeof(in) - 1; i++)
		watch_lines_feed(&l, in + i, 1, collect, &b);
	watch_lines_finish(&l, collect, &b);
	ck_assert_str_eq(a.text, "one|two||three|four|");
	ck_assert_str_eq(b.text, a.text);
}
END_TEST

START_TEST(test_lines_overlong)
{
	static char big[3 * WATCH_LINE_MAX];
	struct watch_lines l;
	struct collected c;
	size_t i;

	memset(&c, 0, sizeof(c));
	memset(big, 'x', sizeof(big));
	watch_lines_init(&l);
	/* Exactly WATCH_LINE_MAX fits, in one piece and across reads. */
	watch_lines_feed(&l, big, WATCH_LINE_MAX, collect, &c);
	watch_lines_feed(&l, "\n", 1, collect, &c);
	ck_assert_int_eq(c.lines, 1);
	/* One more byte does not, whether seen whole or in pieces. */
	big[WATCH_LINE_MAX + 1] = '\n';
	watch_lines_feed(&l, big, WATCH_LINE_MAX + 2, collect, &c);
	for (i = 0; i < 3 * WATCH_LINE_MAX; i += 1000)
		watch_lines_feed(&l, big + WATCH_LINE_MAX + 2, 1000, collect, &c);
	watch_lines_feed(&l, "\nok\n", 4, collect, &c);
	ck_assert_int_eq(c.overlong, 2);
	ck_assert_int_eq(c.lines, 2);
	ck_assert(strstr(c.text, "<long>|<long>|ok|") != NULL);
	/* An overlong tail at EOF is reported once. */
	big[WATCH_LINE_MAX + 1] = 'x';
	watch_lines_feed(&l, big, sizeof(big) - 1, collect, &c);
	watch_lines_finish(&l, collect, &c);
	ck_assert_int_eq(c.overlong, 3);
}
END_TEST

static Suite *
watch_event_suite(void)
{
	Suite *s = suite_create("watch_event");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_accept);
	tcase_add_test(tc, test_user_key);
	tcase_add_test(tc, test_close);
	tcase_add_test(tc, test_sources);
	tcase_add_test(tc, test_destinations);
	tcase_add_test(tc, test_escapes_and_unknown_keys);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_loop_test(tc, test_garbage, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_truncations);
	suite_add_tcase(s, tc);
	tc = tcase_create("lines");
	tcase_add_test(tc, test_lines_drip_and_glued);
	tcase_add_test(tc, test_lines_overlong);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(watch_event_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
