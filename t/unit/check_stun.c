/* SPDX-License-Identifier: MIT */
/*
 * The STUN/TURN codec against vectors: the RFC 5769 vectors
 * (t/data/stun/rfc5769.txt) decoded and verified, and rebuilt where the
 * vector is reproducible; the framing cases of t/data/stun/frames.txt
 * through the stream property checker of vec.h. Round trips, streams,
 * garbage and credentials are check_stun_codec.c.
 */
#include "proto/stun.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "stun_attr.h"
#include "vec.h"

#define SHORT_PASS "VOkJxbRl1RmTxUk/WvJxBt"

static const struct vec *
find_vec(const struct vec *v, size_t nv, const char *kind)
{
	size_t i;

	for (i = 0; i < nv; i++)
		if (strcmp(v[i].kind, kind) == 0)
			return &v[i];
	ck_abort_msg("no vector %s", kind);
	return NULL;
}

START_TEST(test_rfc5769_decode)
{
	size_t nv, i;
	struct vec *v = vec_load("stun/rfc5769.txt", &nv);
	const struct vec *x;
	struct stun_msg m;
	uint8_t key[STUN_LONGTERM_KEY_LEN], user[64], bad[VEC_BYTES_MAX];
	uint32_t u;
	char ustr[65];
	size_t ulen;

	for (i = 0; i < nv; i++) {
		x = &v[i];
		ck_assert_int_eq(stun_decode(x->bytes, x->len, &m), (ssize_t)x->len);
		ck_assert_int_eq(stun_decode_dgram(x->bytes, x->len, &m), 0);
		ck_assert_uint_eq(m.nunknown, 0);
		ck_assert_int_ge(m.mi_idx, 0);
		ck_assert_int_eq(m.mi256_idx, -1);
	}
	x = find_vec(v, nv, "request");
	ck_assert_int_eq(stun_decode(x->bytes, x->len, &m), (ssize_t)x->len);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_uint_eq(m.cls, STUN_REQUEST);
	ck_assert(memcmp(m.tid, "\xb7\xe7\xa7\x01\xbc\x34\xd6\x86\xfa\x87\xdf\xae", 12) == 0);
	check_str_attr(&m, STUN_ATTR_SOFTWARE, "STUN test client");
	check_str_attr(&m, STUN_ATTR_USERNAME, "evtj:h6vY");
	ck_assert_int_eq(stun_attr_u32(stun_find(&m, STUN_ATTR_PRIORITY), &u), 0);
	ck_assert_uint_eq(u, 0x6e0001ffu);
	ck_assert_int_ge(m.fp_idx, 0);
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)SHORT_PASS, strlen(SHORT_PASS)), 1);
	ck_assert_int_eq(stun_check_integrity_sha1(&m, (const uint8_t *)"wrong", 5), 0);
	ck_assert_int_eq(stun_check_integrity_sha256(&m, (const uint8_t *)SHORT_PASS, 22), 0);

	x = find_vec(v, nv, "ipv4-response");
	ck_assert_int_eq(stun_decode(x->bytes, x->len, &m), (ssize_t)x->len);
	ck_assert_uint_eq(m.cls, STUN_SUCCESS);
	check_str_attr(&m, STUN_ATTR_SOFTWARE, "test vector");
	check_addr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, AF_INET, vec_get(x, "addr"), (int)vec_num(x, "port"));
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)SHORT_PASS, strlen(SHORT_PASS)), 1);

	x = find_vec(v, nv, "ipv6-response");
	ck_assert_int_eq(stun_decode(x->bytes, x->len, &m), (ssize_t)x->len);
	check_addr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, AF_INET6, vec_get(x, "addr"),
	    (int)vec_num(x, "port"));
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)SHORT_PASS, strlen(SHORT_PASS)), 1);

	x = find_vec(v, nv, "longterm-request");
	ck_assert_int_eq(stun_decode(x->bytes, x->len, &m), (ssize_t)x->len);
	ck_assert_int_eq(m.fp_idx, -1);
	ulen = vec_hexstr(vec_get(x, "user"), user, sizeof(user));
	memcpy(ustr, user, ulen);
	ustr[ulen] = '\0';
	ck_assert_int_eq(stun_longterm_key(ustr, vec_get(x, "realm"), vec_get(x, "pass"), key), 0);
	ck_assert_int_eq(stun_check_integrity(&m, key, sizeof(key)), 1);
	check_str_attr(&m, STUN_ATTR_NONCE, vec_get(x, "nonce"));
	check_str_attr(&m, STUN_ATTR_REALM, vec_get(x, "realm"));
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"TheMatrIX", 9), 0);

	/* One flipped bit in each vector breaks FINGERPRINT or, without it, integrity. */
	for (i = 0; i < nv; i++) {
		x = &v[i];
		memcpy(bad, x->bytes, x->len);
		bad[STUN_HEADER_LEN + 5] ^= 0x01;
		if (strcmp(x->kind, "longterm-request") == 0) {
			ck_assert_int_eq(stun_decode(bad, x->len, &m), (ssize_t)x->len);
			ck_assert_int_eq(stun_check_integrity(&m, key, sizeof(key)), 0);
		} else
			ck_assert_int_eq(stun_decode(bad, x->len, &m), -1);
	}
	free(v);
}
END_TEST

