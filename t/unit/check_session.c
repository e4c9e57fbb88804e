/* SPDX-License-Identifier: MIT */
/* session preamble, pktq and clientmap: the pure parts of Turbo Tunnel's carrier handling. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "tt/clientmap.h"
#include "tt/pktq.h"
#include "proto/preamble.h"

static const uint8_t id1[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

START_TEST(test_preamble_roundtrip)
{
	uint8_t buf[PREAMBLE_LEN + 4], id[8];
	char hex[CLIENTID_SHOW_LEN + 1];

	preamble_encode(id1, buf);
	ck_assert_mem_eq(buf, "\x12\x93\x60\x5d\x27\x81\x75\xf5", 8);
	memcpy(buf + 16, "tail", 4);
	/* glued: exactly the preamble is consumed */
	ck_assert_int_eq(preamble_decode(buf, sizeof(buf), id), 16);
	ck_assert_mem_eq(id, id1, 8);
	clientid_show(id, hex);
	ck_assert_str_eq(hex, "01020304"); /* a prefix only: the ClientID is a secret */
}
END_TEST

START_TEST(test_preamble_secure)
{
	uint8_t buf[PREAMBLE_LEN], id[8];
	int secure = -1;

	preamble_encode_kind(id1, 1, buf);
	ck_assert_mem_eq(buf, "\xbb\x6f\x23\x68\x1b\x15\x0a\x1f", 8);
	ck_assert_int_eq(preamble_decode_kind(buf, 7, id, &secure), 0);
	ck_assert_int_eq(preamble_decode_kind(buf, sizeof(buf), id, &secure), 16);
	ck_assert_int_eq(secure, 1);
	ck_assert_mem_eq(id, id1, 8);
	preamble_encode(id1, buf);
	ck_assert_int_eq(preamble_decode_kind(buf, sizeof(buf), id, &secure), 16);
	ck_assert_int_eq(secure, 0);
}
END_TEST

START_TEST(test_preamble_drip)
{
	uint8_t buf[PREAMBLE_LEN], id[8];
	size_t n;

	preamble_encode(id1, buf);
	for (n = 0; n < sizeof(buf); n++)
		ck_assert_int_eq(preamble_decode(buf, n, id), 0);
	ck_assert_int_eq(preamble_decode(buf, n, id), 16);
}
END_TEST

/* A wrong byte anywhere in the token is an error as soon as it is seen. */
START_TEST(test_preamble_wrong_token)
{
	uint8_t buf[PREAMBLE_LEN], id[8];
	size_t i;

	for (i = 0; i < PREAMBLE_TOKEN_LEN; i++) {
		preamble_encode(id1, buf);
		buf[i] ^= 0x40;
		ck_assert_int_eq(preamble_decode(buf, i + 1, id), -1);
		ck_assert_int_eq(preamble_decode(buf, sizeof(buf), id), -1);
		ck_assert_int_eq(preamble_token_maybe(buf, i), 1);
		ck_assert_int_eq(preamble_token_maybe(buf, i + 1), 0);
	}
	/* SOCKS5 and TLS first bytes never look like the token */
	ck_assert_int_eq(preamble_token_maybe((const uint8_t *)"\x05", 1), 0);
	ck_assert_int_eq(preamble_token_maybe((const uint8_t *)"\x16\x03\x01", 3), 0);
}
END_TEST

START_TEST(test_clientid_random)
{
	uint8_t a[8], b[8];

	ck_assert_int_eq(clientid_random(a), 0);
	ck_assert_int_eq(clientid_random(b), 0);
	ck_assert(memcmp(a, b, 8) != 0);
}
END_TEST

