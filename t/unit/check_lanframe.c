/* SPDX-License-Identifier: MIT */
/*
 * lanturn record framing (proto/lanframe.h): every record round-trips;
 * a payload of glued records parses back in order; every truncation of
 * a record is "need more" (0), never a record; malformed lengths and
 * unknown types are errors; the reassembler joins fragments in order,
 * drops a packet with a missing or out-of-order fragment, and recovers
 * at the next packet's first fragment.
 */
#include "proto/lanframe.h"

#include <check.h>
#include <string.h>

START_TEST(test_roundtrip_glued)
{
	uint8_t buf[4096], pkt[LANF_PKT_MAX], pre[16];
	struct lanf_rec r;
	size_t off = 0, i;
	ssize_t k;

	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	memset(pre, 0xab, sizeof(pre));
	off += (size_t)lanf_put_profile(buf + off, sizeof(buf) - off, 0x11);
	off += (size_t)lanf_put_preamble(buf + off, sizeof(buf) - off, pre, sizeof(pre));
	off += (size_t)lanf_put_ack(buf + off, sizeof(buf) - off);
	off += (size_t)lanf_put_pkt(buf + off, sizeof(buf) - off, pkt, 300);
	off += (size_t)lanf_put_frag(buf + off, sizeof(buf) - off, 7, 100, 2000, pkt + 100, 50);
	ck_assert_int_eq(lanf_put_pad(buf + off, 20), 20);
	off += 20;

	i = 0;
	k = lanf_parse(buf + i, off - i, &r);
	ck_assert_int_eq(k, 2);
	ck_assert_int_eq(r.type, LANF_PROFILE);
	ck_assert_int_eq(r.profile, 0x11);
	i += (size_t)k;
	k = lanf_parse(buf + i, off - i, &r);
	ck_assert_int_eq(k, 18);
	ck_assert_int_eq(r.type, LANF_PREAMBLE);
	ck_assert_mem_eq(r.body, pre, 16);
	i += (size_t)k;
	k = lanf_parse(buf + i, off - i, &r);
	ck_assert_int_eq(k, 1);
	ck_assert_int_eq(r.type, LANF_ACK);
	i += (size_t)k;
	k = lanf_parse(buf + i, off - i, &r);
	ck_assert_int_eq(k, 303);
	ck_assert_int_eq(r.type, LANF_PKT);
	ck_assert_uint_eq(r.len, 300);
	ck_assert_mem_eq(r.body, pkt, 300);
	i += (size_t)k;
	k = lanf_parse(buf + i, off - i, &r);
	ck_assert_int_eq(k, LANF_FRAG_HDR + 50);
	ck_assert_int_eq(r.type, LANF_FRAG);
	ck_assert_int_eq(r.id, 7);
	ck_assert_int_eq(r.off, 100);
	ck_assert_int_eq(r.total, 2000);
	ck_assert_mem_eq(r.body, pkt + 100, 50);
	i += (size_t)k;
	k = lanf_parse(buf + i, off - i, &r);
	ck_assert_int_eq(k, 20);
	ck_assert_int_eq(r.type, LANF_PAD);
	ck_assert_uint_eq(i + (size_t)k, off);
}
END_TEST

/* Drip: every strict prefix of a record is 0, the whole record its size. */
START_TEST(test_drip)
{
	uint8_t buf[512], pkt[200], pre[16] = { 1 };
	struct lanf_rec r;
	size_t lens[4], n, cut, j, off = 0;

	memset(pkt, 0x5a, sizeof(pkt));
	lens[0] = (size_t)lanf_put_preamble(buf, sizeof(buf), pre, sizeof(pre));
	lens[1] = (size_t)lanf_put_pkt(buf + lens[0], sizeof(buf) - lens[0], pkt, sizeof(pkt));
	lens[2] = (size_t)lanf_put_frag(buf + lens[0] + lens[1], sizeof(buf) - lens[0] - lens[1], 1, 0,
	                                400, pkt, 100);
	lens[3] = (size_t)lanf_put_profile(buf + lens[0] + lens[1] + lens[2], 8, 2);
	for (j = 0; j < 4; j++) {
		n = lens[j];
		for (cut = 0; cut < n; cut++)
			ck_assert_msg(lanf_parse(buf + off, cut, &r) == 0, "record %zu cut %zu", j, cut);
		ck_assert_int_eq(lanf_parse(buf + off, n, &r), (ssize_t)n);
		off += n;
	}
}
END_TEST

