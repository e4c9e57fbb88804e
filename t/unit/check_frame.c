/* SPDX-License-Identifier: MIT */
/*
 * Turbo Tunnel encapsulation: the worked vectors of reference/tor.md
 * §1.2 (t/data/frame/vectors.txt), exhaustive prefix round trips, drip,
 * glued and truncated input for the one-shot decoder, and the stream
 * reader fed in every split size.
 */
#include "proto/frame.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

START_TEST(test_vectors)
{
	size_t nv, i;
	struct vec *v = vec_load("frame/vectors.txt", &nv);

	for (i = 0; i < nv; i++) {
		const struct vec *x = &v[i];
		uint8_t out[8];
		const uint8_t *pay;
		size_t len;
		ssize_t k;
		int d;

		if (strcmp(x->kind, "prefix") == 0) {
			size_t want = (size_t)vec_num(x, "len");
			int wd = (int)vec_num(x, "data");

			k = frame_encode_prefix(wd, want, out, sizeof(out));
			ck_assert_msg(k == (ssize_t)x->len && memcmp(out, x->bytes, x->len) == 0,
			    "line %d: encode", x->lineno);
			k = frame_decode_prefix(x->bytes, x->len, &d, &len);
			ck_assert_msg(k == (ssize_t)x->len && len == want && d == wd,
			    "line %d: decode", x->lineno);
		} else if (strcmp(x->kind, "chunk") == 0) {
			k = frame_decode(x->bytes, x->len, &d, &pay, &len);
			if (strcmp(x->result, "ok") == 0) {
				uint8_t p[64];
				size_t plen = vec_hexstr(vec_get(x, "pay"), p, sizeof(p));

				ck_assert_msg(k == (ssize_t)x->len, "line %d: k=%zd", x->lineno, k);
				ck_assert_int_eq(d, vec_num(x, "data"));
				ck_assert_uint_eq(len, plen);
				ck_assert(plen == 0 || memcmp(pay, p, plen) == 0);
			} else if (strcmp(x->result, "more") == 0)
				ck_assert_msg(k == 0, "line %d: k=%zd", x->lineno, k);
			else
				ck_assert_msg(k == -1, "line %d: k=%zd", x->lineno, k);
		} else
			ck_abort_msg("line %d: unknown kind", x->lineno);
	}
	free(v);
}
END_TEST

/* Every length: minimal size, and decode gives it back. */
START_TEST(test_prefix_all_lengths)
{
	uint8_t out[FRAME_PREFIX_MAX];
	size_t len, got;
	ssize_t k;
	int d;

	for (len = 0; len <= FRAME_LEN_MAX; len++) {
		/* Plain ifs: a million ck_asserts are too slow. */
		k = frame_encode_prefix(1, len, out, sizeof(out));
		if (k != (len <= 63 ? 1 : len <= 8191 ? 2 : 3))
			ck_abort_msg("len %zu: prefix size %zd", len, k);
		if (frame_decode_prefix(out, (size_t)k, &d, &got) != k || got != len || d != 1)
			ck_abort_msg("len %zu: decode", len);
	}
	ck_assert_int_eq(frame_encode_prefix(1, FRAME_LEN_MAX + 1, out, sizeof(out)), -1);
	ck_assert_int_eq(frame_encode_prefix(0, (size_t)-1, out, sizeof(out)), -1);
	/* No room. */
	ck_assert_int_eq(frame_encode_prefix(1, 5, out, 0), -1);
	ck_assert_int_eq(frame_encode_prefix(1, 64, out, 1), -1);
	ck_assert_int_eq(frame_encode_prefix(1, 8192, out, 2), -1);
}
END_TEST

/* Every 1- and 2-byte input: the decoder's answer follows the bit rules. */
START_TEST(test_prefix_all_short)
{
	unsigned a, b;
	size_t len;
	ssize_t k;
	int d;

	for (a = 0; a < 256; a++) {
		uint8_t p[2] = { (uint8_t)a, 0 };

		k = frame_decode_prefix(p, 1, &d, &len);
		ck_assert_int_eq(k, (a & 0x40) ? 0 : 1);
		for (b = 0; b < 256; b++) {
			p[1] = (uint8_t)b;
			k = frame_decode_prefix(p, 2, &d, &len);
			if (!(a & 0x40))
				ck_assert_int_eq(k, 1);
			else if (b & 0x80)
				ck_assert_int_eq(k, 0);
			else {
				ck_assert_int_eq(k, 2);
				ck_assert_uint_eq(len, (a & 0x3f) << 7 | b);
				ck_assert_int_eq(d, !!(a & 0x80));
			}
		}
	}
	ck_assert_int_eq(frame_decode_prefix(NULL, 0, &d, &len), 0);
}
END_TEST