START_TEST(test_pktq_fifo_and_cap)
{
	struct pktq q;
	uint8_t pkt[PKTQ_PKT_MAX + 100];
	const uint8_t *p;
	size_t n, i;

	pktq_init(&q, 100);
	ck_assert_ptr_null(pktq_peek(&q, &n));
	for (i = 0; i < 150; i++) {
		memset(pkt, (int)i, 10);
		ck_assert_int_eq(pktq_push(&q, pkt, 10), i < 100 ? 0 : -1);
	}
	ck_assert_uint_eq(pktq_len(&q), 100);
	ck_assert_uint_eq(q.dropped, 50);
	for (i = 0; i < 100; i++) {
		p = pktq_peek(&q, &n);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(n, 10);
		ck_assert_uint_eq(p[0], i);
		pktq_pop(&q);
	}
	ck_assert_uint_eq(pktq_len(&q), 0);
	/* drained: the ring is given back */
	ck_assert_ptr_null(q.ring);
	memset(pkt, 7, sizeof(pkt));
	ck_assert_int_eq(pktq_push(&q, pkt, sizeof(pkt)), 0);
	p = pktq_peek(&q, &n);
	ck_assert_uint_eq(n, PKTQ_PKT_MAX);
	ck_assert_uint_eq(q.truncated, 1);
	ck_assert_int_eq(pktq_push(&q, pkt, 0), 0);
	pktq_pop(&q);
	p = pktq_peek(&q, &n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(n, 0);
	pktq_free(&q);
}
END_TEST

/* Interleaved push/pop across ring growth keeps order. */
START_TEST(test_pktq_wrap)
{
	struct pktq q;
	uint32_t next_in = 0, next_out = 0, v;
	const uint8_t *p;
	size_t n;
	int round;

	pktq_init(&q, 512);
	for (round = 0; round < 2000; round++) {
		int pushes = (round * 7) % 13, pops = (round * 5) % 11;

		while (pushes-- > 0) {
			if (pktq_push(&q, (const uint8_t *)&next_in, sizeof(next_in)) == 0)
				next_in++;
		}
		while (pops-- > 0 && (p = pktq_peek(&q, &n)) != NULL) {
			memcpy(&v, p, sizeof(v));
			ck_assert_uint_eq(v, next_out);
			next_out++;
			pktq_pop(&q);
		}
	}
	pktq_free(&q);
}
END_TEST

/* Whole encapsulated packets move while they fit; the rest stays queued. */
START_TEST(test_pktq_drain_framed)
{
	struct pktq q;
	struct buf b;
	uint8_t pkt[100];

	pktq_init(&q, 10);
	ck_assert_int_eq(buf_init(&b, 160), 0); /* room for the first two only */
	memset(pkt, 'a', sizeof(pkt));
	ck_assert_int_eq(pktq_push(&q, pkt, 100), 0);
	ck_assert_int_eq(pktq_push(&q, pkt, 5), 0);
	ck_assert_int_eq(pktq_push(&q, pkt, 100), 0);
	pktq_drain_framed(&q, &b);
	/* 100 bytes take a 2-byte prefix (c0 64), 5 bytes a 1-byte one (85) */
	ck_assert_uint_eq(buf_len(&b), 2 + 100 + 1 + 5);
	ck_assert_mem_eq(buf_rptr(&b), "\xc0\x64", 2);
	ck_assert_uint_eq(buf_rptr(&b)[102], 0x85);
	ck_assert_uint_eq(pktq_len(&q), 1);
	buf_reset(&b);
	pktq_drain_framed(&q, &b);
	ck_assert_uint_eq(buf_len(&b), 102);
	ck_assert_uint_eq(pktq_len(&q), 0);
	buf_free(&b);
	pktq_free(&q);
}
END_TEST

static int expired_count;

static void
on_expire(struct clientmap_entry *e, void *arg)
{
	(void)arg;
	expired_count++;
	free(e->user);
}

START_TEST(test_clientmap_basic)
{
	struct clientmap m;
	struct clientmap_entry *e, *f;
	uint8_t id2[8] = { 9 };

	expired_count = 0;
	ck_assert_int_eq(clientmap_init(&m, 2, 512, 60000, on_expire, NULL), 0);
	ck_assert_ptr_null(clientmap_get(&m, id1, 0, 0));
	e = clientmap_get(&m, id1, 0, 1);
	ck_assert_ptr_nonnull(e);
	e->user = malloc(16);
	ck_assert_ptr_eq(clientmap_get(&m, id1, 5, 1), e);
	ck_assert_uint_eq(e->sendq.cap, 512);
	f = clientmap_get(&m, id2, 5, 1);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_ne(e, f);
	/* at the cap */
	ck_assert_ptr_null(clientmap_get(&m, (const uint8_t *)"zzzzzzzz", 5, 1));
	ck_assert_uint_eq(m.refused, 1);
	ck_assert_uint_eq(m.count, 2);
	clientmap_remove(&m, f);
	ck_assert_uint_eq(m.count, 1);
	ck_assert_ptr_null(clientmap_get(&m, id2, 6, 0));
	ck_assert_ptr_eq(clientmap_get(&m, id1, 6, 0), e);
	clientmap_free(&m);
	ck_assert_int_eq(expired_count, 2);
}
END_TEST

/* Expiry: exactly timeout after the last activity, never while a carrier is attached. */
START_TEST(test_clientmap_expiry)
{
	struct clientmap m;
	struct clientmap_entry *e;
	int c1, c2;

	expired_count = 0;
	ck_assert_int_eq(clientmap_init(&m, 10, 512, 60000, on_expire, NULL), 0);
	e = clientmap_get(&m, id1, 1000, 1);
	clientmap_attach(&m, e, 1000);
	/* attached is not proven: no downstream yet */
	ck_assert_ptr_null(e->carrier);
	clientmap_prove(e, &c1);
	ck_assert_ptr_eq(e->carrier, &c1);
	/* a second carrier takes over the downstream once proven; the first leaving changes nothing */
	clientmap_attach(&m, e, 2000);
	ck_assert_ptr_eq(e->carrier, &c1);
	clientmap_prove(e, &c2);
	clientmap_detach(&m, e, &c1, 3000);
	ck_assert_ptr_eq(e->carrier, &c2);
	ck_assert_uint_eq(clientmap_sweep(&m, 1000000), 0);
	clientmap_detach(&m, e, &c2, 1000000);
	ck_assert_ptr_null(e->carrier);
	ck_assert_uint_eq(clientmap_sweep(&m, 1000000 + 59999), 0);
	ck_assert_uint_eq(clientmap_sweep(&m, 1000000 + 60000), 1);
	ck_assert_uint_eq(m.expired, 1);
	ck_assert_int_eq(expired_count, 1);
	ck_assert_ptr_null(clientmap_get(&m, id1, 1000000 + 60000, 0));
	clientmap_free(&m);
}
END_TEST

/* Many clients: lookups find each one; a sweep removes only the idle half. */
START_TEST(test_clientmap_many)
{
	struct clientmap m;
	uint8_t id[8];
	uint32_t i;

	expired_count = 0;
	ck_assert_int_eq(clientmap_init(&m, 20000, 512, 1000, on_expire, NULL), 0);
	memset(id, 0, sizeof(id));
	for (i = 0; i < 20000; i++) {
		memcpy(id, &i, sizeof(i));
		ck_assert_ptr_nonnull(clientmap_get(&m, id, i < 10000 ? 0 : 500, 1));
	}
	for (i = 0; i < 20000; i++) {
		memcpy(id, &i, sizeof(i));
		ck_assert_ptr_nonnull(clientmap_get(&m, id, i < 10000 ? 0 : 500, 0));
	}
	ck_assert_uint_eq(clientmap_sweep(&m, 1200), 10000);
	ck_assert_uint_eq(m.count, 10000);
	for (i = 0; i < 20000; i++) {
		memcpy(id, &i, sizeof(i));
		ck_assert((clientmap_get(&m, id, 1200, 0) != NULL) == (i >= 10000));
	}
	clientmap_free(&m);
	ck_assert_int_eq(expired_count, 20000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("session");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_preamble_roundtrip);
	tcase_add_test(tc, test_preamble_drip);
	tcase_add_test(tc, test_preamble_secure);
	tcase_add_test(tc, test_preamble_wrong_token);
	tcase_add_test(tc, test_clientid_random);
	tcase_add_test(tc, test_pktq_fifo_and_cap);
	tcase_add_test(tc, test_pktq_wrap);
	tcase_add_test(tc, test_pktq_drain_framed);
	tcase_add_test(tc, test_clientmap_basic);
	tcase_add_test(tc, test_clientmap_expiry);
	tcase_add_test(tc, test_clientmap_many);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