START_TEST(test_malformed)
{
	static const uint8_t unknown[] = { 0x06, 0, 0 };
	static const uint8_t pre0[] = { LANF_PREAMBLE, 0 };
	static const uint8_t pre_big[] = { LANF_PREAMBLE, LANF_PREAMBLE_MAX + 1 };
	static const uint8_t pkt0[] = { LANF_PKT, 0, 0 };
	static const uint8_t pkt_big[] = { LANF_PKT, 0x08, 0x01 };
	static const uint8_t frag_out[] = { LANF_FRAG, 0, 1, 0, 10, 0, 12, 0, 3, 1, 2, 3 };
	static const uint8_t frag_total[] = { LANF_FRAG, 0, 1, 0, 0, 0x08, 0x01, 0, 1, 9 };
	static const uint8_t frag0[] = { LANF_FRAG, 0, 1, 0, 0, 0, 5, 0, 0 };
	struct lanf_rec r;
	uint8_t out[8];

	ck_assert_int_eq(lanf_parse(unknown, sizeof(unknown), &r), -1);
	ck_assert_int_eq(lanf_parse(pre0, sizeof(pre0), &r), -1);
	ck_assert_int_eq(lanf_parse(pre_big, sizeof(pre_big), &r), -1);
	ck_assert_int_eq(lanf_parse(pkt0, sizeof(pkt0), &r), -1);
	ck_assert_int_eq(lanf_parse(pkt_big, sizeof(pkt_big), &r), -1);
	ck_assert_int_eq(lanf_parse(frag_out, sizeof(frag_out), &r), -1);
	ck_assert_int_eq(lanf_parse(frag_total, sizeof(frag_total), &r), -1);
	ck_assert_int_eq(lanf_parse(frag0, sizeof(frag0), &r), -1);
	ck_assert_int_eq(lanf_parse(out, 0, &r), 0);
	/* writers refuse what would not parse */
	ck_assert_int_eq(lanf_put_pkt(out, sizeof(out), out, 0), -1);
	ck_assert_int_eq(lanf_put_pkt(out, sizeof(out), out, 6), -1);
	ck_assert_int_eq(lanf_put_preamble(out, sizeof(out), out, 0), -1);
	ck_assert_int_eq(lanf_put_frag(out, sizeof(out), 0, 4, 4, out, 1), -1);
	ck_assert_int_eq(lanf_put_ack(out, 0), -1);
}
END_TEST

static void
feed(struct lanf_reasm *ra, uint16_t id, size_t off, size_t total, const uint8_t *p, size_t n,
     int want, const uint8_t *whole)
{
	uint8_t buf[LANF_PKT_MAX + 16];
	struct lanf_rec r;
	const uint8_t *got;
	size_t len;

	ck_assert_int_gt(lanf_put_frag(buf, sizeof(buf), id, off, total, p + off, n), 0);
	ck_assert_int_gt(lanf_parse(buf, LANF_FRAG_HDR + n, &r), 0);
	ck_assert_int_eq(lanf_reasm_add(ra, &r, &got, &len), want);
	if (want) {
		ck_assert_uint_eq(len, total);
		ck_assert_mem_eq(got, whole, total);
	}
}

START_TEST(test_reasm)
{
	static struct lanf_reasm ra;
	uint8_t p[LANF_PKT_MAX];
	size_t i;

	for (i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)(i ^ (i >> 8));
	lanf_reasm_init(&ra);
	/* in order */
	feed(&ra, 1, 0, 2048, p, 1000, 0, NULL);
	feed(&ra, 1, 1000, 2048, p, 1000, 0, NULL);
	feed(&ra, 1, 2000, 2048, p, 48, 1, p);
	/* a missing middle: the tail is dropped, nothing delivered */
	feed(&ra, 2, 0, 1500, p, 500, 0, NULL);
	feed(&ra, 2, 1000, 1500, p, 500, 0, NULL);
	ck_assert_uint_eq(ra.dropped, 1);
	/* a lost tail: the next packet's first fragment starts over */
	feed(&ra, 3, 0, 1500, p, 500, 0, NULL);
	feed(&ra, 4, 0, 600, p, 300, 0, NULL);
	ck_assert_uint_eq(ra.dropped, 2);
	feed(&ra, 4, 300, 600, p, 300, 1, p);
	/* a fragment of another packet in the middle */
	feed(&ra, 5, 0, 900, p, 300, 0, NULL);
	feed(&ra, 6, 300, 900, p, 300, 0, NULL);
	feed(&ra, 5, 600, 900, p, 300, 0, NULL);
	/* a single-fragment packet */
	feed(&ra, 9, 0, 10, p, 10, 1, p);
}
END_TEST

static Suite *
lanframe_suite(void)
{
	Suite *s = suite_create("lanframe");
	TCase *tc = tcase_create("lanframe");

	tcase_add_test(tc, test_roundtrip_glued);
	tcase_add_test(tc, test_drip);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_reasm);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(lanframe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
