/* SPDX-License-Identifier: MIT */
/*
 * Check suite for server/meek_req.c, the pure half of meek-server: the
 * lantern-box check order as a function of a parsed head and the
 * configuration (each status, and pairs of faults to pin the order),
 * session id validation, X-Meek-Max-Body negotiation, the forwarded
 * client address, and the bytes of the canned answers. Heads come
 * through common/http.c, whole and dripped one byte at a time.
 */
#include "meek-server/meek_limit.h"
#include "meek-server/meek_req.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static struct http_head hd; /* large: keep it off the stack */

static const struct meek_cfg cfg_open = { "/", NULL, 0, MEEK_BODY_DEFAULT, 0, 1, 0 };
static const struct meek_cfg cfg_auth = { "/meek/", "s3cret-token", 12, MEEK_BODY_DEFAULT, 1, 1, 0 };

#define SID "0123456789abcdef0123456789abcdef"

static int
classify(const char *head, const struct meek_cfg *cfg, struct meek_req *r)
{
	size_t n = strlen(head);

	ck_assert_int_eq(http_parse_request_head((const uint8_t *)head, n, &hd), (ssize_t)n);
	return meek_classify(&hd, cfg, r);
}

START_TEST(test_meek_ok)
{
	struct meek_req r;

	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Meek-Seq: 7\r\nX-Meek-Max-Body: 100000\r\n"
	                          "Content-Type: application/octet-stream\r\n"
	                          "Content-Length: 5\r\n\r\n",
	                          &cfg_open, &r),
	                 0);
	ck_assert_str_eq(r.sid, SID);
	ck_assert_uint_eq(r.sid_len, 32);
	ck_assert_int_eq(r.has_seq, 1);
	ck_assert_uint_eq(r.seq, 7);
	ck_assert_uint_eq(r.resp_cap, 100000);
	ck_assert_uint_eq(r.body_len, 5);
	ck_assert_int_eq(r.has_body, 1);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_eq(r.has_fwd, 0);
}
END_TEST

/* Classic Tor meek: 11-char id, no seq, no Content-Type, no body at all. */
START_TEST(test_classic)
{
	struct meek_req r;

	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nUser-Agent: \r\n"
	                          "X-Session-Id: x5ej2h96frv\r\n\r\n",
	                          &cfg_open, &r),
	                 0);
	ck_assert_int_eq(r.has_seq, 0);
	ck_assert_uint_eq(r.resp_cap, MEEK_BODY_LEGACY);
	ck_assert_uint_eq(r.body_len, 0);
	ck_assert_int_eq(r.has_body, 0);
}
END_TEST