START_TEST(test_decode_drip)
{
	static uint8_t pkt[1400], buf[1500];
	const uint8_t *pay;
	size_t i, len, total;
	ssize_t k;
	int d;

	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	k = frame_encode_data(pkt, sizeof(pkt), buf, sizeof(buf));
	ck_assert_int_eq(k, 2 + 1400);
	total = (size_t)k;
	for (i = 0; i < total; i++)
		ck_assert_int_eq(frame_decode(buf, i, &d, &pay, &len), 0);
	ck_assert_int_eq(frame_decode(buf, total, &d, &pay, &len), (ssize_t)total);
	ck_assert_int_eq(d, 1);
	ck_assert_uint_eq(len, sizeof(pkt));
	ck_assert_ptr_eq(pay, buf + 2);
	ck_assert_mem_eq(pay, pkt, sizeof(pkt));
}
END_TEST

START_TEST(test_decode_glued)
{
	uint8_t buf[64];
	const uint8_t *pay;
	size_t len, off = 0;
	ssize_t k;
	int d;

	k = frame_encode_data((const uint8_t *)"abc", 3, buf, sizeof(buf));
	ck_assert_int_eq(k, 4);
	off += (size_t)k;
	k = frame_encode_padding(5, buf + off, sizeof(buf) - off);
	ck_assert_int_eq(k, 5);
	off += (size_t)k;
	k = frame_encode_data(NULL, 0, buf + off, sizeof(buf) - off);
	ck_assert_int_eq(k, 1);
	off += (size_t)k;

	ck_assert_int_eq(frame_decode(buf, off, &d, &pay, &len), 4);
	ck_assert_int_eq(d, 1);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(pay, "abc", 3);
	ck_assert_int_eq(frame_decode(buf + 4, off - 4, &d, &pay, &len), 5);
	ck_assert_int_eq(d, 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(frame_decode(buf + 9, off - 9, &d, &pay, &len), 1);
	ck_assert_int_eq(d, 1);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_encode_limits)
{
	static uint8_t big[FRAME_LEN_MAX + 1], out[FRAME_LEN_MAX + 4];
	uint8_t small[8];

	ck_assert_int_eq(frame_encode_data(big, FRAME_LEN_MAX, out, sizeof(out)), FRAME_LEN_MAX + 3);
	ck_assert_int_eq(frame_encode_data(big, FRAME_LEN_MAX + 1, out, sizeof(out)), -1);
	ck_assert_int_eq(frame_encode_data(big, FRAME_LEN_MAX, out, FRAME_LEN_MAX + 2), -1);
	/* Prefix fits, payload does not. */
	ck_assert_int_eq(frame_encode_data((const uint8_t *)"abcdefgh", 8, small, 8), -1);
	ck_assert_int_eq(frame_encode_data((const uint8_t *)"abcdefg", 7, small, 8), 8);
	ck_assert_int_eq(frame_encode_padding(9, small, 8), -1);
}
END_TEST

/* Padding hits every total exactly, in chunks of at most 1024 bytes. */
START_TEST(test_padding)
{
	static const size_t lens[] = { 0, 1, 2, 63, 64, 65, 66, 1023, 1024, 1025, 1026, 1088,
		3000, 70000 };
	static uint8_t buf[70000];
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t off = 0, len;
		const uint8_t *pay;
		int d;

		memset(buf, 0xaa, sizeof(buf));
		ck_assert_int_eq(frame_encode_padding(lens[i], buf, sizeof(buf)), (ssize_t)lens[i]);
		while (off < lens[i]) {
			ssize_t k = frame_decode(buf + off, lens[i] - off, &d, &pay, &len);

			ck_assert_int_gt(k, 0);
			ck_assert_int_le(k, FRAME_PADDING_CHUNK_MAX);
			ck_assert_int_eq(d, 0);
			off += (size_t)k;
		}
		ck_assert_uint_eq(off, lens[i]);
		if (lens[i] < sizeof(buf))
			ck_assert_uint_eq(buf[lens[i]], 0xaa);
	}
}
END_TEST

