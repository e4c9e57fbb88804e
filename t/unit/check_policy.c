/* SPDX-License-Identifier: MIT */
/*
 * egress/policy: the default deny list (every range, its edges, the
 * IPv4-mapped, NAT64 and 6to4 spellings), port 25, rule syntax, the
 * later-wins order, and malformed rules.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egress/policy.h"

static struct policy pol;

/* 1/0 verdict for a textual address (v4 or v6) and port. */
static int
allows(const char *addr, unsigned port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		return policy_allows_sa(&pol, (struct sockaddr *)&sin);
	}
	ck_assert_msg(inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1, "bad test address %s", addr);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	return policy_allows_sa(&pol, (struct sockaddr *)&sin6);
}

static void
add(const char *rule, int allow)
{
	struct policy_rule r;
	char err[128];

	ck_assert_msg(policy_parse_rule(rule, allow, &r, err, sizeof(err)) == 0, "%s: %s", rule, err);
	ck_assert_int_eq(policy_add(&pol, &r), 0);
}

static void
setup(void)
{
	policy_init(&pol);
}

/* Each default IPv4 range: first, last, and the neighbours outside it. */
static const struct {
	const char *in_lo, *in_hi, *out_lo, *out_hi;
} v4ranges[] = {
	{ "0.0.0.0", "0.255.255.255", NULL, "1.0.0.0" },
	{ "127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0" },
	{ "10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0" },
	{ "172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0" },
	{ "192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0" },
	{ "100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0" },
	{ "169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0" },
	{ "224.0.0.0", "239.255.255.255", "223.255.255.255", NULL },
	{ "240.0.0.0", "255.255.255.255", NULL, NULL },
};

START_TEST(test_default_v4)
{
	size_t i;

	for (i = 0; i < sizeof(v4ranges) / sizeof(v4ranges[0]); i++) {
		ck_assert_msg(!allows(v4ranges[i].in_lo, 443), "%s", v4ranges[i].in_lo);
		ck_assert_msg(!allows(v4ranges[i].in_hi, 443), "%s", v4ranges[i].in_hi);
		if (v4ranges[i].out_lo)
			ck_assert_msg(allows(v4ranges[i].out_lo, 443), "%s", v4ranges[i].out_lo);
		if (v4ranges[i].out_hi)
			ck_assert_msg(allows(v4ranges[i].out_hi, 443), "%s", v4ranges[i].out_hi);
	}
	ck_assert(!allows("169.254.169.254", 80)); /* cloud metadata */
	ck_assert(allows("93.184.216.34", 80));
	ck_assert(allows("8.8.8.8", 53));
}
END_TEST

START_TEST(test_default_mapped)
{
	char a[64];
	size_t i;

	for (i = 0; i < sizeof(v4ranges) / sizeof(v4ranges[0]); i++) {
		snprintf(a, sizeof(a), "::ffff:%s", v4ranges[i].in_lo);
		ck_assert_msg(!allows(a, 443), "%s", a);
		snprintf(a, sizeof(a), "::ffff:%s", v4ranges[i].in_hi);
		ck_assert_msg(!allows(a, 443), "%s", a);
		if (v4ranges[i].out_hi) {
			snprintf(a, sizeof(a), "::ffff:%s", v4ranges[i].out_hi);
			ck_assert_msg(allows(a, 443), "%s", a);
		}
	}
	ck_assert(allows("::ffff:93.184.216.34", 80));
}
END_TEST

START_TEST(test_default_nat64_6to4)
{
	ck_assert(!allows("64:ff9b::7f00:1", 80));     /* 127.0.0.1 */
	ck_assert(!allows("64:ff9b::a9fe:a9fe", 80));  /* 169.254.169.254 */
	ck_assert(!allows("64:ff9b::c0a8:101", 80));   /* 192.168.1.1 */
	ck_assert(allows("64:ff9b::5db8:d822", 80));   /* 93.184.216.34 */
	ck_assert(!allows("2002:7f00:1::1", 80));      /* 127.0.0.1 */
	ck_assert(!allows("2002:a00:1:2::3", 80));     /* 10.0.1.0 */
	ck_assert(!allows("2002:ac1f:ffff::", 80));    /* 172.31.255.255 */
	ck_assert(allows("2002:ac20::1", 80));         /* 172.32.0.0 */
	ck_assert(allows("2002:5db8:d822::1", 80));
	ck_assert(!allows("64:ff9b:1::5db8:d822", 80)); /* local-use NAT64 */
}
END_TEST