START_TEST(test_order)
{
	struct meek_req r;

	/* Probes: a plain server with nothing on it. */
	ck_assert_int_eq(classify("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &cfg_open, &r), 404);
	ck_assert_str_eq(r.msg, "404 page not found");
	ck_assert_int_eq(classify("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &cfg_open, &r), 404);
	ck_assert_int_eq(r.head_only, 1);
	ck_assert_int_eq(classify("POST /other HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID
	                          "\r\n\r\n",
	                          &cfg_open, &r),
	                 404);
	ck_assert_int_eq(classify("POST /?q=1 HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID
	                          "\r\n\r\n",
	                          &cfg_open, &r),
	                 0);
	/* 405 before 403 before 400 before 411/413. */
	ck_assert_int_eq(classify("PUT /meek/ HTTP/1.1\r\nHost: a\r\n\r\n", &cfg_auth, &r), 405);
	ck_assert_str_eq(r.msg, "method not allowed");
	ck_assert_int_eq(classify("POST /meek/ HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n",
	                          &cfg_auth, &r),
	                 403);
	ck_assert_str_eq(r.msg, "forbidden");
	ck_assert_int_eq(classify("POST /meek/ HTTP/1.1\r\nHost: a\r\nX-Meek-Auth: s3cret-tokeN\r\n"
	                          "X-Session-Id: " SID "\r\n\r\n",
	                          &cfg_auth, &r),
	                 403);
	ck_assert_int_eq(classify("POST /meek/ HTTP/1.1\r\nHost: a\r\nX-Meek-Auth: s3cret-token2\r\n"
	                          "X-Session-Id: " SID "\r\n\r\n",
	                          &cfg_auth, &r),
	                 403);
	ck_assert_int_eq(classify("POST /meek/ HTTP/1.1\r\nHost: a\r\nX-Meek-Auth: s3cret-token\r\n"
	                          "Content-Length: 99999999\r\n\r\n",
	                          &cfg_auth, &r),
	                 400);
	ck_assert_str_eq(r.msg, "missing X-Session-Id");
	ck_assert_int_eq(classify("POST /meek/ HTTP/1.1\r\nHost: a\r\nX-Meek-Auth: s3cret-token\r\n"
	                          "X-Session-Id: " SID "\r\nContent-Length: 262145\r\n\r\n",
	                          &cfg_auth, &r),
	                 413);
	ck_assert_int_eq(r.has_body, 1);
	ck_assert_int_eq(classify("POST /meek/ HTTP/1.1\r\nHost: a\r\nX-Meek-Auth: s3cret-token\r\n"
	                          "X-Session-Id: " SID "\r\nContent-Length: 262144\r\n\r\n",
	                          &cfg_auth, &r),
	                 0);
	ck_assert_int_eq(classify("POST /meek/ HTTP/1.1\r\nHost: a\r\nX-Meek-Auth: s3cret-token\r\n"
	                          "X-Session-Id: " SID "\r\nTransfer-Encoding: chunked\r\n\r\n",
	                          &cfg_auth, &r),
	                 411);
	ck_assert_int_eq(r.has_body, 1);
}
END_TEST

START_TEST(test_session_id)
{
	char id[MEEK_SESSION_ID_MAX + 2];

	memset(id, 'a', sizeof(id));
	ck_assert_int_eq(meek_session_id_ok(id, 7), 0);
	ck_assert_int_eq(meek_session_id_ok(id, 8), 1);
	ck_assert_int_eq(meek_session_id_ok(id, MEEK_SESSION_ID_MAX), 1);
	ck_assert_int_eq(meek_session_id_ok(id, MEEK_SESSION_ID_MAX + 1), 0);
	ck_assert_int_eq(meek_session_id_ok("x5ej2h96frv", 11), 1);
	ck_assert_int_eq(meek_session_id_ok("abc+/=-_.~", 10), 1);
	ck_assert_int_eq(meek_session_id_ok("abcd efgh", 9), 0);
	ck_assert_int_eq(meek_session_id_ok("abcd\"efgh", 9), 0);
	ck_assert_int_eq(meek_session_id_ok("abcd,efgh", 9), 0);
	ck_assert_int_eq(meek_session_id_ok("abcd\x80" "efgh", 9), 0);
	ck_assert_int_eq(meek_session_id_ok("abcd\x01" "efgh", 9), 0);
}
END_TEST

START_TEST(test_resp_cap)
{
	ck_assert_uint_eq(meek_resp_cap(NULL, 262144), 65536);
	ck_assert_uint_eq(meek_resp_cap(NULL, 4096), 4096);
	ck_assert_uint_eq(meek_resp_cap("262144", 262144), 262144);
	ck_assert_uint_eq(meek_resp_cap("1000", 262144), 1000);
	ck_assert_uint_eq(meek_resp_cap("99999999999", 262144), 262144);
	ck_assert_uint_eq(meek_resp_cap("0", 262144), 65536);
	ck_assert_uint_eq(meek_resp_cap("-5", 262144), 65536);
	ck_assert_uint_eq(meek_resp_cap("12ab", 262144), 65536);
	ck_assert_uint_eq(meek_resp_cap("", 262144), 65536);
	ck_assert_uint_eq(meek_resp_cap("99999999999999999999999", 262144), 65536);
}
END_TEST

static void
check_addr(const char *in, int family, const char *want, unsigned port)
{
	struct sockaddr_storage ss;
	char got[INET6_ADDRSTRLEN];
	const void *a;

	ck_assert_msg(meek_forwarded_addr(in, strlen(in), &ss) == 0, "'%s' refused", in);
	ck_assert_int_eq(ss.ss_family, family);
	a = family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
	                      : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	ck_assert_ptr_nonnull(inet_ntop(family, a, got, sizeof(got)));
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                          : ((struct sockaddr_in6 *)&ss)->sin6_port),
	                  port);
}

START_TEST(test_forwarded)
{
	static const char *const bad[] = { "", " ", "unknown", "1.2.3", "1.2.3.4:99999",
		                           "[::1", "[::1]x", "1.2.3.4:", ",1.2.3.4",
		                           "300.1.1.1", "[1.2.3.4]" };
	struct sockaddr_storage ss;
	size_t i;

	check_addr("203.0.113.7", AF_INET, "203.0.113.7", 0);
	check_addr("203.0.113.7, 10.0.0.1, 10.0.0.2", AF_INET, "203.0.113.7", 0);
	check_addr("  198.51.100.2\t,x", AF_INET, "198.51.100.2", 0);
	check_addr("198.51.100.2:4242", AF_INET, "198.51.100.2", 4242);
	check_addr("2001:db8::1", AF_INET6, "2001:db8::1", 0);
	check_addr("[2001:db8::1]:443", AF_INET6, "2001:db8::1", 443);
	check_addr("[::1]", AF_INET6, "::1", 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(meek_forwarded_addr(bad[i], strlen(bad[i]), &ss) == -1, "'%s' accepted",
		              bad[i]);
	/* Only the first n bytes count. */
	ck_assert_int_eq(meek_forwarded_addr("1.2.3.4x", 7, &ss), 0);
}
END_TEST

static uint32_t
fwd4(const struct meek_req *r)
{
	ck_assert_int_eq(r->has_fwd, 1);
	ck_assert_int_eq(r->fwd.ss_family, AF_INET);
	return ntohl(((const struct sockaddr_in *)&r->fwd)->sin_addr.s_addr);
}

/* The right-most X-Forwarded-For element (what the front added), or the hops-th; Meek-IP only when trusted. */
START_TEST(test_forwarded_headers)
{
	struct meek_req r;
	struct meek_cfg trust = cfg_open, untrusted = cfg_open, hops2, meekip;

	trust.trust_forwarded = 1;
	trust.trusted_hops = 1;
	hops2 = trust;
	hops2.trusted_hops = 2;
	meekip = trust;
	meekip.trust_meek_ip = 1;
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "Meek-IP: 192.0.2.9\r\nX-Forwarded-For: 192.0.2.1, 10.1.1.1\r\n\r\n",
	                          &trust, &r),
	                 0);
	ck_assert_uint_eq(fwd4(&r), 0x0a010101);
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Forwarded-For: 192.0.2.1, 10.1.1.1\r\n\r\n",
	                          &hops2, &r),
	                 0);
	ck_assert_uint_eq(fwd4(&r), 0xc0000201);
	/* Several fields are one list, in order. */
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Forwarded-For: 192.0.2.1, 192.0.2.2\r\n"
	                          "X-Forwarded-For: 192.0.2.3\r\n\r\n",
	                          &hops2, &r),
	                 0);
	ck_assert_uint_eq(fwd4(&r), 0xc0000202);
	/* Fewer elements than hops: none. */
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Forwarded-For: 192.0.2.1\r\n\r\n",
	                          &hops2, &r),
	                 0);
	ck_assert_int_eq(r.has_fwd, 0);
	/* Meek-IP: ignored unless trusted. */
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Forwarded-For: garbage\r\nMeek-IP: 192.0.2.9\r\n\r\n",
	                          &trust, &r),
	                 0);
	ck_assert_int_eq(r.has_fwd, 0);
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Forwarded-For: garbage\r\nMeek-IP: 192.0.2.9\r\n\r\n",
	                          &meekip, &r),
	                 0);
	ck_assert_uint_eq(fwd4(&r), 0xc0000209);
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Forwarded-For: 192.0.2.1\r\n\r\n",
	                          &untrusted, &r),
	                 0);
	ck_assert_int_eq(r.has_fwd, 0);
}
END_TEST