/* A stream of mixed chunks and the packets it should yield. */
struct stream {
	uint8_t bytes[20000];
	size_t len;
	size_t npkt;
	size_t pktlen[16];
	uint8_t pkt[16][3000];
};

static void
stream_add(struct stream *s, int data, size_t len, int nonminimal)
{
	uint8_t *o = s->bytes + s->len;
	size_t i;
	ssize_t k;

	if (nonminimal) {
		/* Always a 3-byte prefix. */
		o[0] = (uint8_t)((data ? 0x80 : 0) | 0x40 | (len >> 14));
		o[1] = (uint8_t)(0x80 | ((len >> 7) & 0x7f));
		o[2] = (uint8_t)(len & 0x7f);
		k = 3;
	} else
		k = frame_encode_prefix(data, len, o, sizeof(s->bytes) - s->len);
	ck_assert_int_gt(k, 0);
	for (i = 0; i < len; i++)
		o[k + (ssize_t)i] = (uint8_t)(s->npkt * 31 + i);
	if (data) {
		ck_assert_uint_lt(s->npkt, 16);
		memcpy(s->pkt[s->npkt], o + k, len);
		s->pktlen[s->npkt++] = len;
	}
	s->len += (size_t)k + len;
}

static void
stream_build(struct stream *s)
{
	memset(s, 0, sizeof(*s));
	stream_add(s, 1, 5, 0);
	stream_add(s, 0, 0, 0);
	stream_add(s, 1, 0, 0);
	stream_add(s, 0, 100, 0);
	stream_add(s, 1, 1400, 0);
	stream_add(s, 1, 63, 1);
	stream_add(s, 0, 9000, 0);
	stream_add(s, 1, 64, 0);
	stream_add(s, 1, 2999, 1);
	stream_add(s, 1, 1, 0);
}

START_TEST(test_reader_splits)
{
	static const size_t splits[] = { 1, 2, 3, 5, 7, 64, 1000, 20000 };
	static struct stream s;
	static uint8_t pkt[3000];
	size_t si;

	stream_build(&s);
	for (si = 0; si < sizeof(splits) / sizeof(splits[0]); si++) {
		struct frame_reader r;
		size_t off = 0, got = 0;

		frame_reader_init(&r, sizeof(pkt));
		ck_assert(frame_reader_idle(&r));
		while (off < s.len) {
			size_t n = s.len - off < splits[si] ? s.len - off : splits[si];

			while (n > 0) {
				size_t used, plen;
				int tr, rc;

				rc = frame_reader_feed(&r, s.bytes + off, n, &used, pkt, &plen, &tr);
				ck_assert_int_ge(rc, 0);
				ck_assert_uint_le(used, n);
				off += used;
				n -= used;
				if (rc == FRAME_READER_PKT) {
					ck_assert_uint_lt(got, s.npkt);
					ck_assert_uint_eq(plen, s.pktlen[got]);
					ck_assert_int_eq(tr, 0);
					ck_assert(plen == 0 || memcmp(pkt, s.pkt[got], plen) == 0);
					got++;
				} else
					ck_assert_uint_eq(n, 0);
			}
		}
		ck_assert_uint_eq(got, s.npkt);
		ck_assert(frame_reader_idle(&r));
	}
}
END_TEST

START_TEST(test_reader_truncate)
{
	static struct stream s;
	uint8_t pkt[70];
	struct frame_reader r;
	size_t off = 0, got = 0;

	stream_build(&s);
	frame_reader_init(&r, sizeof(pkt));
	while (off < s.len) {
		size_t used, plen;
		int tr, rc;

		rc = frame_reader_feed(&r, s.bytes + off, s.len - off, &used, pkt, &plen, &tr);
		ck_assert_int_ge(rc, 0);
		off += used;
		if (rc != FRAME_READER_PKT)
			continue;
		ck_assert_int_eq(tr, s.pktlen[got] > sizeof(pkt));
		ck_assert_uint_eq(plen, tr ? sizeof(pkt) : s.pktlen[got]);
		ck_assert(plen == 0 || memcmp(pkt, s.pkt[got], plen) == 0);
		got++;
	}
	ck_assert_uint_eq(got, s.npkt);
}
END_TEST

