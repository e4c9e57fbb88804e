/* SPDX-License-Identifier: MIT */
/*
 * rendezvous's Snowflake messages, relay patterns and matchmaking core:
 * the 2.5.1 bodies decode, every truncation of them is refused (a body is
 * whole, so a prefix is malformed, never "need more"), errors carry
 * Snowflake's texts, encoders write Go's bytes, and the match core keeps
 * Snowflake's NAT rule, prefers free slots and keeps arrival order.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rendezvous/fform.h"
#include "rendezvous/match.h"
#include "rendezvous/relays.h"
#include "rendezvous/rmsg.h"
#include "rendezvous/sfmsg.h"

static const char client_body[] =
	"1.0\n{\"offer\":\"{\\\"type\\\":\\\"offer\\\",\\\"sdp\\\":\\\"v=0\\\\r\\\\n\\\"}\","
	"\"nat\":\"restricted\",\"fingerprint\":\"2B280B23E1107BB62ABFC40DDCC8824814F80A72\"}";
static const char proxy_body[] =
	"{\"Sid\":\"aGVsbG8gd29ybGQgMTIzNA\",\"Version\":\"1.3\",\"Type\":\"standalone\","
	"\"NAT\":\"unknown\",\"Clients\":8,\"AcceptedRelayPattern\":\"snowflake.torproject.net$\"}";

START_TEST(test_client_poll)
{
	struct sf_client_poll c;
	const char *why;
	size_t n = strlen(client_body), i;

	ck_assert_int_eq(sf_client_poll_decode((const uint8_t *)client_body, n, NULL, &c, &why), (ssize_t)n);
	ck_assert_str_eq(c.offer, "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}");
	ck_assert_int_eq(c.nat, SF_NAT_RESTRICTED);
	ck_assert_int_eq(c.legacy, 0);
	sf_client_poll_free(&c);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sf_client_poll_decode((const uint8_t *)client_body, i, NULL, &c, &why), -1);
		ck_assert_ptr_null(c.offer);
	}
	ck_assert_int_eq(sf_client_poll_decode((const uint8_t *)"1.1\n{}", 6, NULL, &c, &why), -1);
	ck_assert_str_eq(why, "unsupported message version");
	ck_assert_int_eq(sf_client_poll_decode((const uint8_t *)"1.0\n{\"offer\":\"x\",\"nat\":\"odd\"}", 29, NULL,
	                                       &c, &why), -1);
	ck_assert_str_eq(why, "invalid NAT type");
	ck_assert_int_eq(sf_client_poll_decode((const uint8_t *)"{\"type\":\"offer\"}", 16, "unrestricted", &c, &why),
	                 16);
	ck_assert_int_eq(c.legacy, 1);
	ck_assert_int_eq(c.nat, SF_NAT_UNRESTRICTED);
	sf_client_poll_free(&c);
}
END_TEST

START_TEST(test_proxy_poll)
{
	struct sf_proxy_poll p;
	const char *why;
	size_t n = strlen(proxy_body), i;

	ck_assert_int_eq(sf_proxy_poll_decode((const uint8_t *)proxy_body, n, &p, &why), (ssize_t)n);
	ck_assert_str_eq(p.sid, "aGVsbG8gd29ybGQgMTIzNA");
	ck_assert_str_eq(p.type, "standalone");
	ck_assert_int_eq(p.nat, SF_NAT_UNKNOWN);
	ck_assert_int_eq(p.clients, 8);
	ck_assert_int_eq(p.has_pattern, 1);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(sf_proxy_poll_decode((const uint8_t *)proxy_body, i, &p, &why), -1);
	ck_assert_int_eq(sf_proxy_poll_decode((const uint8_t *)"{\"Sid\":\"x\",\"Version\":\"10.1\"}", 28, &p, &why),
	                 -1);
	ck_assert_str_eq(why, "using unknown version");
	ck_assert_int_eq(sf_proxy_poll_decode((const uint8_t *)"{\"sid\":\"x\",\"version\":\"1\",\"type\":\"new\"}", 38,
	                                      &p, &why), 38);
	ck_assert_str_eq(p.type, "unknown");
	ck_assert_int_eq(p.has_pattern, 0);
}
END_TEST

START_TEST(test_encode)
{
	char out[256];

	ck_assert_int_eq(sf_proxy_response(out, sizeof(out), "no match", NULL, 0, NULL, NULL), 55);
	ck_assert_str_eq(out, "{\"Status\":\"no match\",\"Offer\":\"\",\"NAT\":\"\",\"RelayURL\":\"\"}");
	ck_assert_int_gt(sf_client_response(out, sizeof(out), "<a&\xe2\x80\xa8\n", 7, NULL), 0);
	ck_assert_str_eq(out, "{\"answer\":\"\\u003ca\\u0026\\u2028\\n\"}");
	ck_assert_int_eq(sf_client_response(out, 8, "abcdefgh", 8, NULL), -1);
	ck_assert_int_eq(sf_answer_response(out, sizeof(out), 0), 24);
	ck_assert_str_eq(out, "{\"Status\":\"client gone\"}");
}
END_TEST

START_TEST(test_pattern)
{
	struct relays rs;
	char err[128];

	ck_assert(sf_pattern_admits("snowflake.torproject.net$", "snowflake.torproject.net"));
	ck_assert(sf_pattern_admits("example.com$", "other-example.com"));
	ck_assert(!sf_pattern_admits("^example.com$", "www.example.com"));
	ck_assert(sf_pattern_admits("^example.com$", "example.com"));
	memset(&rs, 0, sizeof(rs));
	ck_assert_int_eq(relays_add(&rs, "ws://relay.example.net/", err, sizeof(err)), 0);
	ck_assert_int_eq(relays_add(&rs, "wss://relay.example.net/", err, sizeof(err)), 1);
	ck_assert_int_eq(relays_add(&rs, "http://relay.example.net/", err, sizeof(err)), -1);
	ck_assert_int_eq(relays_for_proxy(&rs, 1, "relay.example.net$", 1), 3);
	ck_assert_int_eq(relays_for_proxy(&rs, 1, "relay.example.net$", 0), 2);
	ck_assert_int_eq(relays_pick(&rs, 3), 1);
	ck_assert_int_eq(relays_for_bridge(&rs, "anything"), 3);
}
END_TEST

START_TEST(test_match)
{
	struct match m;
	struct mproxy a = { .nat = SF_NAT_RESTRICTED, .relays = 1, .since_ms = 1000 };
	struct mproxy b = { .nat = SF_NAT_UNRESTRICTED, .relays = 1, .since_ms = 1000 };
	struct mproxy c = { .nat = SF_NAT_UNRESTRICTED, .relays = 1, .since_ms = 1000, .clients = 8 };
	struct mclient q1 = { .nat = SF_NAT_RESTRICTED, .relays = 1 }, q2 = { .nat = SF_NAT_UNRESTRICTED, .relays = 1 };

	match_init(&m);
	ck_assert_ptr_null(match_best(&m, SF_NAT_RESTRICTED, 1, 2000));
	match_pool_add(&m, &a);
	ck_assert_ptr_null(match_best(&m, SF_NAT_RESTRICTED, 1, 2000));
	ck_assert_ptr_null(match_best(&m, SF_NAT_UNKNOWN, 1, 2000));
	ck_assert_ptr_eq(match_best(&m, SF_NAT_UNRESTRICTED, 1, 2000), &a);
	ck_assert_ptr_null(match_best(&m, SF_NAT_UNRESTRICTED, 2, 2000));
	match_pool_add(&m, &c);
	match_pool_add(&m, &b);
	ck_assert_ptr_eq(match_best(&m, SF_NAT_UNRESTRICTED, 1, 2000), &a);
	ck_assert_ptr_eq(match_best(&m, SF_NAT_RESTRICTED, 1, 2000), &b);
	match_pool_remove(&m, &b);
	ck_assert_ptr_eq(match_best(&m, SF_NAT_RESTRICTED, 1, 2000), &c);
	ck_assert_uint_eq(match_pool_size(&m), 2);
	match_queue_add(&m, &q1);
	match_queue_add(&m, &q2);
	ck_assert_ptr_eq(match_oldest(&m, &a), &q2);
	ck_assert_ptr_eq(match_oldest(&m, &c), &q1);
	match_queue_remove(&m, &q1);
	ck_assert_ptr_eq(match_oldest(&m, &c), &q2);
}
END_TEST

START_TEST(test_fform)
{
	static const char body[] = "data=%7B%22SDP%22%3A1%7D+x&send-to=genesis&type=1&type=9&extra=%ZZ";
	static const char good[] = "data=%7B%22SDP%22%3A1%7D+x&send-to=genesis&type=1&type=9";
	struct fform f;
	size_t i;

	ck_assert_int_eq(fform_decode((const uint8_t *)body, strlen(body), &f), -1);
	ck_assert_ptr_null(f.data);
	ck_assert_int_eq(fform_decode((const uint8_t *)good, strlen(good), &f), (ssize_t)strlen(good));
	ck_assert_str_eq(f.data, "{\"SDP\":1} x");
	ck_assert_str_eq(f.send_to, "genesis");
	ck_assert_int_eq(f.type, 1);
	fform_free(&f);
	for (i = 0; i <= strlen(good); i++) {
		/* every prefix decodes or is refused, and never reads past it */
		if (fform_decode((const uint8_t *)good, i, &f) > 0)
			fform_free(&f);
	}
	ck_assert_int_eq(fform_decode((const uint8_t *)"type=x1", 7, &f), -1);
	ck_assert_int_eq(fform_decode((const uint8_t *)"type=-", 6, &f), -1);
	ck_assert_int_eq(fform_decode((const uint8_t *)"send-to=%00", 11, &f), -1);
}
END_TEST

