/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 messages: the byte sequences of t/data/socks5/vectors.txt for
 * every parser (drip, glued, early data, errors and the reply code an
 * error asks for), re-encoding to the same bytes, a whole client/server
 * exchange, and the reply strings.
 */
#include "proto/socks5.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

struct ctx {
	int noauth;
	uint8_t method, rep;
	struct socks5_request req;
	struct socksaddr bnd;
};

static ssize_t
parse_greeting(const uint8_t *p, size_t n, void *c)
{
	return socks5_parse_greeting(p, n, &((struct ctx *)c)->noauth);
}

static ssize_t
parse_method(const uint8_t *p, size_t n, void *c)
{
	return socks5_parse_method(p, n, &((struct ctx *)c)->method);
}

static ssize_t
parse_request(const uint8_t *p, size_t n, void *c)
{
	struct ctx *x = c;

	return socks5_parse_request(p, n, &x->req, &x->rep);
}

static ssize_t
parse_reply(const uint8_t *p, size_t n, void *c)
{
	struct ctx *x = c;

	return socks5_parse_reply(p, n, &x->rep, &x->bnd);
}

static void
check_addr(const struct vec *v, const struct socksaddr *sa)
{
	char str[SOCKSADDR_STR_MAX];

	ck_assert_int_eq(socksaddr_format(sa, str, sizeof(str)), 0);
	ck_assert_msg(strcmp(str, vec_get(v, "addr")) == 0, "line %d: %s", v->lineno, str);
}

START_TEST(test_vectors)
{
	size_t nv, i;
	struct vec *v = vec_load("socks5/vectors.txt", &nv);

	for (i = 0; i < nv; i++) {
		const struct vec *x = &v[i];
		int ok = strcmp(x->result, "ok") == 0;
		uint8_t out[SOCKS5_REQUEST_MAX];
		struct ctx c;
		ssize_t k;

		memset(&c, 0, sizeof(c));
		if (strcmp(x->kind, "greeting") == 0) {
			vec_check_stream(x, parse_greeting, &c);
			if (!ok)
				continue;
			ck_assert_int_eq(parse_greeting(x->bytes, x->len, &c), (ssize_t)x->len);
			ck_assert_int_eq(c.noauth, vec_num(x, "noauth"));
		} else if (strcmp(x->kind, "method") == 0) {
			vec_check_stream(x, parse_method, &c);
			if (!ok)
				continue;
			ck_assert_int_eq(parse_method(x->bytes, x->len, &c), 2);
			ck_assert_int_eq(c.method, vec_num(x, "method"));
			ck_assert_uint_eq(socks5_encode_method(c.method, out), 2);
			ck_assert_mem_eq(out, x->bytes, 2);
		} else if (strcmp(x->kind, "request") == 0) {
			vec_check_stream(x, parse_request, &c);
			k = parse_request(x->bytes, x->len, &c);
			if (strcmp(x->result, "err") == 0) {
				ck_assert_msg(c.rep == vec_num(x, "rep"), "line %d: rep %u",
				    x->lineno, c.rep);
				continue;
			}
			if (!ok)
				continue;
			ck_assert_int_eq(k, (ssize_t)x->len);
			ck_assert_int_eq(c.req.cmd, vec_num(x, "cmd"));
			check_addr(x, &c.req.dst);
			k = socks5_encode_request(c.req.cmd, &c.req.dst, out, sizeof(out));
			ck_assert_int_eq(k, (ssize_t)x->len);
			/* Byte-equal except RSV, which we always send as 0. */
			ck_assert_mem_eq(out, x->bytes, 2);
			ck_assert_uint_eq(out[2], 0);
			ck_assert_mem_eq(out + 3, x->bytes + 3, x->len - 3);
			ck_assert_int_eq(socks5_encode_request(c.req.cmd, &c.req.dst, out,
			    x->len - 1), -1);
		} else if (strcmp(x->kind, "reply") == 0) {
			vec_check_stream(x, parse_reply, &c);
			if (!ok)
				continue;
			ck_assert_int_eq(parse_reply(x->bytes, x->len, &c), (ssize_t)x->len);
			ck_assert_int_eq(c.rep, vec_num(x, "rep"));
			check_addr(x, &c.bnd);
			k = socks5_encode_reply(c.rep, &c.bnd, out, sizeof(out));
			ck_assert_int_eq(k, (ssize_t)x->len);
			ck_assert_mem_eq(out, x->bytes, x->len);
			ck_assert_int_eq(socks5_encode_reply(c.rep, &c.bnd, out, x->len - 1), -1);
			/* bnd may be NULL. */
			ck_assert_int_eq(socks5_parse_reply(x->bytes, x->len, &c.rep, NULL),
			    (ssize_t)x->len);
		} else
			ck_abort_msg("line %d: unknown kind %s", x->lineno, x->kind);
	}
	free(v);
}
END_TEST

