/* SPDX-License-Identifier: MIT */
/*
 * The libsrtp2 adapter (srtp/srtpc.h): a client and a server keyed from
 * the same exporter bytes understand each other both ways (RTP and
 * RTCP), a packet protected by one side does not verify on the same
 * side (each direction has its own keys), a flipped bit or a replay is
 * refused, and protect needs SRTPC_ROOM spare bytes.
 */
#include "srtp/srtpc.h"

#include <check.h>
#include <string.h>

#include "proto/rtp.h"

static struct srtpc *cli, *srv;

static void
setup(void)
{
	uint8_t km[SRTPC_KEYMAT_LEN];
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(i * 13 + 1);
	cli = srtpc_new(km, 1, err, sizeof(err));
	ck_assert_msg(cli != NULL, "%s", err);
	srv = srtpc_new(km, 0, err, sizeof(err));
	ck_assert_msg(srv != NULL, "%s", err);
}

static void
teardown(void)
{
	srtpc_free(cli);
	srtpc_free(srv);
}

static size_t
make_rtp(uint8_t *b, uint16_t seq, size_t paylen)
{
	struct rtp_hdr h = { .pt = 111, .seq = seq, .ts = 960u * seq, .ssrc = 0xdeadbeef };

	rtp_build(&h, b, RTP_HDR_LEN);
	memset(b + RTP_HDR_LEN, 0x42, paylen);
	return RTP_HDR_LEN + paylen;
}

START_TEST(test_both_ways)
{
	uint8_t b[512], plain[512];
	size_t n;
	ssize_t k;

	n = make_rtp(b, 1, 100);
	memcpy(plain, b, n);
	k = srtpc_protect(cli, b, n, sizeof(b));
	ck_assert_int_eq(k, (ssize_t)n + SRTPC_RTP_OVERHEAD);
	ck_assert(memcmp(b + RTP_HDR_LEN, plain + RTP_HDR_LEN, 100) != 0);
	ck_assert_int_eq(srtpc_unprotect(srv, b, (size_t)k), (ssize_t)n);
	ck_assert_mem_eq(b, plain, n);

	n = make_rtp(b, 7, 50);
	k = srtpc_protect(srv, b, n, sizeof(b));
	ck_assert_int_gt(k, 0);
	ck_assert_int_eq(srtpc_unprotect(cli, b, (size_t)k), (ssize_t)n);

	{
		struct rtcp_sr sr = { .ssrc = 5, .packets = 1 };

		n = (size_t)rtcp_sr_build(&sr, b, sizeof(b));
		k = srtpc_protect_rtcp(cli, b, n, sizeof(b));
		ck_assert_int_eq(k, (ssize_t)n + SRTPC_RTCP_OVERHEAD);
		ck_assert_int_eq(demux_classify(b, (size_t)k), DEMUX_RTCP);
		ck_assert_int_eq(srtpc_unprotect_rtcp(srv, b, (size_t)k), (ssize_t)n);
	}
}
END_TEST

START_TEST(test_refusals)
{
	uint8_t b[512], c[512];
	size_t n;
	ssize_t k;

	/* own direction's keys do not verify */
	n = make_rtp(b, 1, 40);
	k = srtpc_protect(cli, b, n, sizeof(b));
	memcpy(c, b, (size_t)k);
	ck_assert_int_eq(srtpc_unprotect(cli, c, (size_t)k), -1);
	/* a flipped bit */
	memcpy(c, b, (size_t)k);
	c[20] ^= 1;
	ck_assert_int_eq(srtpc_unprotect(srv, c, (size_t)k), -1);
	/* the genuine one, then its replay */
	memcpy(c, b, (size_t)k);
	ck_assert_int_eq(srtpc_unprotect(srv, c, (size_t)k), (ssize_t)n);
	memcpy(c, b, (size_t)k);
	ck_assert_int_eq(srtpc_unprotect(srv, c, (size_t)k), -1);
	/* too little room to protect */
	n = make_rtp(b, 2, 40);
	ck_assert_int_eq(srtpc_protect(cli, b, n, n + SRTPC_ROOM - 1), -1);
	/* garbage and truncation */
	ck_assert_int_eq(srtpc_unprotect(srv, b, 5), -1);
}
END_TEST

/* AEAD_AES_128_GCM: 56 exporter bytes (12-byte salts), a 16-byte tag, tampering refused. */
START_TEST(test_gcm)
{
	uint8_t km[SRTPC_KEYMAT_LEN], b[512];
	struct srtpc *gc, *gs, *cm;
	char err[128];
	size_t n, i;
	ssize_t k;

	ck_assert_uint_eq(srtpc_keymat_len(SRTPC_PROFILE_GCM), 56);
	ck_assert_uint_eq(srtpc_keymat_len(SRTPC_PROFILE), 60);
	ck_assert_uint_eq(srtpc_keymat_len(0x0002), 0);
	ck_assert_ptr_null(srtpc_new_profile(0x0008, km, 1, err, sizeof(err)));
	for (i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(i * 7 + 3);
	gc = srtpc_new_profile(SRTPC_PROFILE_GCM, km, 1, err, sizeof(err));
	ck_assert_msg(gc != NULL, "%s", err);
	gs = srtpc_new_profile(SRTPC_PROFILE_GCM, km, 0, err, sizeof(err));
	ck_assert_msg(gs != NULL, "%s", err);
	cm = srtpc_new_profile(SRTPC_PROFILE, km, 0, err, sizeof(err));
	ck_assert_msg(cm != NULL, "%s", err);
	{
		uint8_t big[1200 + SRTPC_ROOM], keep[1200 + SRTPC_ROOM], prot[1200 + SRTPC_ROOM];

		n = make_rtp(big, 9, 1200 - RTP_HDR_LEN);
		memcpy(keep, big, n);
		k = srtpc_protect(gc, big, n, sizeof(big));
		ck_assert_int_eq(k, (ssize_t)n + SRTPC_GCM_RTP_OVERHEAD);
		ck_assert(memcmp(big + RTP_HDR_LEN, keep + RTP_HDR_LEN, 64) != 0);
		memcpy(prot, big, (size_t)k);
		/* the other profile's keys refuse it, so does a flipped bit (each on a copy) */
		ck_assert_int_eq(srtpc_unprotect(cm, big, (size_t)k), -1);
		memcpy(big, prot, (size_t)k);
		big[RTP_HDR_LEN + 5] ^= 0x80;
		ck_assert_int_eq(srtpc_unprotect(gs, big, (size_t)k), -1);
		memcpy(big, prot, (size_t)k);
		ck_assert_int_eq(srtpc_unprotect(gs, big, (size_t)k), (ssize_t)n);
		ck_assert_mem_eq(big, keep, n);
	}
	{
		struct rtcp_sr sr = { .ssrc = 5, .packets = 1 };

		n = (size_t)rtcp_sr_build(&sr, b, sizeof(b));
		k = srtpc_protect_rtcp(gs, b, n, sizeof(b));
		ck_assert_int_eq(k, (ssize_t)n + SRTPC_GCM_RTCP_OVERHEAD);
		ck_assert_int_eq(demux_classify(b, (size_t)k), DEMUX_RTCP);
		ck_assert_int_eq(srtpc_unprotect_rtcp(gc, b, (size_t)k), (ssize_t)n);
	}
	srtpc_free(gc);
	srtpc_free(gs);
	srtpc_free(cm);
}
END_TEST

static Suite *
srtpc_suite(void)
{
	Suite *s = suite_create("srtpc");
	TCase *tc = tcase_create("srtpc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_both_ways);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_gcm);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(srtpc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
