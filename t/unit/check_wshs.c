/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket opening handshake (proto/wshs): RFC 6455's accept
 * example, requests and responses fed one byte at a time and glued to
 * the frames that follow, the malformed ones refused (wrong method,
 * version, key, missing Upgrade or Connection token, not HTTP), the
 * formatters parsed back by the parsers, and ?client_ip= extraction.
 */
#include "proto/wshs.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static const char req_ok[] =
	"GET /chat?client_ip=192.0.2.9&x=1 HTTP/1.1\r\nHost: server.example.com\r\n"
	"Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nOrigin: http://example.com\r\n"
	"Sec-WebSocket-Version: 13\r\n\r\n";

START_TEST(test_accept_rfc6455)
{
	char out[WSHS_ACCEPT_LEN + 1];

	ck_assert_int_eq(wshs_accept(KEY, out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

START_TEST(test_request_drip_glued)
{
	static const char frames[] = "\x82\x85\x01\x02\x03\x04hello";
	uint8_t buf[sizeof(req_ok) + sizeof(frames)];
	size_t n = sizeof(req_ok) - 1, i;
	struct wshs_request r;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(wshs_parse_request((const uint8_t *)req_ok, i, &r), 0);
	memcpy(buf, req_ok, n);
	memcpy(buf + n, frames, sizeof(frames) - 1);
	ck_assert_int_eq(wshs_parse_request(buf, n + sizeof(frames) - 1, &r), (ssize_t)n);
	ck_assert_str_eq(r.key, KEY);
	ck_assert_str_eq(r.host, "server.example.com");
	ck_assert_str_eq(r.target, "/chat?client_ip=192.0.2.9&x=1");
}
END_TEST

static const char *const req_bad[] = {
	/* POST */
	"POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* HTTP/1.0 */
	"GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* version 8 */
	"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n\r\n",
	/* no key */
	"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Version: 13\r\n\r\n",
	/* key of the wrong length */
	"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* key with a bad character */
	"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ*==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* Upgrade to something else */
	"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* no upgrade token in Connection */
	"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* a body */
	"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 3\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* absolute form */
	"GET http://h/ HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
	/* bare LF: refused by the HTTP layer */
	"GET / HTTP/1.1\nHost: h\n\n",
	/* a TLS ClientHello */
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
};

START_TEST(test_request_bad)
{
	const char *s = req_bad[_i];
	struct wshs_request r;

	ck_assert_int_eq(wshs_parse_request((const uint8_t *)s, strlen(s), &r), -1);
}
END_TEST

START_TEST(test_request_too_long)
{
	static uint8_t big[HTTP_HEAD_MAX + 64];
	struct wshs_request r;
	const char *pre = "GET / HTTP/1.1\r\nX-Pad: ";

	memset(big, 'a', sizeof(big));
	memcpy(big, pre, strlen(pre));
	ck_assert_int_eq(wshs_parse_request(big, sizeof(big), &r), -1);
}
END_TEST

START_TEST(test_round_trip)
{
	char req[1024], resp[512], key[WSHS_KEY_LEN + 1], key2[WSHS_KEY_LEN + 1];
	struct wshs_request r;
	ssize_t n, m;
	size_t i;
	int st = 0;

	ck_assert_int_eq(wshs_new_key(key), 0);
	ck_assert_int_eq(wshs_new_key(key2), 0);
	ck_assert_str_ne(key, key2);
	n = wshs_format_request(req, sizeof(req), "relay.example:8080", "/snowflake", key);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wshs_parse_request((const uint8_t *)req, (size_t)n, &r), n);
	ck_assert_str_eq(r.key, key);
	ck_assert_str_eq(r.target, "/snowflake");
	m = wshs_format_response(resp, sizeof(resp), r.key);
	ck_assert_int_gt(m, 0);
	for (i = 0; i < (size_t)m; i++)
		ck_assert_int_eq(wshs_parse_response((const uint8_t *)resp, i, key, &st), 0);
	ck_assert_int_eq(wshs_parse_response((const uint8_t *)resp, (size_t)m, key, &st), m);
	ck_assert_int_eq(st, 101);
	/* The accept of another key is refused. */
	ck_assert_int_eq(wshs_parse_response((const uint8_t *)resp, (size_t)m, key2, &st), -1);
	/* Header injection through the formatter's arguments. */
	ck_assert_int_eq(wshs_format_request(req, sizeof(req), "h\r\nX: y", "/", key), -1);
	ck_assert_int_eq(wshs_format_request(req, sizeof(req), "h", "/a b", key), -1);
	ck_assert_int_eq(wshs_format_request(req, sizeof(req), "h", "nopath", key), -1);
	ck_assert_int_eq(wshs_format_request(req, 16, "h", "/", key), -1);
}
END_TEST

START_TEST(test_response_refused)
{
	static const char r403[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	static const char r200[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	int st = 0;

	ck_assert_int_eq(wshs_parse_response((const uint8_t *)r403, sizeof(r403) - 1, KEY, &st), -1);
	ck_assert_int_eq(st, 403);
	ck_assert_int_eq(wshs_parse_response((const uint8_t *)r200, sizeof(r200) - 1, KEY, &st), -1);
	ck_assert_int_eq(st, 200);
}
END_TEST

START_TEST(test_query_param)
{
	char v[WSHS_PARAM_MAX + 1];

	ck_assert_int_eq(wshs_query_param("/?client_ip=192.0.2.1", "client_ip", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "192.0.2.1");
	ck_assert_int_eq(wshs_query_param("/p?a=1&client_ip=2001:db8::1&b", "client_ip", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "2001:db8::1");
	ck_assert_int_eq(wshs_query_param("/p?xclient_ip=1", "client_ip", v, sizeof(v)), 0);
	ck_assert_int_eq(wshs_query_param("/client_ip=1", "client_ip", v, sizeof(v)), 0);
	ck_assert_int_eq(wshs_query_param("/?client_ip", "client_ip", v, sizeof(v)), 0);
	ck_assert_int_eq(wshs_query_param("/?client_ip=%31", "client_ip", v, sizeof(v)), -1);
	ck_assert_int_eq(wshs_query_param("/?client_ip=123456789", "client_ip", v, 4), -1);
	ck_assert_int_eq(wshs_query_param("/?a=1#client_ip=1", "client_ip", v, sizeof(v)), 0);
}
END_TEST

static Suite *
wshs_suite(void)
{
	Suite *s = suite_create("wshs");
	TCase *tc = tcase_create("handshake");

	tcase_add_test(tc, test_accept_rfc6455);
	tcase_add_test(tc, test_request_drip_glued);
	tcase_add_loop_test(tc, test_request_bad, 0, (int)(sizeof(req_bad) / sizeof(req_bad[0])));
	tcase_add_test(tc, test_request_too_long);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_response_refused);
	tcase_add_test(tc, test_query_param);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wshs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