START_TEST(test_rmsg)
{
	static const char ad_text[] = "0123456789abcdef|sid-1|5|1000|8";
	static const char offer[] = "{\"op\":\"offer\",\"sid\":\"s\",\"from\":\"0123456789abcdef\",\"offer\":\"o\","
	                            "\"nat\":\"restricted\",\"relay\":\"wss://x/\"}";
	struct rmsg_ad ad;
	struct rmsg m;
	char out[128];
	size_t i;

	ck_assert_int_eq(rmsg_ad_decode((const uint8_t *)ad_text, strlen(ad_text), &ad), (ssize_t)strlen(ad_text));
	ck_assert_str_eq(ad.sid, "sid-1");
	ck_assert_int_eq(ad.relays, 5);
	ck_assert_int_eq(ad.expiry_ms, 1000);
	ck_assert_int_eq(rmsg_ad_encode(out, sizeof(out), &ad), (ssize_t)strlen(ad_text));
	ck_assert_str_eq(out, ad_text);
	for (i = 0; i < strlen(ad_text) - 1; i++)
		ck_assert_int_eq(rmsg_ad_decode((const uint8_t *)ad_text, i, &ad), -1);
	ck_assert_int_eq(rmsg_ad_decode((const uint8_t *)"0123456789abcdef|a|b|1|2|3", 26, &ad), -1);
	ck_assert_int_eq(rmsg_decode((const uint8_t *)offer, strlen(offer), &m), (ssize_t)strlen(offer));
	ck_assert_int_eq(m.op, RMSG_OFFER);
	ck_assert_int_eq(m.nat, SF_NAT_RESTRICTED);
	ck_assert_str_eq(m.relay, "wss://x/");
	rmsg_free(&m);
	ck_assert_int_eq(rmsg_decode((const uint8_t *)"{\"op\":\"offer\",\"sid\":\"s\"}", 24, &m), -1);
	ck_assert_ptr_null(m.offer);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rdv_sfmsg");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_client_poll);
	tcase_add_test(tc, test_proxy_poll);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_pattern);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_fform);
	tcase_add_test(tc, test_rmsg);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
