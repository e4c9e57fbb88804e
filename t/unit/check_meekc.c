/* SPDX-License-Identifier: MIT */
/*
 * Check suite for meek-client's pure functions (client/meekc_parse.c) and
 * the chunked body decoder (common/httpbody.c): --url, --front and
 * --header parsing; the request head; response framing fed whole, one
 * byte at a time, glued to a following response, re-chunked, over the
 * cap and as garbage; the idle poll schedule.
 */
#include "meek-client/meekc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/httpbody.h"
#include "proto/meek.h"
#include "proto/meekpipe.h"

static struct http_head H;

START_TEST(test_url)
{
	struct meekc_url u;
	char err[128];

	ck_assert_int_eq(meekc_parse_url("https://meek.example.org/", 0, &u, err, sizeof(err)), 0);
	ck_assert(u.https && u.port == 443 && !u.port_given && !u.host_is_ip);
	ck_assert_str_eq(u.host, "meek.example.org");
	ck_assert_str_eq(u.path, "/");
	ck_assert_int_eq(meekc_parse_url("HTTPS://h:8443", 0, &u, err, sizeof(err)), 0);
	ck_assert(u.port == 8443 && u.port_given);
	ck_assert_str_eq(u.path, "/");
	ck_assert_int_eq(meekc_parse_url("https://[::1]:9/a/b?c=d", 0, &u, err, sizeof(err)), 0);
	ck_assert(u.host_is_v6 && u.host_is_ip && u.port == 9);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.path, "/a/b?c=d");
	ck_assert_int_eq(meekc_parse_url("http://127.0.0.1/", 1, &u, err, sizeof(err)), 0);
	ck_assert(!u.https && u.port == 80 && u.host_is_ip);

	static const char *const bad[] = {
		"http://127.0.0.1/", "ftp://x/", "https://", "https:///x", "https://a b/",
		"https://u@h/", "https://h:0/", "https://h:65536/", "https://h:/", "https://h:08/",
		"https://[::1/", "https://[zz]/", "https://h/#frag", "https://h/a b", "https://h?x",
		"meek.example.org", "https://h:1x/", "https://[::1]x/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(meekc_parse_url(bad[i], 0, &u, err, sizeof(err)) == -1, "%s", bad[i]);
	ck_assert_int_eq(meekc_parse_url("http://x/", 0, &u, err, sizeof(err)), -1);
	ck_assert(strstr(err, "insecure-plaintext") != NULL);

	char longurl[MEEKC_URL_MAX + 16] = "https://h/";
	memset(longurl + 10, 'a', sizeof(longurl) - 11);
	longurl[sizeof(longurl) - 1] = '\0';
	ck_assert_int_eq(meekc_parse_url(longurl, 0, &u, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_front)
{
	struct meekc_url u;
	struct meekc_front f;
	char err[128];

	ck_assert_int_eq(meekc_parse_url("https://inner.example/", 0, &u, err, sizeof(err)), 0);
	/* IP front, no options: no SNI, verify the URL host. */
	ck_assert_int_eq(meekc_parse_front("192.0.2.1", &u, &f, err, sizeof(err)), 0);
	ck_assert(f.port == 443 && f.sni[0] == '\0');
	ck_assert_str_eq(f.verify, "inner.example");
	/* Name front (Tor meek's front=): SNI and verify the front. */
	ck_assert_int_eq(meekc_parse_front("www.front.example:444", &u, &f, err, sizeof(err)), 0);
	ck_assert(f.port == 444);
	ck_assert_str_eq(f.sni, "www.front.example");
	ck_assert_str_eq(f.verify, "www.front.example");
	/* CloudFront style. */
	ck_assert_int_eq(meekc_parse_front("1.2.3.4,sni=a.example", &u, &f, err, sizeof(err)), 0);
	ck_assert_str_eq(f.sni, "a.example");
	ck_assert_str_eq(f.verify, "a.example");
	/* Akamai style: no SNI, explicit verify. */
	ck_assert_int_eq(meekc_parse_front("[2001:db8::1]:8443,sni=,verify=a248.e.akamai.net", &u,
	                                   &f, err, sizeof(err)), 0);
	ck_assert(f.host_is_v6 && f.port == 8443 && f.sni[0] == '\0');
	ck_assert_str_eq(f.host, "2001:db8::1");
	ck_assert_str_eq(f.verify, "a248.e.akamai.net");
	ck_assert_int_eq(meekc_parse_front("1.2.3.4,verify=v.example,sni=s.example", &u, &f, err,
	                                   sizeof(err)), 0);
	ck_assert_str_eq(f.sni, "s.example");
	ck_assert_str_eq(f.verify, "v.example");

	static const char *const bad[] = {
		"1.2.3.4,sni=", "", ",sni=x", "1.2.3.4,", "1.2.3.4,sni", "1.2.3.4,foo=bar",
		"1.2.3.4,sni=a,sni=b", "1.2.3.4,verify=", "1.2.3.4:0", "1.2.3.4:99999",
		"[::1", "a b", "1.2.3.4,sni=a b", "1.2.3.4,verify=x/y",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(meekc_parse_front(bad[i], &u, &f, err, sizeof(err)) == -1, "%s", bad[i]);
	ck_assert_int_eq(meekc_parse_front("1.2.3.4,sni=", &u, &f, err, sizeof(err)), -1);
	ck_assert(strstr(err, "verify=") != NULL);
	/* The URL host is an address: an IP front has nothing to verify. */
	ck_assert_int_eq(meekc_parse_url("https://[::1]/", 0, &u, err, sizeof(err)), 0);
	ck_assert_int_eq(meekc_parse_front("1.2.3.4", &u, &f, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_header)
{
	char out[256], err[128];

	ck_assert_int_eq(meekc_parse_header("X-Test:  a b ", out, sizeof(out), err, sizeof(err)), 13);
	ck_assert_str_eq(out, "X-Test: a b\r\n");
	ck_assert_int_gt(meekc_parse_header("User-Agent:", out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "User-Agent: \r\n");

	static const char *const bad[] = {
		"NoColon", ": v", "Bad Name: v", "A: b\r\nC: d", "A: b\nC", "A: \x01",
		"host: x", "HOST: x", "Content-Length: 1", "x-session-id: a", "X-Meek-Seq: 1",
		"X-Meek-Max-Body: 1", "X-Meek-Auth: t", "Transfer-Encoding: chunked",
		"Connection: close", "Content-Type: x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(meekc_parse_header(bad[i], out, sizeof(out), err, sizeof(err)) == -1,
		              "%s", bad[i]);
	ck_assert_int_eq(meekc_parse_header("A: b", out, 5, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_format_head)
{
	struct meekc_url u;
	char err[128], out[1024];
	struct meekc_req_params rp = { &u, "0123456789abcdef0123456789abcdef", 7, 262144,
	                               "X-Meek-Auth: t\r\n", NULL };
	int n;

	ck_assert_int_eq(meekc_parse_url("https://[::1]:8443/m?x", 0, &u, err, sizeof(err)), 0);
	n = meekc_format_head(&rp, 5, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(out, "POST /m?x HTTP/1.1\r\nHost: [::1]:8443\r\n"
	                      "Content-Type: application/octet-stream\r\n"
	                      "X-Session-Id: 0123456789abcdef0123456789abcdef\r\n"
	                      "X-Meek-Seq: 7\r\nX-Meek-Max-Body: 262144\r\nX-Meek-Auth: t\r\n"
	                      "Content-Length: 5\r\n\r\n");
	/* What we send parses as a request with our own parser. */
	ck_assert_int_eq(http_parse_request_head((const uint8_t *)out, (size_t)n, &H), n);
	ck_assert(H.has_content_length && H.content_length == 5);
	ck_assert_int_eq(meekc_format_head(&rp, 5, out, 100), -1);
	ck_assert_int_eq(meekc_parse_url("https://h/", 0, &u, err, sizeof(err)), 0);
	rp.extra = "";
	ck_assert_int_gt(meekc_format_head(&rp, 0, out, sizeof(out)), 0);
	ck_assert(strstr(out, "Host: h\r\n") != NULL && strstr(out, "Content-Length: 0\r\n"));
}
END_TEST

static ssize_t
frame(const char *s, size_t n, size_t cap, struct meekc_resp *r)
{
	/* A heap copy of exactly n bytes, so ASan sees any read past it. */
	uint8_t *p = malloc(n ? n : 1);
	ssize_t rc;

	memcpy(p, s, n);
	rc = meekc_resp_frame(p, n, cap, &H, r);
	free(p);
	return rc;
}

static ssize_t
frame_str(const char *s, size_t cap, struct meekc_resp *r)
{
	return frame(s, strlen(s), cap, r);
}

/* Every proper prefix needs more; the whole gives want. */
static void
drip(const char *s, ssize_t want)
{
	struct meekc_resp r;
	size_t n = strlen(s), i;

	for (i = 0; i < (size_t)want; i++)
		ck_assert_msg(frame(s, i, 1000, &r) == 0, "prefix %zu of %s", i, s);
	ck_assert_int_eq(frame(s, n, 1000, &r), want);
}

START_TEST(test_resp_cl)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	struct meekc_resp r;

	ck_assert_int_eq(frame_str(ok, 1000, &r), (ssize_t)strlen(ok));
	ck_assert(r.status == 200 && r.keep_alive && !r.chunked && r.body_len == 5);
	ck_assert(memcmp(ok + r.body_off, "hello", 5) == 0);
	drip(ok, (ssize_t)strlen(ok));
	ck_assert_int_eq(frame_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 10, &r), 38);
	ck_assert(r.body_len == 0);
	/* HTTP/1.0 and Connection: close do not keep the connection. */
	ck_assert_int_gt(frame_str("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 10, &r), 0);
	ck_assert(!r.keep_alive);
	ck_assert_int_gt(
	    frame_str("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 10, &r), 0);
	ck_assert(!r.keep_alive);
}
END_TEST

START_TEST(test_resp_glued)
{
	static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"
	                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc";
	struct meekc_resp r;
	ssize_t n;

	n = frame_str(two, 1000, &r);
	ck_assert_int_eq(n, 40);
	ck_assert(r.body_len == 2);
	ck_assert_int_eq(frame_str(two + n, 1000, &r), 39);
	ck_assert(r.body_len == 1 && two[n + r.body_off] == 'c');
}
END_TEST

START_TEST(test_resp_chunked)
{
	static const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                         "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nTrailer: t\r\n\r\nNEXT";
	uint8_t buf[sizeof(ch)];
	struct meekc_resp r;
	size_t dec;
	ssize_t n;

	n = frame_str(ch, 1000, &r);
	ck_assert_int_eq(n, (ssize_t)strlen(ch) - 4);
	ck_assert(r.chunked && r.body_len == 7);
	drip(ch, n);
	/* Decoding in place. */
	memcpy(buf, ch, sizeof(ch));
	ck_assert_int_eq(http_chunked_decode(buf + r.body_off, r.body_enc, buf + r.body_off, 7, &dec),
	                 (ssize_t)r.body_enc);
	ck_assert(dec == 7 && memcmp(buf + r.body_off, "abcdefg", 7) == 0);
	/* Decoded size over the cap, and broken chunk syntax. */
	ck_assert_int_eq(frame_str(ch, 6, &r), -1);
	ck_assert_int_eq(
	    frame_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100, &r), -1);
	ck_assert_int_eq(frame_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                           "3\r\nabcXY\r\n0\r\n\r\n", 100, &r), -1);
	ck_assert_int_eq(http_chunked_decode((const uint8_t *)"", 0, NULL, 10, &dec), 0);
}
END_TEST

START_TEST(test_resp_status)
{
	struct meekc_resp r;
	static const char gone[] = "HTTP/1.1 410 Gone\r\nContent-Length: 16\r\n\r\n";
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n"
	                              "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";

	/* A non-200 ends at its head; its body is never needed. */
	ck_assert_int_eq(frame_str(gone, 1000, &r), (ssize_t)strlen(gone));
	ck_assert(r.status == 410 && !r.keep_alive);
	ck_assert_int_gt(frame_str("HTTP/1.1 403 Forbidden\r\n\r\n", 1000, &r), 0);
	ck_assert(r.status == 403);
	ck_assert_int_eq(frame_str(interim, 1000, &r), (ssize_t)strlen(interim));
	ck_assert(r.status == 200 && r.body_len == 1);
	drip(interim, (ssize_t)strlen(interim));
	ck_assert_int_eq(frame_str("HTTP/1.1 101 Switching\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
	                           1000, &r), -1);
}
END_TEST

START_TEST(test_resp_bad)
{
	struct meekc_resp r;
	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", /* over the cap */
		"HTTP/1.1 200 OK\r\n\r\n",                         /* no framing */
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01",
		"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"GET / HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(frame_str(bad[i], 1000, &r) == -1, "%s", bad[i]);
	/* A head that never ends is refused at HTTP_HEAD_MAX, not buffered. */
	char *big = malloc(HTTP_HEAD_MAX + 64);
	int n = snprintf(big, 64, "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', HTTP_HEAD_MAX + 63 - (size_t)n);
	big[HTTP_HEAD_MAX + 63] = '\0';
	ck_assert_int_eq(frame_str(big, 1000, &r), -1);
	free(big);
}
END_TEST

START_TEST(test_pipe_header)
{
	struct meek_pipe p;
	char out[MEEK_PIPE_VALUE_MAX];
	static const char *const bad[] = {
		"", "window=8", "v=2, window=8", "v=1, window=0", "v=1, window=17", "v=1,v=1",
		"v=1, window", "v=1, window=", "v=1, window=8x", "v=1, hold=2001", "v=1, =3",
		"v=1, base=1234567890123456789", "v=1, window=-1",
	};
	size_t i;
	int n;

	ck_assert_int_eq(meek_pipe_parse("v=1, window=8, base=42", 22, &p), 0);
	ck_assert_uint_eq(p.window, 8);
	ck_assert(p.has_base && p.base == 42);
	ck_assert_uint_eq(p.hold_ms, 0);
	ck_assert_int_eq(meek_pipe_parse(" v=1 ,hold=1000,\tfuture=7 ", 26, &p), 0);
	ck_assert_uint_eq(p.window, 1);
	ck_assert_uint_eq(p.hold_ms, 1000);
	ck_assert(!p.has_base);
	/* Only n bytes are read: the value need not end with NUL. */
	ck_assert_int_eq(meek_pipe_parse("v=1, window=99", 13, &p), 0);
	ck_assert_uint_eq(p.window, 9);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(meek_pipe_parse(bad[i], strlen(bad[i]), &p) == -1, "%s", bad[i]);
	p.window = 16;
	p.has_base = 1;
	p.base = 7;
	p.hold_ms = 2000;
	n = meek_pipe_format(&p, out, sizeof(out));
	ck_assert_str_eq(out, "v=1, window=16, base=7, hold=2000");
	ck_assert_int_eq(n, (int)strlen(out));
	ck_assert_int_eq(meek_pipe_format(&p, out, 10), -1);
}
END_TEST

START_TEST(test_answer_kind)
{
	ck_assert_int_eq(meekc_answer_kind(200, NULL), MEEKC_ANS_OK);
	ck_assert_int_eq(meekc_answer_kind(200, "application/octet-stream"), MEEKC_ANS_OK);
	ck_assert_int_eq(meekc_answer_kind(200, "text/plain; charset=utf-8"), MEEKC_ANS_OK);
	ck_assert_int_eq(meekc_answer_kind(200, "text/html; charset=utf-8"), MEEKC_ANS_NOT_MEEK);
	ck_assert_int_eq(meekc_answer_kind(200, "TEXT/HTML"), MEEKC_ANS_NOT_MEEK);
	ck_assert_int_eq(meekc_answer_kind(200, "text/htmlx"), MEEKC_ANS_OK);
	ck_assert_int_eq(meekc_answer_kind(200, "application/xhtml+xml"), MEEKC_ANS_NOT_MEEK);
	ck_assert_int_eq(meekc_answer_kind(410, NULL), MEEKC_ANS_GONE);
	ck_assert_int_eq(meekc_answer_kind(503, "text/plain"), MEEKC_ANS_RETRY);
	ck_assert_int_eq(meekc_answer_kind(429, NULL), MEEKC_ANS_RETRY);
	ck_assert_int_eq(meekc_answer_kind(403, "text/plain; charset=utf-8"), MEEKC_ANS_FAIL);
	ck_assert_int_eq(meekc_answer_kind(404, "text/html"), MEEKC_ANS_NOT_MEEK);
	ck_assert_int_eq(meekc_answer_kind(301, NULL), MEEKC_ANS_NOT_MEEK);
	ck_assert_int_eq(meekc_answer_kind(204, NULL), MEEKC_ANS_NOT_MEEK);
	ck_assert_int_eq(meekc_answer_kind(500, NULL), MEEKC_ANS_NOT_MEEK);
}
END_TEST

START_TEST(test_poll_schedule)
{
	static const unsigned want[] = { 100, 150, 225, 337, 505, 757, 1135, 1702, 2553, 3829,
	                                 5000, 5000 };
	unsigned cur = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cur = meekc_poll_next(cur, 0);
		ck_assert_uint_eq(cur, want[i]);
	}
	ck_assert_uint_eq(meekc_poll_next(cur, 1), 0);
	ck_assert_uint_eq(meekc_poll_next(0, 1), 0);
	ck_assert_uint_eq(meekc_poll_next(0, 0), MEEK_POLL_MIN_MS);
	ck_assert_uint_eq(meekc_poll_next(4000000000u, 0), MEEK_POLL_MAX_MS);
}
END_TEST

static Suite *
meekc_suite(void)
{
	Suite *s = suite_create("meekc");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_front);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_format_head);
	tcase_add_test(tc, test_poll_schedule);
	tcase_add_test(tc, test_pipe_header);
	tcase_add_test(tc, test_answer_kind);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_test(tc, test_resp_cl);
	tcase_add_test(tc, test_resp_glued);
	tcase_add_test(tc, test_resp_chunked);
	tcase_add_test(tc, test_resp_status);
	tcase_add_test(tc, test_resp_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(meekc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