/* Client and server halves talk to each other through one buffer. */
START_TEST(test_exchange)
{
	uint8_t wire[64 + SOCKS5_REQUEST_MAX];
	struct socks5_request req;
	struct socksaddr dst, bnd;
	size_t n = 0;
	ssize_t k;
	uint8_t method, rep;
	int noauth = -1;

	n += socks5_encode_greeting(wire);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(socksaddr_set(&dst, "example.org", 443), 0);
	k = socks5_encode_request(SOCKS5_CMD_CONNECT, &dst, wire + n, sizeof(wire) - n);
	ck_assert_int_gt(k, 0);
	n += (size_t)k;
	/* Early data right after the request must stay with the caller. */
	memcpy(wire + n, "GET /", 5);
	n += 5;

	k = socks5_parse_greeting(wire, n, &noauth);
	ck_assert_int_eq(k, 3);
	ck_assert_int_eq(noauth, 1);
	k = socks5_parse_request(wire + 3, n - 3, &req, &rep);
	ck_assert_int_eq(k, (ssize_t)(n - 3 - 5));
	ck_assert_mem_eq(wire + 3 + k, "GET /", 5);
	ck_assert_int_eq(req.cmd, SOCKS5_CMD_CONNECT);
	ck_assert_str_eq(req.dst.name, "example.org");
	ck_assert_uint_eq(req.dst.port, 443);

	n = socks5_encode_method(SOCKS5_METHOD_NOAUTH, wire);
	k = socks5_encode_reply(SOCKS5_REP_SUCCEEDED, NULL, wire + n, sizeof(wire) - n);
	ck_assert_int_eq(k, 10);
	n += (size_t)k;
	ck_assert_int_eq(socks5_parse_method(wire, n, &method), 2);
	ck_assert_int_eq(method, SOCKS5_METHOD_NOAUTH);
	ck_assert_int_eq(socks5_parse_reply(wire + 2, n - 2, &rep, &bnd), 10);
	ck_assert_int_eq(rep, SOCKS5_REP_SUCCEEDED);
	ck_assert_int_eq(bnd.atyp, SOCKS_ATYP_IPV4);
	ck_assert_uint_eq(bnd.port, 0);

	ck_assert_int_eq(socks5_encode_request(SOCKS5_CMD_CONNECT, NULL, wire, sizeof(wire)), -1);
	ck_assert_int_eq(socks5_encode_reply(0, NULL, wire, 9), -1);
	ck_assert_int_eq(socks5_encode_reply(0, NULL, wire, 2), -1);
}
END_TEST

/* Every NMETHODS value, full and one short; the largest greeting fits the max. */
START_TEST(test_greeting_sizes)
{
	uint8_t g[SOCKS5_GREETING_MAX];
	unsigned nm;
	int noauth;

	g[0] = 5;
	for (nm = 1; nm <= 255; nm++) {
		g[1] = (uint8_t)nm;
		memset(g + 2, 0x80, nm);
		g[1 + nm] = 0;
		ck_assert_int_eq(socks5_parse_greeting(g, 2 + nm, &noauth), (ssize_t)(2 + nm));
		ck_assert_int_eq(noauth, 1);
		ck_assert_int_eq(socks5_parse_greeting(g, 1 + nm, &noauth), 0);
	}
}
END_TEST

START_TEST(test_reply_str)
{
	unsigned rep;

	ck_assert_str_eq(socks5_reply_str(SOCKS5_REP_SUCCEEDED), "succeeded");
	ck_assert_str_eq(socks5_reply_str(SOCKS5_REP_REFUSED), "connection refused");
	ck_assert_str_eq(socks5_reply_str(SOCKS5_REP_NOT_ALLOWED),
	    "connection not allowed by ruleset");
	for (rep = 0; rep < 256; rep++) {
		const char *s = socks5_reply_str((uint8_t)rep);

		ck_assert_ptr_nonnull(s);
		if (rep <= SOCKS5_REP_ATYP_UNSUPPORTED)
			ck_assert_str_ne(s, "unknown SOCKS5 reply code");
		else
			ck_assert_str_eq(s, "unknown SOCKS5 reply code");
	}
}
END_TEST

static Suite *
socks5_suite(void)
{
	Suite *s = suite_create("socks5");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_exchange);
	tcase_add_test(tc, test_greeting_sizes);
	tcase_add_test(tc, test_reply_str);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(socks5_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
