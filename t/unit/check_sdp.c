/* SPDX-License-Identifier: MIT */
/*
 * SDP for one data channel: a pion (Snowflake) offer and a Firefox
 * answer from t/data/sdp parsed field by field; our writer's output
 * parsed back; drip (every prefix that ends inside a line asks for
 * more), glued descriptions, and every class of malformed input the
 * parser must refuse; the candidate and line caps.
 */
#include "proto/sdp.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
load(const char *name, size_t *len)
{
	const char *top = getenv("PW_TOP");
	char path[512];
	FILE *f;
	char *buf = malloc(SDP_MAX + 1);

	snprintf(path, sizeof(path), "%s/t/data/sdp/%s", top && *top ? top : ".", name);
	ck_assert_ptr_nonnull(buf);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	*len = fread(buf, 1, SDP_MAX, f);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static int
parse_str(const char *s, struct sdp *d)
{
	return sdp_parse((const uint8_t *)s, strlen(s), d);
}

static const uint8_t fp_aa[SDP_FP_LEN] = {
	0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
	0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
};

START_TEST(test_pion_offer)
{
	size_t n;
	char *s = load("pion-offer.sdp", &n);
	struct sdp d;

	ck_assert_int_eq(sdp_parse((const uint8_t *)s, n, &d), (int)n);
	ck_assert_str_eq(d.ufrag, "ZzJWedVSvxLSbZDq");
	ck_assert_str_eq(d.pwd, "MNdhdmknQeCGZXcNzqnGeKJGukTlEbea");
	ck_assert_mem_eq(d.fp, fp_aa, SDP_FP_LEN);
	ck_assert_int_eq(d.setup, SDP_SETUP_ACTPASS);
	ck_assert_uint_eq(d.sctp_port, 5000);
	ck_assert_uint_eq(d.max_msg, SDP_MAX_MSG_DEFAULT); /* pion writes none */
	ck_assert_str_eq(d.mid, "0");
	ck_assert_uint_eq(d.ncand, 2);
	ck_assert_str_eq(d.cand[1],
	    "candidate:1433413540 1 udp 1694498815 203.0.113.5 54036 typ srflx raddr 0.0.0.0 rport 54036");
	ck_assert_int_eq(d.end_of_candidates, 1);
	free(s);
}
END_TEST

START_TEST(test_firefox_answer)
{
	size_t n;
	char *s = load("firefox-answer.sdp", &n);
	struct sdp d;

	ck_assert_int_eq(sdp_parse((const uint8_t *)s, n, &d), (int)n);
	ck_assert_str_eq(d.ufrag, "6c4f4a3d");
	ck_assert_uint_eq(strlen(d.pwd), 32);
	ck_assert_mem_eq(d.fp, fp_aa, SDP_FP_LEN); /* the sha-1 line is skipped */
	ck_assert_int_eq(d.setup, SDP_SETUP_ACTIVE);
	ck_assert_uint_eq(d.max_msg, 1073741823);
	ck_assert_uint_eq(d.ncand, 1);
	free(s);
}
END_TEST

static void
fill(struct sdp *d)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->ufrag, "0a1b2c3d");
	strcpy(d->pwd, "00112233445566778899aabbccddeeff");
	memcpy(d->fp, fp_aa, SDP_FP_LEN);
	d->setup = SDP_SETUP_ACTPASS;
	d->sctp_port = 5000;
	d->max_msg = 262144;
	d->sess_id = 1234567890123ULL;
	strcpy(d->mid, "0");
	d->ncand = 2;
	strcpy(d->cand[0], "candidate:1 1 UDP 2015363327 192.0.2.1 40000 typ host");
	strcpy(d->cand[1], "candidate:2 1 UDP 1677721855 198.51.100.7 40000 typ srflx raddr 192.0.2.1 rport 40000");
	d->end_of_candidates = 1;
}