/* A 1 MiB chunk through a 1500-byte packet buffer, fed 4 KiB at a time. */
START_TEST(test_reader_big_chunk)
{
	static uint8_t in[4096];
	uint8_t pkt[1500], hdr[3];
	struct frame_reader r;
	size_t used, plen, left = FRAME_LEN_MAX;
	int tr, rc;

	memset(in, 0x5a, sizeof(in));
	frame_reader_init(&r, sizeof(pkt));
	ck_assert_int_eq(frame_encode_prefix(1, FRAME_LEN_MAX, hdr, sizeof(hdr)), 3);
	rc = frame_reader_feed(&r, hdr, 3, &used, pkt, &plen, &tr);
	ck_assert_int_eq(rc, FRAME_READER_MORE);
	ck_assert_uint_eq(used, 3);
	ck_assert(!frame_reader_idle(&r));
	while (left > sizeof(in)) {
		rc = frame_reader_feed(&r, in, sizeof(in), &used, pkt, &plen, &tr);
		ck_assert_int_eq(rc, FRAME_READER_MORE);
		left -= sizeof(in);
	}
	rc = frame_reader_feed(&r, in, sizeof(in), &used, pkt, &plen, &tr);
	ck_assert_int_eq(rc, FRAME_READER_PKT);
	ck_assert_uint_eq(used, left);
	ck_assert_uint_eq(plen, sizeof(pkt));
	ck_assert_int_eq(tr, 1);
	ck_assert_uint_eq(pkt[0], 0x5a);
	ck_assert(frame_reader_idle(&r));
}
END_TEST

START_TEST(test_reader_errors)
{
	static const uint8_t bad[] = { 0x85, 1, 2, 3, 4, 5, 0xc0, 0x80, 0x80, 0x01 };
	uint8_t pkt[16];
	struct frame_reader r;
	size_t used, plen, i;
	int tr, rc;

	frame_reader_init(&r, sizeof(pkt));
	rc = frame_reader_feed(&r, bad, sizeof(bad), &used, pkt, &plen, &tr);
	ck_assert_int_eq(rc, FRAME_READER_PKT);
	ck_assert_uint_eq(used, 6);
	rc = frame_reader_feed(&r, bad + 6, sizeof(bad) - 6, &used, pkt, &plen, &tr);
	ck_assert_int_eq(rc, -1);
	/* The error is seen on the 3rd prefix byte, before any 4th arrives. */
	ck_assert_uint_eq(used, 3);
	/* And it sticks. */
	ck_assert(!frame_reader_idle(&r));
	ck_assert_int_eq(frame_reader_feed(&r, bad, sizeof(bad), &used, pkt, &plen, &tr), -1);
	ck_assert_uint_eq(used, 0);

	/* Same, dripped. */
	frame_reader_init(&r, sizeof(pkt));
	for (i = 6; i < 8; i++) {
		rc = frame_reader_feed(&r, bad + i, 1, &used, pkt, &plen, &tr);
		ck_assert_int_eq(rc, FRAME_READER_MORE);
	}
	ck_assert_int_eq(frame_reader_feed(&r, bad + 8, 1, &used, pkt, &plen, &tr), -1);

	/* Empty input is a no-op. */
	frame_reader_init(&r, sizeof(pkt));
	ck_assert_int_eq(frame_reader_feed(&r, bad, 0, &used, pkt, &plen, &tr), FRAME_READER_MORE);
	ck_assert_uint_eq(used, 0);
	ck_assert(frame_reader_idle(&r));

	/* pkt_max 0: every non-empty packet is truncated to nothing. */
	frame_reader_init(&r, 0);
	rc = frame_reader_feed(&r, bad, sizeof(bad), &used, pkt, &plen, &tr);
	ck_assert_int_eq(rc, FRAME_READER_PKT);
	ck_assert_uint_eq(plen, 0);
	ck_assert_int_eq(tr, 1);
}
END_TEST

static Suite *
frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_prefix_all_lengths);
	tcase_add_test(tc, test_prefix_all_short);
	tcase_add_test(tc, test_decode_drip);
	tcase_add_test(tc, test_decode_glued);
	tcase_add_test(tc, test_encode_limits);
	tcase_add_test(tc, test_padding);
	suite_add_tcase(s, tc);
	tc = tcase_create("reader");
	tcase_add_test(tc, test_reader_splits);
	tcase_add_test(tc, test_reader_truncate);
	tcase_add_test(tc, test_reader_big_chunk);
	tcase_add_test(tc, test_reader_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(frame_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
