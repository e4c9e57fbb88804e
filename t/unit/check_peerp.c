/* SPDX-License-Identifier: MIT */
/*
 * peer-proxy's pure helpers: the client's address from an offer's
 * candidates (public addresses only, never past n, whatever the line
 * endings), and the --stun option.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer-proxy/peerp.h"

static const char offer[] =
	"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	"a=candidate:1 1 udp 2130706431 127.0.0.1 4000 typ host\r\n"
	"a=candidate:2 1 udp 2130706431 10.1.2.3 4001 typ host\r\n"
	"a=candidate:3 1 udp 2130706431 fe80::1 4002 typ host\r\n"
	"a=candidate:4 1 udp 2130706431 3f0a1b2c-1111-2222-3333-444455556666.local 4003 typ host\r\n"
	"a=candidate:5 1 udp 1694498815 203.0.113.5 4004 typ srflx raddr 0.0.0.0 rport 0\r\n"
	"a=candidate:6 1 udp 1694498815 198.51.100.7 4005 typ srflx raddr 0.0.0.0 rport 0\r\n";

static size_t
ip_of(const char *s, size_t n, char *out, size_t outlen)
{
	uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees any read past */
	size_t r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, s, n);
	r = peerp_client_ip(copy, n, out, outlen);
	free(copy);
	return r;
}

START_TEST(test_client_ip)
{
	char ip[64];
	size_t n = strlen(offer), cut, at = (size_t)(strstr(offer, "203.0.113.5 4004") - offer);

	ck_assert_uint_eq(ip_of(offer, n, ip, sizeof(ip)), 11);
	ck_assert_str_eq(ip, "203.0.113.5");
	/* Every prefix: the address only once the field is whole. */
	for (cut = 0; cut <= n; cut++) {
		size_t r = ip_of(offer, cut, ip, sizeof(ip));

		if (cut <= at + 11)
			ck_assert_msg(r == 0 || (r == 11 && cut == at + 11), "cut %zu: %zu", cut, r);
		else
			ck_assert_str_eq(ip, "203.0.113.5");
	}
	/* Bare LF endings; IPv6. */
	ck_assert_uint_eq(ip_of("a=candidate:1 1 udp 1 2001:db8::5 9 typ host\n", 44, ip, sizeof(ip)), 11);
	ck_assert_str_eq(ip, "2001:db8::5");
	/* Only private, loopback, link-local, ULA, names: none. */
	ck_assert_uint_eq(ip_of(offer, at - 2, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "");
	ck_assert_uint_eq(ip_of("a=candidate:1 1 udp 1 fd00::1 9 typ host\r\n", 41, ip, sizeof(ip)), 0);
	ck_assert_uint_eq(ip_of("a=candidate:1 1 udp 1 192.168.1.1 9 typ host\r\n", 45, ip, sizeof(ip)), 0);
	ck_assert_uint_eq(ip_of("a=candidate:1 1 udp 1 172.20.0.1 9 typ host\r\n", 44, ip, sizeof(ip)), 0);
	ck_assert_uint_eq(ip_of("a=candidate:1 1 udp 1 172.32.0.1 9 typ host\r\n", 44, ip, sizeof(ip)), 10);
	/* Malformed: short lines, overlong fields, no room for the answer. */
	ck_assert_uint_eq(ip_of("a=candidate:", 12, ip, sizeof(ip)), 0);
	ck_assert_uint_eq(ip_of("a=candidate:1 1 udp\r\n", 21, ip, sizeof(ip)), 0);
	{
		char line[300];

		memset(line, 'x', sizeof(line));
		memcpy(line, "a=candidate:", 12);
		ck_assert_uint_eq(ip_of(line, sizeof(line), ip, sizeof(ip)), 0);
	}
	ck_assert_uint_eq(ip_of(offer, n, ip, 5), 0);
	ck_assert_uint_eq(ip_of(offer, n, ip, 0), 0);
}
END_TEST

START_TEST(test_relay_pattern)
{
	ck_assert_int_eq(peerp_relay_allowed("^snowflake.torproject.net$", "snowflake.torproject.net"), 1);
	ck_assert_int_eq(peerp_relay_allowed("^snowflake.torproject.net$", "x.snowflake.torproject.net"), 0);
	ck_assert_int_eq(peerp_relay_allowed("snowflake.torproject.net$", "x.snowflake.torproject.net"), 1);
	ck_assert_int_eq(peerp_relay_allowed("torproject.net", "Snowflake.TorProject.net"), 1);
	ck_assert_int_eq(peerp_relay_allowed("^127.0.0.2$", "127.0.0.1"), 0);
	ck_assert_int_eq(peerp_relay_allowed("^127.0.0.2$", "127.0.0.2"), 1);
	ck_assert_int_eq(peerp_relay_allowed("^$", "a"), 0);
	ck_assert_int_eq(peerp_relay_allowed("", ""), 0);
	ck_assert_int_eq(peerp_relay_allowed("long.example.net$", "net"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("peerp");
	TCase *tc = tcase_create("peerp");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_client_ip);
	tcase_add_test(tc, test_relay_pattern);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
