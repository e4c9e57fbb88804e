/* SPDX-License-Identifier: MIT */
/*
 * PROXY protocol v2: the headers of t/data/proxyv2/vectors.txt (drip,
 * glued, early data, every error class), encode/decode round trips,
 * the size cap, and proxyv2_maybe against the other first bytes the
 * egress must tell apart (SOCKS5, the Turbo Tunnel token).
 */
#include "proto/proxyv2.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "proto/socksaddr.h"
#include "vec.h"

static const uint8_t sig[PROXYV2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static ssize_t
parse_header(const uint8_t *p, size_t n, void *ctx)
{
	return proxyv2_decode(p, n, ctx);
}

static void
check_addr(const struct vec *v, const char *key, const struct sockaddr_storage *ss)
{
	struct socksaddr sa;
	char str[SOCKSADDR_STR_MAX];

	ck_assert_int_eq(socksaddr_from_sockaddr(&sa, (const struct sockaddr *)ss), 0);
	ck_assert_int_eq(socksaddr_format(&sa, str, sizeof(str)), 0);
	ck_assert_msg(strcmp(str, vec_get(v, key)) == 0, "line %d: %s %s", v->lineno, key, str);
}

START_TEST(test_vectors)
{
	size_t nv, i;
	struct vec *v = vec_load("proxyv2/vectors.txt", &nv);

	for (i = 0; i < nv; i++) {
		const struct vec *x = &v[i];
		struct proxyv2 h, h2;
		uint8_t out[PROXYV2_ENCODED_MAX];
		long fam;
		ssize_t k;

		ck_assert_str_eq(x->kind, "header");
		vec_check_stream(x, parse_header, &h);
		if (strcmp(x->result, "ok") != 0)
			continue;
		ck_assert_int_eq(proxyv2_decode(x->bytes, x->len, &h), (ssize_t)x->len);
		ck_assert_int_eq(proxyv2_maybe(x->bytes, x->len), 1);
		ck_assert_int_eq(h.local, vec_num(x, "local"));
		fam = vec_num(x, "family");
		ck_assert_int_eq(h.family, fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : AF_UNSPEC);
		if (fam != 0) {
			check_addr(x, "src", &h.src);
			check_addr(x, "dst", &h.dst);
		}
		/* What we re-encode decodes to the same thing. */
		k = proxyv2_encode(&h, out, sizeof(out));
		ck_assert_int_gt(k, 0);
		ck_assert_int_eq(proxyv2_decode(out, (size_t)k, &h2), k);
		ck_assert_int_eq(h2.local, h.local);
		ck_assert_int_eq(h2.family, h.family);
		ck_assert_int_eq(memcmp(&h2.src, &h.src, sizeof(h.src)), 0);
		ck_assert_int_eq(memcmp(&h2.dst, &h.dst, sizeof(h.dst)), 0);
		/* Without TLVs and with the canonical family, the bytes match. */
		if (fam != 0 && x->len == (size_t)k)
			ck_assert_mem_eq(out, x->bytes, x->len);
		ck_assert_int_eq(proxyv2_encode(&h, out, (size_t)k - 1), -1);
	}
	free(v);
}
END_TEST

START_TEST(test_encode)
{
	struct proxyv2 h, d;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&h.src, *d4 = (struct sockaddr_in *)&h.dst;
	uint8_t out[PROXYV2_ENCODED_MAX];
	static const uint8_t local[] = { 0x20, 0x00, 0x00, 0x00 };
	static const uint8_t unspec[] = { 0x21, 0x00, 0x00, 0x00 };
	static const uint8_t tcp4[] = { 0x21, 0x11, 0x00, 0x0c, 127, 0, 0, 1, 10, 9, 8, 7,
		0x30, 0x39, 0x00, 0x50 };

	memset(&h, 0, sizeof(h));
	h.local = 1;
	ck_assert_int_eq(proxyv2_encode(&h, out, sizeof(out)), 16);
	ck_assert_mem_eq(out, sig, sizeof(sig));
	ck_assert_mem_eq(out + 12, local, 4);

	h.local = 0;
	h.family = AF_UNSPEC;
	ck_assert_int_eq(proxyv2_encode(&h, out, sizeof(out)), 16);
	ck_assert_mem_eq(out + 12, unspec, 4);

	h.family = AF_INET;
	s4->sin_family = d4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(0x7f000001);
	d4->sin_addr.s_addr = htonl(0x0a090807);
	s4->sin_port = htons(12345);
	d4->sin_port = htons(80);
	ck_assert_int_eq(proxyv2_encode(&h, out, sizeof(out)), 28);
	ck_assert_mem_eq(out + 12, tcp4, sizeof(tcp4));
	ck_assert_int_eq(proxyv2_decode(out, 28, &d), 28);
	ck_assert_int_eq(d.family, AF_INET);
	ck_assert_int_eq(memcmp(&d.src, &h.src, sizeof(struct sockaddr_in)), 0);

	/* Family mismatches and unknown families are refused. */
	h.family = AF_INET6;
	ck_assert_int_eq(proxyv2_encode(&h, out, sizeof(out)), -1);
	h.family = AF_INET;
	d4->sin_family = AF_INET6;
	ck_assert_int_eq(proxyv2_encode(&h, out, sizeof(out)), -1);
	h.family = AF_UNIX;
	ck_assert_int_eq(proxyv2_encode(&h, out, sizeof(out)), -1);
}
END_TEST

/* The cap: 16 + 1008 is the largest accepted header, 16 + 1009 fails at once. */
START_TEST(test_header_max)
{
	static uint8_t buf[PROXYV2_HEADER_MAX + 16];
	struct proxyv2 h;
	size_t len = PROXYV2_HEADER_MAX - 16;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, sig, sizeof(sig));
	buf[12] = 0x21;
	buf[13] = 0x11;
	buf[14] = (uint8_t)(len >> 8);
	buf[15] = (uint8_t)len;
	ck_assert_int_eq(proxyv2_decode(buf, PROXYV2_HEADER_MAX - 1, &h), 0);
	ck_assert_int_eq(proxyv2_decode(buf, PROXYV2_HEADER_MAX, &h), PROXYV2_HEADER_MAX);
	ck_assert_int_eq(proxyv2_decode(buf, sizeof(buf), &h), PROXYV2_HEADER_MAX);
	len++;
	buf[14] = (uint8_t)(len >> 8);
	buf[15] = (uint8_t)len;
	ck_assert_int_eq(proxyv2_decode(buf, 16, &h), -1);
}
END_TEST