START_TEST(test_default_v6)
{
	ck_assert(!allows("::", 80));
	ck_assert(!allows("::1", 80));
	ck_assert(!allows("::127.0.0.1", 80));
	ck_assert(!allows("fc00::", 80));
	ck_assert(!allows("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(!allows("fd00:ec2::254", 80));
	ck_assert(allows("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(allows("fe00::", 80));
	ck_assert(!allows("fe80::1", 80));
	ck_assert(!allows("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(allows("fec0::", 80));
	ck_assert(!allows("ff00::", 80));
	ck_assert(!allows("ff02::1", 80));
	ck_assert(!allows("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 80));
	ck_assert(allows("2606:2800:220:1:248:1893:25c8:1946", 443));
	ck_assert(allows("::1:0:0:1", 80));
}
END_TEST

START_TEST(test_default_port25)
{
	ck_assert(!allows("93.184.216.34", 25));
	ck_assert(!allows("2606:2800:220:1:248:1893:25c8:1946", 25));
	ck_assert(!allows("::ffff:93.184.216.34", 25));
	ck_assert(allows("93.184.216.34", 24));
	ck_assert(allows("93.184.216.34", 26));
	ck_assert(allows("93.184.216.34", 587));
}
END_TEST

START_TEST(test_other_family)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert_int_eq(policy_allows_sa(&pol, &sa), 0);
}
END_TEST

START_TEST(test_rule_port)
{
	add("127.0.0.1:8080", 1);
	ck_assert(allows("127.0.0.1", 8080));
	ck_assert(!allows("127.0.0.1", 8081));
	ck_assert(!allows("127.0.0.2", 8080));
	ck_assert(allows("::ffff:127.0.0.1", 8080));
	add("[::1]/128:80", 1);
	ck_assert(allows("::1", 80));
	ck_assert(!allows("::1", 81));
	add("[::1]:443", 1);
	ck_assert(allows("::1", 443));
}
END_TEST

START_TEST(test_rule_range)
{
	add("10.1.0.0/16:8000-8999", 1);
	ck_assert(!allows("10.1.2.3", 7999));
	ck_assert(allows("10.1.2.3", 8000));
	ck_assert(allows("10.1.2.3", 8500));
	ck_assert(allows("10.1.2.3", 8999));
	ck_assert(!allows("10.1.2.3", 9000));
	ck_assert(!allows("10.2.2.3", 8500));
	add("[fd00::]/8:1-65535", 1);
	ck_assert(allows("fd12::1", 1));
	ck_assert(allows("fd12::1", 65535));
	ck_assert(!allows("fc12::1", 80));
}
END_TEST

START_TEST(test_later_wins)
{
	add("8.8.8.0/24", 0);
	ck_assert(!allows("8.8.8.8", 53));
	ck_assert(allows("8.8.4.4", 53));
	add("8.8.8.8", 1);
	ck_assert(allows("8.8.8.8", 53));
	ck_assert(!allows("8.8.8.9", 53));
	add("8.8.8.8:53", 0);
	ck_assert(!allows("8.8.8.8", 53));
	ck_assert(allows("8.8.8.8", 443));
	/* A rule overrides the port-25 default, and a later deny wins again. */
	add("*:25", 1);
	ck_assert(allows("93.184.216.34", 25));
	ck_assert(!allows("10.0.0.1", 80));
	add("0.0.0.0/0", 0);
	ck_assert(!allows("93.184.216.34", 443));
	ck_assert(allows("2606:2800:220:1:248:1893:25c8:1946", 443));
	add("*", 0);
	ck_assert(!allows("2606:2800:220:1:248:1893:25c8:1946", 443));
	add("[::]/0:443", 1);
	ck_assert(allows("93.184.216.34", 443));
	ck_assert(allows("::1", 443));
	ck_assert(!allows("::1", 444));
}
END_TEST

START_TEST(test_allow_everything_private)
{
	add("10.0.0.0/8", 1);
	ck_assert(allows("10.9.8.7", 80));
	/* Later wins over every default, the port-25 one included... */
	ck_assert(allows("10.9.8.7", 25));
	ck_assert(allows("::ffff:10.9.8.7", 80));
	/* ...until SMTP is denied again after it. */
	add("*:25", 0);
	ck_assert(!allows("10.9.8.7", 25));
	ck_assert(allows("10.9.8.7", 80));
	/* The NAT64 form is a different address: still denied. */
	ck_assert(!allows("64:ff9b::a09:807", 80));
}
END_TEST

static const char *good_rules[] = {
	"1.2.3.4",         "1.2.3.4/32",      "1.2.3.0/24",    "0.0.0.0/0",
	"1.2.3.4:1",       "1.2.3.4:65535",   "1.2.3.0/24:80", "1.2.3.0/24:80-80",
	"1.2.3.0/24:1-65535", "::1",          "::1/128",       "fe80::/10",
	"[::1]",           "[::1]/128",       "[::1]:80",      "[::1]/128:80",
	"[2001:db8::]/32:1000-2000", "*",    "*:25",          "*:25-26",
	"[::ffff:10.0.0.0]/104", "[::]/0",    "::",
};

START_TEST(test_parse_good)
{
	struct policy_rule r, r2;
	char err[128], txt[POLICY_RULE_STR_MAX];

	ck_assert_msg(policy_parse_rule(good_rules[_i], 1, &r, err, sizeof(err)) == 0, "%s: %s",
	              good_rules[_i], err);
	/* Formatting reads back to the same rule. */
	ck_assert_int_eq(policy_rule_format(&r, txt, sizeof(txt)), 0);
	ck_assert_msg(policy_parse_rule(txt, 1, &r2, err, sizeof(err)) == 0, "%s: %s", txt, err);
	ck_assert_msg(memcmp(&r, &r2, sizeof(r)) == 0, "%s -> %s", good_rules[_i], txt);
}
END_TEST

START_TEST(test_parse_values)
{
	struct policy_rule r;
	char txt[POLICY_RULE_STR_MAX];

	ck_assert_int_eq(policy_parse_rule("10.0.0.0/8:80-90", 1, &r, NULL, 0), 0);
	ck_assert_int_eq(r.plen, 104);
	ck_assert_int_eq(r.lo, 80);
	ck_assert_int_eq(r.hi, 90);
	ck_assert_int_eq(r.allow, 1);
	policy_rule_format(&r, txt, sizeof(txt));
	ck_assert_str_eq(txt, "10.0.0.0/8:80-90");
	ck_assert_int_eq(policy_parse_rule("[::1]:80", 0, &r, NULL, 0), 0);
	ck_assert_int_eq(r.plen, 128);
	ck_assert_int_eq(r.allow, 0);
	policy_rule_format(&r, txt, sizeof(txt));
	ck_assert_str_eq(txt, "[::1]/128:80");
	ck_assert_int_eq(policy_parse_rule("*", 0, &r, NULL, 0), 0);
	ck_assert_int_eq(r.plen, 0);
	ck_assert_int_eq(r.lo, 0);
	ck_assert_int_eq(r.hi, 65535);
	ck_assert_int_eq(policy_rule_format(&r, txt, 4), -1);
}
END_TEST

static const char *bad_rules[] = {
	"",                  /* empty */
	"garbage",           "1.2.3",            "1.2.3.4.5",         "256.1.1.1",
	"1.2.3.4/33",        /* bad prefix length */
	"1.2.3.4/",          "1.2.3.4/-1",       "1.2.3.4/x",         "1.2.3.4/8",  /* host bits */
	"::1/129",           "[::1]/129:80",     "fe80::1/10",        "[::1]/",
	"1.2.3.4:0",         /* port 0 */
	"1.2.3.4:65536",     "1.2.3.4:99999999999999999999", "1.2.3.4:",   "1.2.3.4:x",
	"1.2.3.4:-5",        "1.2.3.4:80-",      "1.2.3.4:-",         "1.2.3.4:0-10",
	"1.2.3.4:10-65536",  "1.2.3.4:90-80",    /* low > high */
	"1.2.3.4:1-2-3",     "1.2.3.4:80:90",    "[::1",              "[::1]x",
	"[::1]:",            "[1.2.3.4]",        "[]",                "[]:80",
	"*/0",               "*x",               "[*]",               "* ",
	" 1.2.3.4",          "1.2.3.4 ",         "::1:80:",           "1.2.3.4/08x",
	"1.2.3.4:+80",       "01.2.3.4",
	"12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345",
};

START_TEST(test_parse_bad)
{
	struct policy_rule r;
	char err[128];

	ck_assert_msg(policy_parse_rule(bad_rules[_i], 1, &r, err, sizeof(err)) == -1, "accepted '%s'",
	              bad_rules[_i]);
	ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad_rules[_i]);
}
END_TEST

START_TEST(test_full)
{
	struct policy_rule r;

	ck_assert_int_eq(policy_parse_rule("1.2.3.4", 1, &r, NULL, 0), 0);
	while (pol.n < POLICY_RULES_MAX)
		ck_assert_int_eq(policy_add(&pol, &r), 0);
	ck_assert_int_eq(policy_add(&pol, &r), -1);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("defaults");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_default_v4);
	tcase_add_test(tc, test_default_mapped);
	tcase_add_test(tc, test_default_nat64_6to4);
	tcase_add_test(tc, test_default_v6);
	tcase_add_test(tc, test_default_port25);
	tcase_add_test(tc, test_other_family);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_rule_port);
	tcase_add_test(tc, test_rule_range);
	tcase_add_test(tc, test_later_wins);
	tcase_add_test(tc, test_allow_everything_private);
	tcase_add_test(tc, test_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_good, 0, (int)(sizeof(good_rules) / sizeof(good_rules[0])));
	tcase_add_test(tc, test_parse_values);
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)(sizeof(bad_rules) / sizeof(bad_rules[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
