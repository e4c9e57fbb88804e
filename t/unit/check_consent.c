/* SPDX-License-Identifier: MIT */
/*
 * ICE consent checks of a call (call/consent.h): credentials from the
 * exporter bytes; a request round-trips (the server takes it, with its
 * transaction ID), carries an ICE check's attributes in Firefox's order;
 * a response round-trips with XOR-MAPPED-ADDRESS; a request or response
 * under other credentials, another transaction, cut short (drip), with
 * bytes glued after it, or with a flipped byte is refused.
 */
#include "call/consent.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

static void
creds(struct consent_creds *cr, uint8_t seed)
{
	uint8_t km[CONSENT_KM_LEN];
	size_t i;

	for (i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(seed + i * 17);
	consent_creds_init(cr, km);
}

START_TEST(test_creds)
{
	struct consent_creds cr;

	creds(&cr, 1);
	ck_assert_str_eq(cr.ufrag_c, "01122334");
	ck_assert_uint_eq(strlen(cr.ufrag_s), 8);
	ck_assert_uint_eq(strlen(cr.pwd_s), 32);
}
END_TEST

START_TEST(test_request)
{
	struct consent_creds cr, other;
	uint8_t tid[STUN_TID_LEN], got[STUN_TID_LEN], b[CONSENT_MSG_MAX + 8];
	struct stun_msg m;
	ssize_t n;
	size_t cut, i;

	creds(&cr, 1);
	creds(&other, 2);
	memset(tid, 0xab, sizeof(tid));
	n = consent_request_build(&cr, tid, 0x1122334455667788ULL, b, sizeof(b));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(consent_request_check(&cr, b, (size_t)n, got), 1);
	ck_assert_mem_eq(got, tid, STUN_TID_LEN);
	/* what an ICE check carries, in Firefox's order */
	ck_assert_int_eq(stun_decode_dgram(b, (size_t)n, &m), 0);
	ck_assert_uint_eq(m.nattrs, 5);
	ck_assert_uint_eq(m.attrs[0].type, STUN_ATTR_USERNAME);
	ck_assert_uint_eq(m.attrs[0].len, 17);
	ck_assert_int_eq(memcmp(m.attrs[0].val, cr.ufrag_s, 8), 0);
	ck_assert_uint_eq(m.attrs[1].type, STUN_ATTR_PRIORITY);
	ck_assert_uint_eq(m.attrs[2].type, STUN_ATTR_ICE_CONTROLLING);
	ck_assert_uint_eq(m.attrs[3].type, STUN_ATTR_MESSAGE_INTEGRITY);
	ck_assert_uint_eq(m.attrs[4].type, STUN_ATTR_FINGERPRINT);
	/* other credentials, drip, glued, flipped */
	ck_assert_int_eq(consent_request_check(&other, b, (size_t)n, got), 0);
	for (cut = 0; cut < (size_t)n; cut++)
		ck_assert_int_eq(consent_request_check(&cr, b, cut, got), 0);
	b[n] = 0;
	ck_assert_int_eq(consent_request_check(&cr, b, (size_t)n + 4, got), 0);
	for (i = 0; i < (size_t)n; i++) {
		b[i] ^= 0x40;
		ck_assert_int_eq(consent_request_check(&cr, b, (size_t)n, got), 0);
		b[i] ^= 0x40;
	}
	/* a response is not a request */
	n = consent_response_build(&cr, tid, NULL, b, sizeof(b));
	ck_assert_int_eq(consent_request_check(&cr, b, (size_t)n, got), 0);
	ck_assert_int_eq(consent_request_build(&cr, tid, 1, b, 40), -1);
}
END_TEST

START_TEST(test_response)
{
	struct consent_creds cr, other;
	uint8_t tid[STUN_TID_LEN], tid2[STUN_TID_LEN], b[CONSENT_MSG_MAX];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(40000) };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct stun_msg m;
	ssize_t n;
	size_t cut;

	creds(&cr, 1);
	creds(&other, 2);
	memset(tid, 1, sizeof(tid));
	memset(tid2, 2, sizeof(tid2));
	sin.sin_addr.s_addr = htonl(0xc0000201);
	n = consent_response_build(&cr, tid, (const struct sockaddr *)&sin, b, sizeof(b));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(consent_response_check(&cr, tid, b, (size_t)n), 1);
	ck_assert_int_eq(stun_decode_dgram(b, (size_t)n, &m), 0);
	ck_assert_int_eq(stun_attr_addr(&m, stun_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &ss, &sl), 0);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 40000);
	ck_assert_int_eq(consent_response_check(&cr, tid2, b, (size_t)n), 0);
	ck_assert_int_eq(consent_response_check(&other, tid, b, (size_t)n), 0);
	for (cut = 0; cut < (size_t)n; cut++)
		ck_assert_int_eq(consent_response_check(&cr, tid, b, cut), 0);
	b[n - 10] ^= 1;
	ck_assert_int_eq(consent_response_check(&cr, tid, b, (size_t)n), 0);
	/* a request is not a response */
	n = consent_request_build(&cr, tid, 1, b, sizeof(b));
	ck_assert_int_eq(consent_response_check(&cr, tid, b, (size_t)n), 0);
}
END_TEST

static Suite *
consent_suite(void)
{
	Suite *s = suite_create("consent");
	TCase *tc = tcase_create("consent");

	tcase_add_test(tc, test_creds);
	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_response);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(consent_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