static struct sockaddr_storage
addr4(uint32_t a)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET;
	((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(a);
	return ss;
}

/* Token bucket: a burst, then the rate; a per-address cap; addresses apart. */
START_TEST(test_limit_rate)
{
	struct mlimit l;
	struct sockaddr_storage a = addr4(0xc0000201), b = addr4(0xc0000202);
	int i;

	ck_assert_int_eq(mlimit_init(&l, 0, 10, 5, 8, 42), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(mlimit_open(&l, &a, 100.0), MLIMIT_OK);
	ck_assert_int_eq(mlimit_open(&l, &a, 100.0), MLIMIT_RATE);
	ck_assert_int_eq(mlimit_open(&l, &b, 100.0), MLIMIT_OK);
	/* 0.15 s later: one more token (and a half). */
	ck_assert_int_eq(mlimit_open(&l, &a, 100.15), MLIMIT_OK);
	ck_assert_int_eq(mlimit_open(&l, &a, 100.15), MLIMIT_RATE);
	/* Long after: the bucket is full again, but the cap of 8 holds. */
	ck_assert_int_eq(mlimit_open(&l, &a, 200.0), MLIMIT_OK);
	ck_assert_int_eq(mlimit_open(&l, &a, 200.0), MLIMIT_OK);
	ck_assert_uint_eq(mlimit_sessions(&l, &a), 8);
	ck_assert_int_eq(mlimit_open(&l, &a, 200.0), MLIMIT_CAP);
	mlimit_close(&l, &a);
	ck_assert_int_eq(mlimit_open(&l, &a, 200.0), MLIMIT_OK);
	mlimit_free(&l);
}
END_TEST

/* The table stays bounded; addresses with sessions are never forgotten. */
START_TEST(test_limit_lru)
{
	struct mlimit l;
	struct sockaddr_storage a = addr4(0x0a000001), x;
	uint32_t i;

	ck_assert_int_eq(mlimit_init(&l, 0, 1, 1, 4, 7), 0);
	ck_assert_int_eq(mlimit_open(&l, &a, 1.0), MLIMIT_OK);
	ck_assert_int_eq(mlimit_open(&l, &a, 1.0), MLIMIT_RATE);
	for (i = 0; i < 10 * MLIMIT_TABLE_MIN; i++) {
		x = addr4(0xc6120000 + i);
		ck_assert_int_eq(mlimit_open(&l, &x, 1.0), MLIMIT_OK);
		mlimit_close(&l, &x);
	}
	ck_assert_uint_le(l.nentries, MLIMIT_TABLE_MIN);
	ck_assert_uint_gt(l.evicted, 0);
	/* a kept its count and its empty bucket. */
	ck_assert_uint_eq(mlimit_sessions(&l, &a), 1);
	ck_assert_int_eq(mlimit_open(&l, &a, 1.0), MLIMIT_RATE);
	mlimit_free(&l);
}
END_TEST

/* IPv6 addresses count per /64. */
START_TEST(test_limit_v6)
{
	struct mlimit l;
	struct sockaddr_storage a, b;

	memset(&a, 0, sizeof(a));
	a.ss_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:1:2::1", &((struct sockaddr_in6 *)&a)->sin6_addr), 1);
	b = a;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:1:2:ffff::9", &((struct sockaddr_in6 *)&b)->sin6_addr), 1);
	ck_assert_int_eq(mlimit_init(&l, 0, 1, 1, 4, 7), 0);
	ck_assert_int_eq(mlimit_open(&l, &a, 1.0), MLIMIT_OK);
	ck_assert_int_eq(mlimit_open(&l, &b, 1.0), MLIMIT_RATE);
	mlimit_free(&l);
}
END_TEST

START_TEST(test_seq)
{
	struct meek_req r;

	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Meek-Seq: 18446744073709551615\r\n\r\n",
	                          &cfg_open, &r),
	                 0);
	ck_assert_int_eq(r.has_seq, 1);
	ck_assert_uint_eq(r.seq, UINT64_MAX);
	ck_assert_int_eq(classify("POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "X-Meek-Seq: -1\r\n\r\n",
	                          &cfg_open, &r),
	                 0);
	ck_assert_int_eq(r.has_seq, 0);
}
END_TEST

