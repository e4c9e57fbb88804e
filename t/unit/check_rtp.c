/* SPDX-License-Identifier: MIT */
/*
 * RTP/RTCP headers and the RFC 7983 demux (proto/rtp.h): a header
 * round-trips; CSRCs, an extension and padding are skipped as RFC 3550
 * says; short input is "need more"; a wrong version or lengths past the
 * packet are errors; a sender report round-trips; every first byte is
 * classified into its RFC 7983 range.
 */
#include "proto/rtp.h"

#include <check.h>
#include <string.h>

START_TEST(test_rtp_roundtrip)
{
	struct rtp_hdr h = { .pt = 111, .marker = 1, .seq = 0xfffe, .ts = 0x80000001, .ssrc = 42 }, g;
	uint8_t b[64];
	size_t pl, cut;

	ck_assert_int_eq(rtp_build(&h, b, sizeof(b)), RTP_HDR_LEN);
	ck_assert_int_eq(b[0], 0x80);
	ck_assert_int_eq(b[1], 0x80 | 111);
	memset(b + RTP_HDR_LEN, 7, 20);
	ck_assert_int_eq(rtp_parse(b, RTP_HDR_LEN + 20, &g, &pl), RTP_HDR_LEN);
	ck_assert_uint_eq(pl, 20);
	ck_assert_int_eq(g.pt, 111);
	ck_assert_int_eq(g.marker, 1);
	ck_assert_int_eq(g.seq, 0xfffe);
	ck_assert_uint_eq(g.ts, 0x80000001);
	ck_assert_uint_eq(g.ssrc, 42);
	for (cut = 0; cut < RTP_HDR_LEN; cut++)
		ck_assert_int_eq(rtp_parse(b, cut, &g, &pl), 0);
	ck_assert_int_eq(rtp_build(&h, b, 11), -1);
	h.pt = 128;
	ck_assert_int_eq(rtp_build(&h, b, sizeof(b)), -1);
}
END_TEST

START_TEST(test_rtp_csrc_ext_pad)
{
	uint8_t b[64];
	struct rtp_hdr g;
	size_t pl;

	memset(b, 0, sizeof(b));
	b[0] = 0x80 | 0x20 | 0x10 | 2; /* padding, extension, 2 CSRCs */
	b[1] = 96;
	/* 12 + 8 CSRC, extension header at 20: profile, 1 word */
	b[22] = 0;
	b[23] = 1;
	/* header = 12 + 8 + 4 + 4 = 28; payload 10 then 2 bytes padding */
	b[28 + 11] = 2;
	ck_assert_int_eq(rtp_parse(b, 40, &g, &pl), 28);
	ck_assert_uint_eq(pl, 10);
	/* padding count beyond the payload */
	b[39] = 13;
	ck_assert_int_eq(rtp_parse(b, 40, &g, &pl), -1);
	b[39] = 0;
	ck_assert_int_eq(rtp_parse(b, 40, &g, &pl), -1);
	b[39] = 2;
	/* extension longer than the packet */
	b[23] = 9;
	ck_assert_int_eq(rtp_parse(b, 40, &g, &pl), -1);
	/* CSRCs past the end */
	b[0] = 0x8f;
	ck_assert_int_eq(rtp_parse(b, 40, &g, &pl), -1);
	/* version 1 */
	b[0] = 0x40;
	ck_assert_int_eq(rtp_parse(b, 40, &g, &pl), -1);
}
END_TEST

START_TEST(test_rtcp_sr)
{
	struct rtcp_sr sr = { .ssrc = 0x01020304, .ntp = 0x1122334455667788ULL, .rtp_ts = 9,
		.packets = 10, .octets = 11 }, g;
	uint8_t b[64];
	uint8_t pt;
	uint32_t ssrc;
	size_t cut;

	ck_assert_int_eq(rtcp_sr_build(&sr, b, sizeof(b)), RTCP_SR_LEN);
	ck_assert_int_eq(demux_classify(b, RTCP_SR_LEN), DEMUX_RTCP);
	ck_assert_int_eq(rtcp_parse(b, RTCP_SR_LEN, &pt, &ssrc, &g), RTCP_SR_LEN);
	ck_assert_int_eq(pt, RTCP_PT_SR);
	ck_assert_uint_eq(g.ssrc, sr.ssrc);
	ck_assert(g.ntp == sr.ntp);
	ck_assert_uint_eq(g.rtp_ts, 9);
	ck_assert_uint_eq(g.packets, 10);
	ck_assert_uint_eq(g.octets, 11);
	for (cut = 0; cut < 8; cut++)
		ck_assert_int_eq(rtcp_parse(b, cut, &pt, &ssrc, NULL), 0);
	ck_assert_int_eq(rtcp_parse(b, RTCP_SR_LEN - 1, &pt, &ssrc, NULL), -1);
	ck_assert_int_eq(rtcp_sr_build(&sr, b, RTCP_SR_LEN - 1), -1);
	b[3] = 1; /* an SR of 8 bytes is malformed */
	ck_assert_int_eq(rtcp_parse(b, RTCP_SR_LEN, &pt, &ssrc, &g), -1);
}
END_TEST

START_TEST(test_demux)
{
	uint8_t b[2] = { 0, 0 };
	int i;

	ck_assert_int_eq(demux_classify(b, 0), DEMUX_NONE);
	for (i = 0; i < 256; i++) {
		enum demux_kind k, want;

		b[0] = (uint8_t)i;
		b[1] = 96;
		k = demux_classify(b, 2);
		if (i <= 3)
			want = DEMUX_STUN;
		else if (i >= 20 && i <= 63)
			want = DEMUX_DTLS;
		else if (i >= 64 && i <= 79)
			want = DEMUX_CHANNEL;
		else if (i >= 128 && i <= 191)
			want = DEMUX_RTP;
		else
			want = DEMUX_NONE;
		ck_assert_msg(k == want, "byte %d: %s", i, demux_name(k));
	}
	b[0] = 0x80;
	b[1] = 200;
	ck_assert_int_eq(demux_classify(b, 2), DEMUX_RTCP);
	b[1] = 223;
	ck_assert_int_eq(demux_classify(b, 2), DEMUX_RTCP);
	b[1] = 224;
	ck_assert_int_eq(demux_classify(b, 2), DEMUX_RTP);
	ck_assert_int_eq(demux_classify(b, 1), DEMUX_RTP);
}
END_TEST

static Suite *
rtp_suite(void)
{
	Suite *s = suite_create("rtp");
	TCase *tc = tcase_create("rtp");

	tcase_add_test(tc, test_rtp_roundtrip);
	tcase_add_test(tc, test_rtp_csrc_ext_pad);
	tcase_add_test(tc, test_rtcp_sr);
	tcase_add_test(tc, test_demux);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(rtp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
