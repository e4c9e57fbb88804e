/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of common/nss: the persona tables are consistent and
 * say what the reference captures show (t/data/cover), reducing a
 * persona to an older NSS drops exactly ML-KEM, DTLS 1.3 and certificate
 * compression, the use_srtp codec round-trips and refuses malformed
 * bodies (every truncation, bad lengths, odd lists), and fingerprints
 * print and parse in both spellings.
 */
#include "nss/fp.h"
#include "nss/persona.h"

#include <check.h>
#include <string.h>

START_TEST(test_tables)
{
	const struct persona *w = persona_find("firefox-webrtc");
	const struct persona *h = persona_find("firefox-https");
	static const uint16_t w_order[] = { 23, 65281, 10, 11, 16, 34, 51, 43, 13, 28, 14 };

	ck_assert_ptr_eq(w, &persona_firefox_webrtc);
	ck_assert_ptr_eq(h, &persona_firefox_https);
	ck_assert_ptr_null(persona_find("chromium"));
	ck_assert_ptr_null(persona_find(NULL));
	ck_assert_int_eq(persona_check(w), 0);
	ck_assert_int_eq(persona_check(h), 0);
	ck_assert(w->dtls && !h->dtls);
	ck_assert_str_eq(w->alpn, "webrtc,c-webrtc");
	ck_assert_str_eq(h->alpn, "h2,http/1.1");
	ck_assert_uint_eq(w->nsrtp, 4);
	ck_assert_uint_eq(w->srtp[0], 0x0007);
	ck_assert_uint_eq(w->srtp[1], 0x0008);
	ck_assert(!w->session_tickets);
	ck_assert(h->session_tickets && h->compat_session_id && h->ech_grease);
	ck_assert_uint_eq(w->next, sizeof(w_order) / sizeof(w_order[0]));
	ck_assert_mem_eq(w->ext_order, w_order, sizeof(w_order));
	/* use_srtp last: NSS appends hooked extensions after its own. */
	ck_assert_uint_eq(w->ext_order[w->next - 1], PERSONA_EXT_USE_SRTP);
	ck_assert_uint_eq(h->nciphers, 16);
	ck_assert_uint_eq(h->ciphers[0], 0x1301);
	ck_assert_uint_eq(h->ciphers[2], 0x1302);
}
END_TEST

START_TEST(test_check_refuses)
{
	struct persona p = persona_firefox_webrtc;

	p.ciphers[1] = p.ciphers[0];
	ck_assert_int_eq(persona_check(&p), -1);
	p = persona_firefox_webrtc;
	p.key_shares = (unsigned)p.ngroups + 1;
	ck_assert_int_eq(persona_check(&p), -1);
	p = persona_firefox_webrtc;
	p.vmax = PERSONA_TLS13;
	ck_assert_int_eq(persona_check(&p), -1);
	p = persona_firefox_webrtc;
	strcpy(p.alpn, "webrtc,");
	ck_assert_int_eq(persona_check(&p), -1);
	strcpy(p.alpn, ",x");
	ck_assert_int_eq(persona_check(&p), -1);
	p = persona_firefox_https;
	p.nsrtp = 1;
	ck_assert_int_eq(persona_check(&p), -1);
	p = persona_firefox_https;
	p.nciphers = PERSONA_CIPHERS_MAX + 1;
	ck_assert_int_eq(persona_check(&p), -1);
}
END_TEST

START_TEST(test_reduce)
{
	struct persona r;

	/* Debian's 3.87: DTLS capped at 1.2, no ML-KEM (one share fewer). */
	persona_reduce(&persona_firefox_webrtc, &r, 0, 0, 0);
	ck_assert_uint_eq(r.vmax, PERSONA_DTLS12);
	ck_assert_uint_eq(r.ngroups, persona_firefox_webrtc.ngroups - 1);
	ck_assert_uint_eq(r.groups[0], PERSONA_GRP_X25519);
	ck_assert_uint_eq(r.key_shares, 1);
	ck_assert_int_eq(persona_check(&r), 0);
	persona_reduce(&persona_firefox_https, &r, 0, 0, 0);
	ck_assert_uint_eq(r.vmax, PERSONA_TLS13);
	ck_assert_uint_eq(r.key_shares, 2);
	ck_assert(!r.compress_cert);
	ck_assert_uint_eq(r.next, persona_firefox_https.next - 1);
	ck_assert_uint_eq(r.ext_order[r.next - 1], PERSONA_EXT_ECH);
	/* Firefox's own NSS: nothing dropped. */
	persona_reduce(&persona_firefox_webrtc, &r, 1, 1, 1);
	ck_assert_mem_eq(&r, &persona_firefox_webrtc, sizeof(r));
}
END_TEST

