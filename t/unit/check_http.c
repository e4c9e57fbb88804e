/* SPDX-License-Identifier: MIT */
/*
 * Check suite for common/http.c: request and response heads fed whole,
 * one byte at a time and glued to what follows them; oversized heads,
 * too many headers, garbage and smuggling shapes; the CONNECT authority
 * splitter; the response formatter. Vectors live in t/data/http/
 * (invalid requests in bad/, invalid responses there as resp-*), read
 * relative to $PW_TOP or the current directory.
 */
#include "proto/http.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VEC_MAX (4 * HTTP_HEAD_MAX)

struct vec {
	uint8_t b[VEC_MAX];
	size_t n;
};

static void
vec_load(const char *name, struct vec *v)
{
	const char *top = getenv("PW_TOP");
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/t/data/http/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	v->n = fread(v->b, 1, sizeof(v->b), f);
	ck_assert(ferror(f) == 0 && feof(f));
	fclose(f);
}

/* The heap copy lets ASan catch a read of even one byte past n. */
static ssize_t
parse_exact(const uint8_t *p, size_t n, struct http_head *h, int request)
{
	uint8_t *copy = malloc(n ? n : 1);
	ssize_t r;

	ck_assert(copy != NULL);
	memcpy(copy, p, n);
	r = request ? http_parse_request_head(copy, n, h) : http_parse_response_head(copy, n, h);
	free(copy);
	return r;
}

static struct http_head hd; /* ~11 KiB: keep it off the stack */

static const char *
hval(const char *name)
{
	const struct http_header *x = http_header_find(&hd, name);

	return x ? x->value : NULL;
}

/* Every proper prefix of the head needs more; head_len and longer give head_len. */
static void
drip(const struct vec *v, size_t head_len, int request)
{
	size_t k;

	for (k = 0; k < head_len; k++)
		ck_assert_int_eq(parse_exact(v->b, k, &hd, request), 0);
	for (k = head_len; k <= v->n; k++)
		ck_assert_int_eq(parse_exact(v->b, k, &hd, request), (ssize_t)head_len);
}

START_TEST(test_get)
{
	struct vec v;

	vec_load("req-get.txt", &v);
	ck_assert_int_eq(parse_exact(v.b, v.n, &hd, 1), (ssize_t)v.n);
	ck_assert(hd.is_request);
	ck_assert_str_eq(hd.method, "GET");
	ck_assert_str_eq(hd.target, "/index.html?x=1");
	ck_assert_uint_eq(hd.target_len, strlen("/index.html?x=1"));
	ck_assert_int_eq(hd.http_major, 1);
	ck_assert_int_eq(hd.http_minor, 1);
	ck_assert_uint_eq(hd.nheaders, 4);
	ck_assert_str_eq(hd.headers[0].name, "Host");
	ck_assert_str_eq(hval("host"), "example.com");
	ck_assert_str_eq(hval("USER-AGENT"), "curl/8.0");
	ck_assert_str_eq(hval("x-padded"), "spaced value");
	ck_assert_uint_eq(http_header_find(&hd, "X-Padded")->value_len, strlen("spaced value"));
	ck_assert_ptr_null(http_header_find(&hd, "Hos"));
	ck_assert_ptr_null(http_header_find(&hd, "Hostx"));
	ck_assert(hd.keep_alive);
	ck_assert(!hd.upgrade && !hd.chunked && !hd.has_content_length);
	drip(&v, v.n, 1);
}
END_TEST

START_TEST(test_empty_value)
{
	static const char s[] = "GET / HTTP/1.1\r\nX-Empty:\r\nX-Blank:   \r\nHost: h\r\n\r\n";

	ck_assert_int_eq(parse_exact((const uint8_t *)s, strlen(s), &hd, 1), (ssize_t)strlen(s));
	ck_assert_uint_eq(hd.nheaders, 3);
	ck_assert_str_eq(hval("x-empty"), "");
	ck_assert_str_eq(hval("x-blank"), "");
	ck_assert_str_eq(hval("host"), "h");
}
END_TEST