/* The head arrives one byte at a time, then glued to the next request. */
START_TEST(test_drip_glued)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: a\r\nX-Session-Id: " SID "\r\n"
	                          "Content-Length: 3\r\n\r\nabc";
	char two[2 * sizeof(req)];
	size_t head = strlen(req) - 3, i;
	struct meek_req r;
	ssize_t n;

	for (i = 0; i < head; i++)
		ck_assert_int_eq(http_parse_request_head((const uint8_t *)req, i, &hd), 0);
	ck_assert_int_eq(http_parse_request_head((const uint8_t *)req, head, &hd), (ssize_t)head);
	ck_assert_int_eq(meek_classify(&hd, &cfg_open, &r), 0);
	ck_assert_uint_eq(r.body_len, 3);
	memcpy(two, req, strlen(req));
	memcpy(two + strlen(req), req, strlen(req));
	n = http_parse_request_head((const uint8_t *)two, 2 * strlen(req), &hd);
	ck_assert_int_eq(n, (ssize_t)head);
	n = http_parse_request_head((const uint8_t *)two + strlen(req), strlen(req), &hd);
	ck_assert_int_eq(n, (ssize_t)head);
}
END_TEST

START_TEST(test_format)
{
	char out[MEEK_ERR_MAX];
	ssize_t n;

	n = meek_format_error(out, sizeof(out), 403, "forbidden", 0, 0, NULL);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(out, "HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n"
	                      "Content-Type: text/plain; charset=utf-8\r\n"
	                      "X-Content-Type-Options: nosniff\r\n\r\nforbidden\n");
	n = meek_format_error(out, sizeof(out), 404, "404 page not found", 1, 1,
	                      "Sun, 22 Nov 2026 06:00:00 GMT");
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 19\r\n"
	                      "Content-Type: text/plain; charset=utf-8\r\n"
	                      "X-Content-Type-Options: nosniff\r\n"
	                      "Date: Sun, 22 Nov 2026 06:00:00 GMT\r\nConnection: close\r\n\r\n");
	n = meek_format_ok(out, sizeof(out), 12345, 0, NULL, NULL);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(out, "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n"
	                      "Content-Type: application/octet-stream\r\n\r\n");
	ck_assert_int_eq(meek_format_error(out, 40, 403, "forbidden", 0, 0, NULL), -1);
}
END_TEST

static Suite *
meek_server_suite(void)
{
	Suite *s = suite_create("meek_server");
	TCase *tc = tcase_create("classify");

	tcase_add_test(tc, test_meek_ok);
	tcase_add_test(tc, test_classic);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_seq);
	tcase_add_test(tc, test_drip_glued);
	tcase_add_test(tc, test_forwarded_headers);
	tcase_add_test(tc, test_limit_rate);
	tcase_add_test(tc, test_limit_lru);
	tcase_add_test(tc, test_limit_v6);
	suite_add_tcase(s, tc);
	tc = tcase_create("helpers");
	tcase_add_test(tc, test_session_id);
	tcase_add_test(tc, test_resp_cap);
	tcase_add_test(tc, test_forwarded);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(meek_server_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