START_TEST(test_maybe)
{
	static const uint8_t socks[] = { 0x05, 0x01, 0x00 };
	static const uint8_t token[] = { 0x12, 0x93, 0x60, 0x5d, 0x27, 0x81, 0x75, 0xf5 };
	static const uint8_t get[] = "GET / HTTP/1.1\r\n";
	uint8_t buf[20];
	size_t i;

	for (i = 0; i <= sizeof(sig); i++)
		ck_assert_int_eq(proxyv2_maybe(sig, i), 1);
	memcpy(buf, sig, sizeof(sig));
	memset(buf + sizeof(sig), 0xee, sizeof(buf) - sizeof(sig));
	ck_assert_int_eq(proxyv2_maybe(buf, sizeof(buf)), 1);
	for (i = 0; i < sizeof(sig); i++) {
		memcpy(buf, sig, sizeof(sig));
		buf[i] ^= 0x20;
		ck_assert_int_eq(proxyv2_maybe(buf, i), 1);
		ck_assert_int_eq(proxyv2_maybe(buf, i + 1), 0);
		ck_assert_int_eq(proxyv2_maybe(buf, sizeof(buf)), 0);
	}
	ck_assert_int_eq(proxyv2_maybe(socks, 1), 0);
	ck_assert_int_eq(proxyv2_maybe(token, sizeof(token)), 0);
	ck_assert_int_eq(proxyv2_maybe(get, sizeof(get) - 1), 0);
	ck_assert_int_eq(proxyv2_maybe(NULL, 0), 1);
}
END_TEST

static Suite *
proxyv2_suite(void)
{
	Suite *s = suite_create("proxyv2");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_header_max);
	tcase_add_test(tc, test_maybe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(proxyv2_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