/* The RFC 5769 response x rebuilt: same length, valid MI and FINGERPRINT. */
static ssize_t
build_response(const struct vec *x, uint8_t *buf, size_t cap)
{
	struct stun_builder b;
	struct sockaddr_storage ss;
	struct stun_msg m;
	ssize_t k;

	stun_build_begin(&b, buf, cap, STUN_BINDING, STUN_SUCCESS, x->bytes + 8);
	stun_add_str(&b, STUN_ATTR_SOFTWARE, "test vector");
	sa_make(&ss, vec_get(x, "addr"), (int)vec_num(x, "port"));
	stun_add_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&ss);
	stun_add_integrity(&b, (const uint8_t *)SHORT_PASS, strlen(SHORT_PASS));
	stun_add_fingerprint(&b);
	k = stun_build_end(&b);
	ck_assert_int_eq(k, (ssize_t)x->len);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)SHORT_PASS, strlen(SHORT_PASS)), 1);
	return k;
}

/* Rebuild each vector with the builder: exact bytes where padding is zero. */
START_TEST(test_rfc5769_build)
{
	size_t nv;
	struct vec *v = vec_load("stun/rfc5769.txt", &nv);
	const struct vec *x;
	struct stun_builder b;
	struct stun_msg m;
	uint8_t buf[256], key[STUN_LONGTERM_KEY_LEN], user[64];
	char ustr[65];
	size_t ulen;
	ssize_t k;

	x = find_vec(v, nv, "longterm-request");
	ulen = vec_hexstr(vec_get(x, "user"), user, sizeof(user));
	memcpy(ustr, user, ulen);
	ustr[ulen] = '\0';
	ck_assert_int_eq(stun_longterm_key(ustr, vec_get(x, "realm"), vec_get(x, "pass"), key), 0);
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, x->bytes + 8);
	stun_add_str(&b, STUN_ATTR_USERNAME, ustr);
	stun_add_str(&b, STUN_ATTR_NONCE, vec_get(x, "nonce"));
	stun_add_str(&b, STUN_ATTR_REALM, vec_get(x, "realm"));
	stun_add_integrity(&b, key, sizeof(key));
	k = stun_build_end(&b);
	ck_assert_int_eq(k, (ssize_t)x->len);
	ck_assert(memcmp(buf, x->bytes, x->len) == 0);

	/* The responses pad SOFTWARE with a space: equal up to that byte. */
	x = find_vec(v, nv, "ipv4-response");
	k = build_response(x, buf, sizeof(buf));
	ck_assert(memcmp(buf, x->bytes, 35) == 0);
	ck_assert_uint_eq(buf[35], 0);
	ck_assert(memcmp(buf + 36, x->bytes + 36, 12) == 0); /* the XOR-MAPPED-ADDRESS */
	x = find_vec(v, nv, "ipv6-response");
	k = build_response(x, buf, sizeof(buf));
	ck_assert(memcmp(buf + 36, x->bytes + 36, 24) == 0);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	free(v);
}
END_TEST

/* vec.h adapters: each returns consumed / 0 / -1 for a whole frame. */
static ssize_t
parse_stun(const uint8_t *p, size_t n, void *ctx)
{
	return stun_decode(p, n, ctx);
}

static ssize_t
parse_chan(const uint8_t *p, size_t n, void *ctx)
{
	const uint8_t *d;
	uint16_t c;
	size_t len;

	return turn_channeldata_decode(p, n, *(int *)ctx, &c, &d, &len);
}

static ssize_t
parse_split(const uint8_t *p, size_t n, void *ctx)
{
	int kind;
	ssize_t k = stun_frame_len(p, n, 1, &kind);

	(void)ctx;
	/* The splitter knows the length early; count it only once all there. */
	return k > 0 && (size_t)k > n ? 0 : k;
}

START_TEST(test_frames)
{
	size_t nv, i;
	struct vec *v = vec_load("stun/frames.txt", &nv);
	struct stun_msg m;
	int stream = 1, dgram = 0;

	for (i = 0; i < nv; i++) {
		const struct vec *x = &v[i];

		if (strcmp(x->kind, "stun") == 0)
			vec_check_stream(x, parse_stun, &m);
		else if (strcmp(x->kind, "chan-stream") == 0)
			vec_check_stream(x, parse_chan, &stream);
		else if (strcmp(x->kind, "chan-dgram") == 0)
			vec_check_stream(x, parse_chan, &dgram);
		else if (strcmp(x->kind, "split-stream") == 0)
			vec_check_stream(x, parse_split, NULL);
		else
			ck_abort_msg("line %d: kind %s", x->lineno, x->kind);
	}
	free(v);
}
END_TEST

START_TEST(test_rfc5769_stream)
{
	size_t nv, i;
	struct vec *v = vec_load("stun/rfc5769.txt", &nv);
	struct stun_msg m;

	for (i = 0; i < nv; i++) {
		vec_check_stream(&v[i], parse_stun, &m);
		vec_check_stream(&v[i], parse_split, NULL);
	}
	free(v);
}
END_TEST

static Suite *
stun_suite(void)
{
	Suite *s = suite_create("stun");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc, test_rfc5769_decode);
	tcase_add_test(tc, test_rfc5769_build);
	tcase_add_test(tc, test_rfc5769_stream);
	tcase_add_test(tc, test_frames);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(stun_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