START_TEST(test_srtp_codec)
{
	static const uint8_t ff[] = { 0, 8, 0, 7, 0, 8, 0, 1, 0, 2, 0 };
	const uint16_t *ours = persona_firefox_webrtc.srtp;
	uint8_t out[32], body[16];
	uint16_t chosen = 0xffff;
	size_t n, i;

	n = persona_srtp_write(ours, 4, out, sizeof(out));
	ck_assert_uint_eq(n, sizeof(ff));
	ck_assert_mem_eq(out, ff, sizeof(ff));
	ck_assert_uint_eq(persona_srtp_write(ours, 4, out, sizeof(ff) - 1), 0);
	ck_assert_uint_eq(persona_srtp_write(ours, 0, out, sizeof(out)), 0);
	ck_assert_int_eq(persona_srtp_pick(ff, sizeof(ff), ours, 4, 0, &chosen), 0);
	ck_assert_uint_eq(chosen, 0x0007);
	/* Our preference wins over the peer's order. */
	static const uint8_t rev[] = { 0, 4, 0, 1, 0, 8, 0 };
	ck_assert_int_eq(persona_srtp_pick(rev, sizeof(rev), ours, 4, 0, &chosen), 0);
	ck_assert_uint_eq(chosen, 0x0008);
	static const uint8_t none[] = { 0, 2, 0, 5, 0 };
	ck_assert_int_eq(persona_srtp_pick(none, sizeof(none), ours, 4, 0, &chosen), 0);
	ck_assert_uint_eq(chosen, 0);
	static const uint8_t mki[] = { 0, 2, 0, 1, 2, 0xaa, 0xbb };
	ck_assert_int_eq(persona_srtp_pick(mki, sizeof(mki), ours, 4, 1, &chosen), 0);
	ck_assert_uint_eq(chosen, 0x0001);
	/* Every truncation of a valid body is refused. */
	for (i = 0; i < sizeof(ff); i++)
		ck_assert_int_eq(persona_srtp_pick(ff, i, ours, 4, 0, &chosen), -1);
	/* A server's answer must name one profile. */
	ck_assert_int_eq(persona_srtp_pick(ff, sizeof(ff), ours, 4, 1, &chosen), -1);
	static const uint8_t odd[] = { 0, 3, 0, 7, 0, 0 };
	ck_assert_int_eq(persona_srtp_pick(odd, sizeof(odd), ours, 4, 0, &chosen), -1);
	static const uint8_t empty[] = { 0, 0, 0 };
	ck_assert_int_eq(persona_srtp_pick(empty, sizeof(empty), ours, 4, 0, &chosen), -1);
	static const uint8_t longlist[] = { 0xff, 0xfe, 0, 7, 0 };
	ck_assert_int_eq(persona_srtp_pick(longlist, sizeof(longlist), ours, 4, 0, &chosen), -1);
	memcpy(body, ff, sizeof(ff));
	body[sizeof(ff)] = 0; /* a byte after the MKI */
	ck_assert_int_eq(persona_srtp_pick(body, sizeof(ff) + 1, ours, 4, 0, &chosen), -1);
}
END_TEST

START_TEST(test_fingerprint)
{
	uint8_t d[FP_LEN], e[FP_LEN];
	char s[FP_STR_MAX], t[FP_STR_MAX];
	size_t i;

	for (i = 0; i < FP_LEN; i++)
		d[i] = (uint8_t)(i * 37 + 5);
	fp_format(d, s);
	ck_assert_uint_eq(strlen(s), 7 + 64);
	ck_assert(strncmp(s, "sha256:052a4f", 13) == 0);
	ck_assert_int_eq(fp_parse(s, e), 0);
	ck_assert_mem_eq(d, e, FP_LEN);
	ck_assert(fp_equal(d, e));
	fp_format_sdp(d, t);
	ck_assert_uint_eq(strlen(t), FP_STR_MAX - 1);
	ck_assert(strncmp(t, "sha-256 05:2A:4F:", 17) == 0);
	memset(e, 0, sizeof(e));
	ck_assert_int_eq(fp_parse(t, e), 0);
	ck_assert_mem_eq(d, e, FP_LEN);
	/* Upper-case hex and prefix are fine. */
	for (i = 0; s[i]; i++)
		if (s[i] >= 'a' && s[i] <= 'f')
			s[i] = (char)(s[i] - 'a' + 'A');
	ck_assert_int_eq(fp_parse(s, e), 0);
	e[FP_LEN - 1] ^= 1;
	ck_assert(!fp_equal(d, e));
}
END_TEST

START_TEST(test_fingerprint_refuses)
{
	static const char *bad[] = {
		"", "sha256:", "sha1:00", "sha256:0",
		"sha256:000000000000000000000000000000000000000000000000000000000000000",
		"sha256:00000000000000000000000000000000000000000000000000000000000000000",
		"sha256:000000000000000000000000000000000000000000000000000000000000000g",
		"sha256:0000000000000000000000000000000000000000000000000000000000000000 ",
		"sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
		"00:00:00:00:00:00",
		"sha-256 00-00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
		"00:00:00:00:00:00:00",
	};
	uint8_t d[FP_LEN], keep[FP_LEN];
	size_t i;

	memset(d, 0x5a, sizeof(d));
	memcpy(keep, d, sizeof(d));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(fp_parse(bad[i], d) == -1, "accepted '%s'", bad[i]);
	ck_assert_int_eq(fp_parse(NULL, d), -1);
	ck_assert_mem_eq(d, keep, sizeof(d));
}
END_TEST

static Suite *
persona_suite(void)
{
	Suite *s = suite_create("nss_persona");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_check_refuses);
	tcase_add_test(tc, test_reduce);
	tcase_add_test(tc, test_srtp_codec);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_fingerprint_refuses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(persona_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