START_TEST(test_write_parse)
{
	struct sdp d, e;
	char out[SDP_MAX];
	int n;

	fill(&d);
	n = sdp_write(&d, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	ck_assert_ptr_nonnull(strstr(out, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "a=setup:actpass\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "a=max-message-size:262144\r\n"));
	ck_assert_int_eq(parse_str(out, &e), n);
	ck_assert_str_eq(e.ufrag, d.ufrag);
	ck_assert_str_eq(e.pwd, d.pwd);
	ck_assert_mem_eq(e.fp, d.fp, SDP_FP_LEN);
	ck_assert_int_eq(e.setup, d.setup);
	ck_assert_uint_eq(e.max_msg, d.max_msg);
	ck_assert_uint_eq(e.ncand, 2);
	ck_assert_str_eq(e.cand[1], d.cand[1]);
	/* Too small a buffer: -1, never a truncated description. */
	ck_assert_int_eq(sdp_write(&d, out, (size_t)n), -1);
	ck_assert_int_eq(sdp_write(&d, out, 10), -1);
	d.setup = SDP_SETUP_NONE;
	ck_assert_int_eq(sdp_write(&d, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_drip)
{
	size_t n, k;
	char *s = load("pion-offer.sdp", &n);
	struct sdp d;
	int r;

	for (k = 0; k < n; k++) {
		r = sdp_parse((const uint8_t *)s, k, &d);
		if (k == 0 || s[k - 1] != '\n')
			ck_assert_msg(r == 0, "prefix %zu: %d", k, r);
		else
			ck_assert_msg(r == -1 || r == (int)k, "prefix %zu: %d", k, r);
	}
	ck_assert_int_eq(sdp_parse((const uint8_t *)s, n, &d), (int)n);
	free(s);
}
END_TEST

START_TEST(test_glued)
{
	size_t n1, n2;
	char *a = load("pion-offer.sdp", &n1), *b = load("firefox-answer.sdp", &n2);
	char *both = malloc(n1 + n2);
	struct sdp d;

	memcpy(both, a, n1);
	memcpy(both + n1, b, n2);
	ck_assert_int_eq(sdp_parse((const uint8_t *)both, n1 + n2, &d), (int)n1);
	ck_assert_int_eq(d.setup, SDP_SETUP_ACTPASS);
	ck_assert_int_eq(sdp_parse((const uint8_t *)both + n1, n2, &d), (int)n2);
	ck_assert_int_eq(d.setup, SDP_SETUP_ACTIVE);
	free(both);
	free(a);
	free(b);
}
END_TEST

/* Each: replace the first occurrence of from with to in the pion offer; must be refused. */
static const char *const bad[][2] = {
	{ "v=0\r\n", "v=1\r\n" },
	{ "v=0\r\n", "" },
	{ "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "m=audio 9 UDP/TLS/RTP/SAVPF 111" },
	{ "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "m=application 9 DTLS/SCTP 5000" },
	{ "m=application 9 ", "m=application 99999 " },
	{ "c=IN IP4", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4" },
	{ "s=-", "x=-" },
	{ "s=-", "s -" },
	{ "s=-", "s=\x01" },
	{ "a=ice-ufrag:ZzJWedVSvxLSbZDq\r\n", "" },
	{ "a=ice-ufrag:ZzJWedVSvxLSbZDq", "a=ice-ufrag:abc" },
	{ "a=ice-ufrag:ZzJWedVSvxLSbZDq", "a=ice-ufrag:ab cd" },
	{ "a=ice-ufrag:ZzJWedVSvxLSbZDq", "a=ice-ufrag:ZzJWedVSvxLSbZDq\r\na=ice-ufrag:ZzJWedVSvxLSbZDq" },
	{ "a=ice-pwd:MNdhdmknQeCGZXcNzqnGeKJGukTlEbea", "a=ice-pwd:short" },
	{ "a=ice-pwd:MNdhdmknQeCGZXcNzqnGeKJGukTlEbea\r\n", "" },
	{ "a=fingerprint:sha-256 AA", "a=fingerprint:sha-1 AA" },
	{ "a=fingerprint:sha-256 AA", "a=fingerprint:sha-256 GG" },
	{ "a=fingerprint:sha-256 AA:", "a=fingerprint:sha-256 AA-" },
	{ "a=fingerprint:sha-256 AA", "a=fingerprint:sha-256 AAAA" },
	{ "a=fingerprint:sha-256", "a=fingerprint:" },
	{ "a=setup:actpass", "a=setup:holdconn" },
	{ "a=setup:actpass\r\n", "" },
	{ "a=setup:actpass", "a=setup:actpass\r\na=setup:active" },
	{ "a=sctp-port:5000", "a=sctp-port:0" },
	{ "a=sctp-port:5000", "a=sctp-port:70000" },
	{ "a=sctp-port:5000", "a=sctp-port:50x" },
	{ "a=sctp-port:5000", "a=max-message-size:-1" },
	{ "a=sctp-port:5000", "a=max-message-size:99999999999999999999" },
	{ "a=mid:0", "a=mid:" },
	{ "a=mid:0", "a=mid:0123456789012345678901234567890123" },
};

static char *
mutate(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out;

	ck_assert_msg(at != NULL, "%s", from);
	out = malloc(strlen(s) + strlen(to) + 1);
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), to);
	strcat(out, at + strlen(from));
	return out;
}

START_TEST(test_malformed)
{
	size_t n, i;
	char *s = load("pion-offer.sdp", &n), *m;
	struct sdp d;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = mutate(s, bad[i][0], bad[i][1]);
		ck_assert_msg(parse_str(m, &d) == -1, "case %zu (%s) accepted", i, bad[i][1]);
		free(m);
	}
	ck_assert_int_eq(parse_str("", &d), 0);
	ck_assert_int_eq(parse_str("\r\n", &d), -1);
	free(s);
}
END_TEST

START_TEST(test_limits)
{
	size_t n, i;
	char *s = load("pion-offer.sdp", &n), *m, *big, line[SDP_LINE_MAX + 8];
	struct sdp d;

	/* 20 candidates: 16 kept, 4 counted. */
	big = malloc(SDP_MAX * 2);
	strcpy(big, s);
	for (i = 0; i < 18; i++)
		sprintf(big + strlen(big), "a=candidate:%zu 1 udp 1 192.0.2.%zu 9 typ host\r\n", i + 9, i);
	ck_assert_int_eq(parse_str(big, &d), (int)strlen(big));
	ck_assert_uint_eq(d.ncand, SDP_CANDS_MAX);
	ck_assert_uint_eq(d.cand_dropped, 4);
	/* A line one over the limit, ignored attribute or not. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "a=", 2);
	line[SDP_LINE_MAX + 1] = '\0';
	m = mutate(s, "a=extmap-allow-mixed", line);
	ck_assert_int_eq(parse_str(m, &d), -1);
	free(m);
	line[SDP_LINE_MAX] = '\0';
	m = mutate(s, "a=extmap-allow-mixed", line);
	ck_assert_int_eq(parse_str(m, &d), (int)strlen(m));
	free(m);
	/* An unterminated line that is already too long: refused, not waited for. */
	memset(line, 'x', sizeof(line));
	ck_assert_int_eq(sdp_parse((const uint8_t *)line, sizeof(line), &d), -1);
	/* Past SDP_MAX in all. */
	strcpy(big, s);
	while (strlen(big) < SDP_MAX + 100)
		strcat(big, "a=ice-options:trickle\r\n");
	ck_assert_int_eq(parse_str(big, &d), -1);
	/* A bare LF ends a line too. */
	strcpy(big, s);
	for (i = 0, m = big; big[i]; i++)
		if (big[i] != '\r')
			*m++ = big[i];
	*m = '\0';
	ck_assert_int_eq(parse_str(big, &d), (int)strlen(big));
	free(big);
	free(s);
}
END_TEST

static Suite *
sdp_suite(void)
{
	Suite *s = suite_create("sdp");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_pion_offer);
	tcase_add_test(tc, test_firefox_answer);
	tcase_add_test(tc, test_write_parse);
	tcase_add_test(tc, test_drip);
	tcase_add_test(tc, test_glued);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sdp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
