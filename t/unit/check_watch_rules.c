/* SPDX-License-Identifier: MIT */
/*
 * egress/watch_rules: defaults, the rules file (keys, on/off, comments,
 * every error with its line number), format → parse round trip, and
 * each rule's threshold edge in evaluation.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "peerconn-watch/watch_rules.h"

static struct watch_rules r;
static char err[256];

static int
parse(const char *text)
{
	watch_rules_default(&r);
	err[0] = '\0';
	return watch_rules_parse(text, strlen(text), &r, err, sizeof(err));
}

START_TEST(test_defaults)
{
	int i;

	watch_rules_default(&r);
	for (i = 0; i < WATCH_RULE_COUNT; i++)
		ck_assert(r.enabled[i]);
	ck_assert_uint_eq(r.smtp_accepts, 20);
	ck_assert_uint_eq(r.scan_ports, 20);
	ck_assert_int_eq(r.short_us, 5000000);
	ck_assert_str_eq(watch_rule_name(WATCH_RULE_DNSTUNNEL), "dnstunnel");
}
END_TEST

START_TEST(test_parse_good)
{
	ck_assert_int_eq(parse("# comment\n\n  scan hosts=5 ports=0\tbytes=10 # tail\r\n"
	                       "credstuff short=0.25 streams=7\nrate off\nsmtp accepts=3"), 0);
	ck_assert_uint_eq(r.scan_hosts, 5);
	ck_assert_uint_eq(r.scan_ports, 0);
	ck_assert_uint_eq(r.scan_bytes, 10);
	ck_assert_int_eq(r.short_us, 250000);
	ck_assert_uint_eq(r.cred_streams, 7);
	ck_assert_uint_eq(r.cred_hosts, 3);
	ck_assert(!r.enabled[WATCH_RULE_RATE]);
	ck_assert(r.enabled[WATCH_RULE_SCAN]);
	ck_assert_uint_eq(r.smtp_accepts, 3);
	ck_assert_int_eq(parse("rate off on"), 0);
	ck_assert(r.enabled[WATCH_RULE_RATE]);
	ck_assert_int_eq(parse(""), 0);
}
END_TEST

static const struct {
	const char *text, *err;
} bad[] = {
	{ "scann hosts=1", "line 1: unknown rule 'scann'" },
	{ "\nscan host=1", "line 2: rule scan has no key 'host'" },
	{ "scan hosts", "line 1: 'hosts' is not KEY=VALUE" },
	{ "scan hosts=-1", "line 1: hosts: bad number '-1' (0-1000000000)" },
	{ "smtp accepts=0", "line 1: accepts: bad number '0' (1-1000000000)" },
	{ "smtp accepts=1x", "line 1: accepts: bad number '1x' (1-1000000000)" },
	{ "credstuff short=0", "line 1: short: bad number of seconds '0'" },
	{ "credstuff short=86401", "line 1: short: bad number of seconds '86401'" },
	{ "rate accepts=1000000001", "line 1: accepts: bad number '1000000001' (1-1000000000)" },
	{ "smtp streams=1", "line 1: rule smtp has no key 'streams'" },
};

START_TEST(test_parse_bad)
{
	ck_assert_int_eq(parse(bad[_i].text), -1);
	ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

START_TEST(test_parse_limits)
{
	static char big[WATCH_RULES_FILE_MAX + 2];

	memset(big, '#', sizeof(big) - 1);
	ck_assert_int_eq(parse(big), -1);
	memset(big, ' ', WATCH_RULES_LINE_MAX + 1);
	big[WATCH_RULES_LINE_MAX + 1] = '\0';
	ck_assert_int_eq(parse(big), -1);
	ck_assert_str_eq(err, "line 1: too long");
	big[WATCH_RULES_LINE_MAX] = '\0';
	ck_assert_int_eq(parse(big), 0);
	watch_rules_default(&r);
	ck_assert_int_eq(watch_rules_parse("rate\0 off", 9, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 1: NUL byte");
}
END_TEST

START_TEST(test_format_roundtrip)
{
	struct watch_rules a, b;
	char text[2048];
	int n;

	ck_assert_int_eq(parse("scan off hosts=9\ncredstuff short=1.5"), 0);
	a = r;
	n = watch_rules_format(&a, text, sizeof(text));
	ck_assert_int_gt(n, 0);
	ck_assert(strstr(text, "scan hosts=9 ports=20 bytes=1024 off\n") != NULL);
	ck_assert(strstr(text, "short=1.500") != NULL);
	watch_rules_default(&b);
	ck_assert_int_eq(watch_rules_parse(text, (size_t)n, &b, err, sizeof(err)), 0);
	ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
	ck_assert_int_eq(watch_rules_format(&a, text, 20), -1);
}
END_TEST

START_TEST(test_eval_edges)
{
	struct watch_agg a;
	struct watch_fig figs[WATCH_FIGS_MAX];

	watch_rules_default(&r);
	memset(&a, 0, sizeof(a));
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 0);
	a.smtp = 19;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 0);
	a.smtp = 20;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 1u << WATCH_RULE_SMTP);
	memset(&a, 0, sizeof(a));
	a.short_https = 100;
	a.https_hosts = 4;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 0);
	a.https_hosts = 3;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 1u << WATCH_RULE_CREDSTUFF);
	memset(&a, 0, sizeof(a));
	a.dns_bytes = 5000000;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 1u << WATCH_RULE_DNSTUNNEL);
	r.dns_bytes = 0; /* that half no longer checked */
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 0);
	memset(&a, 0, sizeof(a));
	a.ports = 20;
	a.closes = 10;
	a.bytes = 10 * 1024;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 1u << WATCH_RULE_SCAN);
	a.bytes++;
	a.bytes += 10;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 0);
	ck_assert_uint_eq(watch_rules_evidence(WATCH_RULE_SCAN, &a, figs), 4);
	ck_assert_str_eq(figs[3].name, "avg_bytes");
	ck_assert_uint_eq(figs[3].value, 1025);
	memset(&a, 0, sizeof(a));
	a.accepts = 1000;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 1u << WATCH_RULE_RATE);
	r.enabled[WATCH_RULE_RATE] = 0;
	ck_assert_uint_eq(watch_rules_eval(&r, &a), 0);
}
END_TEST

static Suite *
watch_rules_suite(void)
{
	Suite *s = suite_create("watch_rules");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_parse_good);
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_format_roundtrip);
	tcase_add_test(tc, test_eval_edges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(watch_rules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
