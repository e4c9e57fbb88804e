/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 address form: the vectors of t/data/socksaddr/vectors.txt
 * (decode, drip, glued, encode back to the same bytes, formatting),
 * name length limits, socksaddr_set's host forms and the sockaddr
 * conversions.
 */
#include "proto/socksaddr.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

static ssize_t
parse_addr(const uint8_t *p, size_t n, void *ctx)
{
	return socksaddr_decode(p, n, ctx);
}

START_TEST(test_vectors)
{
	size_t nv, i;
	struct vec *v = vec_load("socksaddr/vectors.txt", &nv);

	for (i = 0; i < nv; i++) {
		struct socksaddr sa;
		uint8_t out[SOCKSADDR_WIRE_MAX];
		char str[SOCKSADDR_STR_MAX];

		ck_assert_str_eq(v[i].kind, "addr");
		vec_check_stream(&v[i], parse_addr, &sa);
		if (strcmp(v[i].result, "ok") != 0)
			continue;
		ck_assert_int_eq(socksaddr_decode(v[i].bytes, v[i].len, &sa), (ssize_t)v[i].len);
		ck_assert_int_eq(socksaddr_format(&sa, str, sizeof(str)), 0);
		ck_assert_str_eq(str, vec_get(&v[i], "str"));
		ck_assert_int_eq(socksaddr_encode(&sa, out, sizeof(out)), (ssize_t)v[i].len);
		ck_assert_mem_eq(out, v[i].bytes, v[i].len);
		/* One byte short of room. */
		ck_assert_int_eq(socksaddr_encode(&sa, out, v[i].len - 1), -1);
	}
	free(v);
}
END_TEST

START_TEST(test_name_limits)
{
	uint8_t wire[SOCKSADDR_WIRE_MAX + 1], out[SOCKSADDR_WIRE_MAX];
	char host[300], str[SOCKSADDR_STR_MAX];
	struct socksaddr sa;

	/* 255 bytes is the most the length byte can say, and it works. */
	wire[0] = SOCKS_ATYP_DOMAIN;
	wire[1] = 255;
	memset(wire + 2, 'a', 255);
	wire[257] = 0x01;
	wire[258] = 0xbb;
	ck_assert_int_eq(socksaddr_decode(wire, 259, &sa), 259);
	ck_assert_uint_eq(strlen(sa.name), 255);
	ck_assert_uint_eq(sa.port, 443);
	ck_assert_int_eq(socksaddr_encode(&sa, out, sizeof(out)), 259);
	ck_assert_mem_eq(out, wire, 259);
	ck_assert_int_eq(socksaddr_format(&sa, str, sizeof(str)), 0);
	ck_assert_uint_eq(strlen(str), 255 + 4);
	ck_assert_int_eq(socksaddr_format(&sa, str, 255 + 4), -1);

	memset(host, 'b', sizeof(host));
	host[255] = '\0';
	ck_assert_int_eq(socksaddr_set(&sa, host, 1), 0);
	ck_assert_int_eq(sa.atyp, SOCKS_ATYP_DOMAIN);
	host[255] = 'b';
	host[256] = '\0';
	ck_assert_int_eq(socksaddr_set(&sa, host, 1), -1);
	ck_assert_int_eq(socksaddr_set(&sa, "", 1), -1);
	ck_assert_int_eq(socksaddr_set(&sa, NULL, 1), -1);

	/* Encoding refuses what it could not have decoded. */
	memset(&sa, 0, sizeof(sa));
	sa.atyp = SOCKS_ATYP_DOMAIN;
	ck_assert_int_eq(socksaddr_encode(&sa, out, sizeof(out)), -1);
	memset(sa.name, 'c', sizeof(sa.name));
	ck_assert_int_eq(socksaddr_encode(&sa, out, sizeof(out)), -1);
	sa.atyp = 0x02;
	ck_assert_int_eq(socksaddr_encode(&sa, out, sizeof(out)), -1);
	ck_assert_int_eq(socksaddr_format(&sa, str, sizeof(str)), -1);
}
END_TEST

START_TEST(test_set)
{
	static const struct {
		const char *host;
		int ok;
		uint8_t atyp;
		const char *str;
	} t[] = {
		{ "1.2.3.4", 1, SOCKS_ATYP_IPV4, "1.2.3.4:80" },
		{ "::1", 1, SOCKS_ATYP_IPV6, "[::1]:80" },
		{ "[::1]", 1, SOCKS_ATYP_IPV6, "[::1]:80" },
		{ "[::ffff:10.0.0.1]", 1, SOCKS_ATYP_IPV6, "[::ffff:10.0.0.1]:80" },
		{ "example.com", 1, SOCKS_ATYP_DOMAIN, "example.com:80" },
		{ "1.2.3", 1, SOCKS_ATYP_DOMAIN, "1.2.3:80" },
		{ "[::1", 0, 0, NULL },
		{ "[]", 0, 0, NULL },
		{ "[1.2.3.4]", 0, 0, NULL },
		{ "[example.com]", 0, 0, NULL },
		{ "1.2.3.4:80", 0, 0, NULL },
		{ "::1]", 0, 0, NULL },
		{ "fe80::1%eth0", 0, 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct socksaddr sa;
		char str[SOCKSADDR_STR_MAX];

		if (!t[i].ok) {
			ck_assert_msg(socksaddr_set(&sa, t[i].host, 80) == -1, "%s", t[i].host);
			continue;
		}
		ck_assert_msg(socksaddr_set(&sa, t[i].host, 80) == 0, "%s", t[i].host);
		ck_assert_int_eq(sa.atyp, t[i].atyp);
		ck_assert_int_eq(socksaddr_format(&sa, str, sizeof(str)), 0);
		ck_assert_str_eq(str, t[i].str);
	}
}
END_TEST

START_TEST(test_sockaddr)
{
	struct sockaddr_storage ss;
	struct sockaddr_un_like {
		sa_family_t family;
		char path[108];
	} un = { AF_UNIX, "/x" };
	struct socksaddr sa, back;
	socklen_t len;

	ck_assert_int_eq(socksaddr_set(&sa, "10.1.2.3", 8080), 0);
	ck_assert_int_eq(socksaddr_to_sockaddr(&sa, &ss, &len), 0);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	ck_assert_uint_eq(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(0x0a010203));
	ck_assert_int_eq(socksaddr_from_sockaddr(&back, (struct sockaddr *)&ss), 0);
	ck_assert_int_eq(memcmp(&sa, &back, sizeof(sa)), 0);

	ck_assert_int_eq(socksaddr_set(&sa, "2001:db8::1", 443), 0);
	ck_assert_int_eq(socksaddr_to_sockaddr(&sa, &ss, &len), 0);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 443);
	ck_assert_int_eq(socksaddr_from_sockaddr(&back, (struct sockaddr *)&ss), 0);
	ck_assert_int_eq(memcmp(&sa, &back, sizeof(sa)), 0);

	ck_assert_int_eq(socksaddr_set(&sa, "example.com", 443), 0);
	ck_assert_int_eq(socksaddr_to_sockaddr(&sa, &ss, &len), -1);
	ck_assert_int_eq(socksaddr_from_sockaddr(&back, (struct sockaddr *)&un), -1);
}
END_TEST

static Suite *
socksaddr_suite(void)
{
	Suite *s = suite_create("socksaddr");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_name_limits);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_sockaddr);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(socksaddr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