START_TEST(test_glued)
{
	struct vec v;
	ssize_t a, b;

	vec_load("req-pipelined.txt", &v);
	a = parse_exact(v.b, v.n, &hd, 1);
	ck_assert_int_eq(a, (ssize_t)strlen("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
	ck_assert_str_eq(hd.method, "GET");
	ck_assert_str_eq(hd.target, "/a");
	ck_assert(hd.keep_alive);
	drip(&v, (size_t)a, 1);
	b = parse_exact(v.b + a, v.n - (size_t)a, &hd, 1);
	ck_assert_int_eq(a + b, (ssize_t)v.n);
	ck_assert_str_eq(hd.method, "HEAD");
	ck_assert_str_eq(hd.target, "/b");
	ck_assert(!hd.keep_alive);
}
END_TEST

START_TEST(test_body_not_consumed)
{
	struct vec v;
	ssize_t r;

	vec_load("req-post-body.txt", &v);
	r = parse_exact(v.b, v.n, &hd, 1);
	ck_assert_int_eq(r, (ssize_t)v.n - 5);
	ck_assert_str_eq(hd.method, "POST");
	ck_assert(hd.has_content_length);
	ck_assert_uint_eq(hd.content_length, 5);
	ck_assert(memcmp(v.b + r, "hello", 5) == 0);
	drip(&v, (size_t)r, 1);
}
END_TEST

START_TEST(test_connect_early_data)
{
	struct vec v;
	struct http_authority au;
	ssize_t r;

	vec_load("req-connect-early.bin", &v);
	r = parse_exact(v.b, v.n, &hd, 1);
	ck_assert_int_gt(r, 0);
	ck_assert_str_eq(hd.method, "CONNECT");
	ck_assert_str_eq(hd.target, "example.com:443");
	ck_assert(hd.upgrade);
	ck_assert(memcmp(v.b + r, "\x16\x03\x01", 3) == 0);
	ck_assert(memcmp(v.b + v.n - 5, "early", 5) == 0);
	drip(&v, (size_t)r, 1);
	ck_assert_int_eq(http_split_authority(hd.target, hd.target_len, &au), 0);
	ck_assert_str_eq(au.host, "example.com");
	ck_assert_int_eq(au.port, 443);
	ck_assert(!au.is_v6);

	vec_load("req-connect-v6.txt", &v);
	ck_assert_int_eq(parse_exact(v.b, v.n, &hd, 1), (ssize_t)v.n);
	ck_assert_int_eq(http_split_authority(hd.target, hd.target_len, &au), 0);
	ck_assert_str_eq(au.host, "2001:db8::1");
	ck_assert_int_eq(au.port, 8443);
	ck_assert(au.is_v6);
}
END_TEST

START_TEST(test_http10)
{
	struct vec v;

	vec_load("req-http10.txt", &v);
	ck_assert_int_eq(parse_exact(v.b, v.n, &hd, 1), (ssize_t)v.n);
	ck_assert_int_eq(hd.http_minor, 0);
	ck_assert(!hd.keep_alive);
	ck_assert_uint_eq(hd.nheaders, 0);
	vec_load("req-http10-ka.txt", &v);
	ck_assert_int_eq(parse_exact(v.b, v.n, &hd, 1), (ssize_t)v.n);
	ck_assert(hd.keep_alive);
}
END_TEST

START_TEST(test_response_cl)
{
	struct vec v;

	vec_load("resp-cl.txt", &v);
	ck_assert_int_eq(parse_exact(v.b, v.n, &hd, 0), (ssize_t)v.n);
	ck_assert(!hd.is_request);
	ck_assert_int_eq(hd.status, 200);
	ck_assert(hd.has_content_length);
	ck_assert_uint_eq(hd.content_length, 1234);
	ck_assert(hd.keep_alive && !hd.chunked);
	ck_assert_str_eq(hval("content-type"), "text/plain");
	drip(&v, v.n, 0);
}
END_TEST

START_TEST(test_response_chunked)
{
	struct vec v;
	ssize_t r;

	vec_load("resp-chunked.txt", &v);
	r = parse_exact(v.b, v.n, &hd, 0);
	ck_assert_int_eq(r, (ssize_t)strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
	ck_assert(hd.chunked && !hd.has_content_length && hd.keep_alive);
	drip(&v, (size_t)r, 0);
}
END_TEST

START_TEST(test_response_close)
{
	struct vec v;
	ssize_t r;

	vec_load("resp-close.txt", &v);
	r = parse_exact(v.b, v.n, &hd, 0);
	ck_assert_int_eq(r, (ssize_t)v.n - 10);
	ck_assert(!hd.keep_alive);
	ck_assert_uint_eq(hd.content_length, 10);

	/* No length in HTTP/1.0: the body runs to EOF, so no reuse. */
	vec_load("resp-http10-eof.txt", &v);
	r = parse_exact(v.b, v.n, &hd, 0);
	ck_assert_int_eq(r, (ssize_t)v.n - (ssize_t)strlen("body until eof"));
	ck_assert(!hd.keep_alive && !hd.has_content_length);
	ck_assert_int_eq(hd.http_minor, 0);
}
END_TEST

START_TEST(test_response_upgrade_interim)
{
	struct vec v;
	ssize_t r;

	vec_load("resp-101.bin", &v);
	r = parse_exact(v.b, v.n, &hd, 0);
	ck_assert_int_eq(r, (ssize_t)v.n - 7);
	ck_assert_int_eq(hd.status, 101);
	ck_assert(hd.upgrade);
	drip(&v, (size_t)r, 0);

	vec_load("resp-100-204.txt", &v);
	r = parse_exact(v.b, v.n, &hd, 0);
	ck_assert_int_eq(r, (ssize_t)strlen("HTTP/1.1 100 Continue\r\n\r\n"));
	ck_assert_int_eq(hd.status, 100);
	ck_assert_int_eq(parse_exact(v.b + r, v.n - (size_t)r, &hd, 0), (ssize_t)v.n - r);
	ck_assert_int_eq(hd.status, 204);
}
END_TEST

static int
vec_is_response(const char *name)
{
	return strncmp(name, "resp-", 5) == 0;
}

/* Every file in bad/ is refused, whole and as every prefix that got a verdict. */
START_TEST(test_bad_vectors)
{
	const char *top = getenv("PW_TOP");
	char dir[512], name[600];
	struct dirent *de;
	struct vec v;
	DIR *d;
	int count = 0;
	size_t k;
	ssize_t r;

	snprintf(dir, sizeof(dir), "%s/t/data/http/bad", top ? top : ".");
	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "bad/%s", de->d_name);
		vec_load(name, &v);
		r = parse_exact(v.b, v.n, &hd, !vec_is_response(de->d_name));
		ck_assert_msg(r == -1, "%s: got %zd", name, r);
		/* A prefix may need more, or fail early, but never succeed. */
		for (k = 0; k < v.n; k++)
			ck_assert_msg(parse_exact(v.b, k, &hd, !vec_is_response(de->d_name)) <= 0,
			              "%s prefix %zu", name, k);
		count++;
	}
	closedir(d);
	ck_assert_int_ge(count, 20);
}
END_TEST

START_TEST(test_fail_fast)
{
	/* Binary and bare-LF input is refused at the first bad byte, not at HTTP_HEAD_MAX. */
	ck_assert_int_eq(parse_exact((const uint8_t *)"\x16", 1, &hd, 1), -1);
	ck_assert_int_eq(parse_exact((const uint8_t *)"GET / HTTP/1.1\n", 15, &hd, 1), -1);
	ck_assert_int_eq(parse_exact((const uint8_t *)"GET / HTTP/1.1\rX", 16, &hd, 1), -1);
	ck_assert_int_eq(parse_exact((const uint8_t *)"\r\n", 2, &hd, 1), -1);
	ck_assert_int_eq(parse_exact((const uint8_t *)"GET / HTTP/1.1\r", 15, &hd, 1), 0);
	ck_assert_int_eq(parse_exact((const uint8_t *)"", 0, &hd, 1), 0);
	ck_assert_int_eq(parse_exact((const uint8_t *)"", 0, &hd, 0), 0);
}
END_TEST

/* "GET / HTTP/1.1\r\nX: aaa…\r\n\r\n" of exactly len bytes (len >= 24). */
static size_t
make_head(uint8_t *b, size_t len)
{
	static const char pre[] = "GET / HTTP/1.1\r\nX: ";
	size_t fill = len - (sizeof(pre) - 1) - 4;

	memcpy(b, pre, sizeof(pre) - 1);
	memset(b + sizeof(pre) - 1, 'a', fill);
	memcpy(b + len - 4, "\r\n\r\n", 4);
	return len;
}

START_TEST(test_oversized)
{
	static uint8_t b[HTTP_HEAD_MAX + 64];
	size_t n;

	n = make_head(b, HTTP_HEAD_MAX);
	ck_assert_int_eq(parse_exact(b, n, &hd, 1), HTTP_HEAD_MAX);
	ck_assert_uint_eq(http_header_find(&hd, "x")->value_len, HTTP_HEAD_MAX - 23);
	n = make_head(b, HTTP_HEAD_MAX + 1);
	ck_assert_int_eq(parse_exact(b, n, &hd, 1), -1);
	/* Without an end in sight: need more until the cap, then refuse. */
	ck_assert_int_eq(parse_exact(b, HTTP_HEAD_MAX - 1, &hd, 1), 0);
	ck_assert_int_eq(parse_exact(b, HTTP_HEAD_MAX, &hd, 1), -1);
	ck_assert_int_eq(parse_exact(b, sizeof(b), &hd, 1), -1);
}
END_TEST

static size_t
make_many_headers(uint8_t *b, size_t cap, int count)
{
	size_t n = 0;
	int i;

	n += (size_t)snprintf((char *)b + n, cap - n, "GET / HTTP/1.1\r\n");
	for (i = 0; i < count; i++)
		n += (size_t)snprintf((char *)b + n, cap - n, "H%d: %d\r\n", i, i);
	n += (size_t)snprintf((char *)b + n, cap - n, "\r\n");
	return n;
}

START_TEST(test_too_many_headers)
{
	static uint8_t b[HTTP_HEAD_MAX];
	size_t n;

	n = make_many_headers(b, sizeof(b), HTTP_HEADERS_MAX);
	ck_assert_int_eq(parse_exact(b, n, &hd, 1), (ssize_t)n);
	ck_assert_uint_eq(hd.nheaders, HTTP_HEADERS_MAX);
	ck_assert_str_eq(hd.headers[HTTP_HEADERS_MAX - 1].name, "H63");
	ck_assert_str_eq(hd.headers[HTTP_HEADERS_MAX - 1].value, "63");
	n = make_many_headers(b, sizeof(b), HTTP_HEADERS_MAX + 1);
	ck_assert_int_eq(parse_exact(b, n, &hd, 1), -1);
}
END_TEST

START_TEST(test_authority)
{
	static const struct {
		const char *s;
		const char *host;
		int port, v6;
	} ok[] = {
		{ "example.com:443", "example.com", 443, 0 },
		{ "a:1", "a", 1, 0 },
		{ "10.0.0.1:65535", "10.0.0.1", 65535, 0 },
		{ "under_score.example:80", "under_score.example", 80, 0 },
		{ "[::1]:22", "::1", 22, 1 },
		{ "[::ffff:1.2.3.4]:8080", "::ffff:1.2.3.4", 8080, 1 },
	};
	static const char *const bad[] = {
		"", ":", "host", "host:", ":80", "host:0", "host:65536", "host:99999", "host:080",
		"host:+80", "host:-1", "host:8 0", "host:80 ", " host:80", "ho st:80", "host:80x",
		"::1:80", "[::1]", "[::1]80", "[::1]:", "[]:80", "[::1:80", "[fe80::1%eth0]:80",
		"[example.com]:80", "[1.2.3.4]:80", "host:123456", "ho/st:80", "host:80:81",
		"[::1]:80]", "h\xc3\xa9:80",
	};
	struct http_authority au;
	char longhost[HTTP_HOST_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(http_split_authority(ok[i].s, strlen(ok[i].s), &au) == 0, "%s", ok[i].s);
		ck_assert_str_eq(au.host, ok[i].host);
		ck_assert_int_eq(au.port, ok[i].port);
		ck_assert_int_eq(au.is_v6, ok[i].v6);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(http_split_authority(bad[i], strlen(bad[i]), &au) == -1, "%s", bad[i]);
	/* Length is what counts, not a NUL. */
	ck_assert_int_eq(http_split_authority("a:80\0:1", 7, &au), -1);
	ck_assert_int_eq(http_split_authority("a:8099", 4, &au), 0);
	ck_assert_int_eq(au.port, 80);

	memset(longhost, 'a', HTTP_HOST_MAX);
	memcpy(longhost + HTTP_HOST_MAX, ":1", 3);
	ck_assert_int_eq(http_split_authority(longhost, strlen(longhost), &au), 0);
	ck_assert_uint_eq(strlen(au.host), HTTP_HOST_MAX);
	memset(longhost, 'a', HTTP_HOST_MAX + 1);
	memcpy(longhost + HTTP_HOST_MAX + 1, ":1", 3);
	ck_assert_int_eq(http_split_authority(longhost, strlen(longhost), &au), -1);
}
END_TEST

START_TEST(test_format)
{
	struct vec v;
	char out[256];
	ssize_t r;

	vec_load("resp-502.txt", &v);
	r = http_format_response_head(out, sizeof(out), 502, 0, NULL);
	ck_assert_int_eq(r, (ssize_t)v.n);
	ck_assert(memcmp(out, v.b, v.n) == 0);
	/* What we write, we parse. */
	ck_assert_int_eq(parse_exact((const uint8_t *)out, (size_t)r, &hd, 0), r);
	ck_assert_int_eq(hd.status, 502);

	r = http_format_response_head(out, sizeof(out), 200, HTTP_NO_LENGTH,
	                              "Connection: close\r\n");
	ck_assert_str_eq(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(r, (ssize_t)strlen(out));
	r = http_format_response_head(out, sizeof(out), 299, UINT64_MAX - 1, "");
	ck_assert_str_eq(out, "HTTP/1.1 299 \r\nContent-Length: 18446744073709551614\r\n\r\n");

	ck_assert_int_eq(http_format_response_head(out, 10, 200, 0, NULL), -1);
	ck_assert_int_eq(http_format_response_head(out, 39, 200, 0, NULL), 38);
	ck_assert_int_eq(http_format_response_head(out, 38, 200, 0, NULL), -1);
	ck_assert_int_eq(http_format_response_head(out, sizeof(out), 99, 0, NULL), -1);
	ck_assert_int_eq(http_format_response_head(out, sizeof(out), 1000, 0, NULL), -1);
	ck_assert_str_eq(http_reason(404), "Not Found");
	ck_assert_str_eq(http_reason(799), "");
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_get);
	tcase_add_test(tc, test_empty_value);
	tcase_add_test(tc, test_glued);
	tcase_add_test(tc, test_body_not_consumed);
	tcase_add_test(tc, test_connect_early_data);
	tcase_add_test(tc, test_http10);
	tcase_add_test(tc, test_response_cl);
	tcase_add_test(tc, test_response_chunked);
	tcase_add_test(tc, test_response_close);
	tcase_add_test(tc, test_response_upgrade_interim);
	tcase_add_test(tc, test_bad_vectors);
	tcase_add_test(tc, test_fail_fast);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_too_many_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_test(tc, test_authority);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
