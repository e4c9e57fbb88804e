/* SPDX-License-Identifier: MIT */
/*
 * Endpoint syntax: accepted forms and their canonical text, every
 * rejection with the reason an operator would see, options, the length
 * limits of endpoint.h at and one past the edge, and parse/format
 * round trips.
 */
#include "net/endpoint.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *in;
	enum endpoint_kind kind;
	const char *host;
	int v6;
	unsigned port;
	const char *path;
	const char *canon;
} good[] = {
	{ "tcp:127.0.0.1:8080", EP_TCP, "127.0.0.1", 0, 8080, "", "tcp:127.0.0.1:8080" },
	{ "tcp:[::1]:0", EP_TCP, "::1", 1, 0, "", "tcp:[::1]:0" },
	{ "tcp:[::ffff:1.2.3.4]:1", EP_TCP, "::ffff:1.2.3.4", 1, 1, "", "tcp:[::ffff:1.2.3.4]:1" },
	{ "tcp:example.com:443", EP_TCP, "example.com", 0, 443, "", "tcp:example.com:443" },
	{ "tcp:my_host-1.lan:65535", EP_TCP, "my_host-1.lan", 0, 65535, "",
		"tcp:my_host-1.lan:65535" },
	{ "tcp:h:007", EP_TCP, "h", 0, 7, "", "tcp:h:7" },
	{ "udp:192.0.2.1:3478", EP_UDP, "192.0.2.1", 0, 3478, "", "udp:192.0.2.1:3478" },
	{ "udp:[2001:db8::1]:3478", EP_UDP, "2001:db8::1", 1, 3478, "", "udp:[2001:db8::1]:3478" },
	{ "unix:/run/pw/egress.sock", EP_UNIX, "", 0, 0, "/run/pw/egress.sock",
		"unix:/run/pw/egress.sock" },
	{ "unix:rel.sock", EP_UNIX, "", 0, 0, "rel.sock", "unix:rel.sock" },
	{ "ws://example.com/path", EP_WS, "example.com", 0, 80, "/path", "ws://example.com:80/path" },
	{ "ws://example.com", EP_WS, "example.com", 0, 80, "/", "ws://example.com:80/" },
	{ "ws://127.0.0.1:0/", EP_WS, "127.0.0.1", 0, 0, "/", "ws://127.0.0.1:0/" },
	{ "wss://h", EP_WSS, "h", 0, 443, "/", "wss://h:443/" },
	{ "wss://[2001:db8::1]:8443/x?y=1&z=%20", EP_WSS, "2001:db8::1", 1, 8443, "/x?y=1&z=%20",
		"wss://[2001:db8::1]:8443/x?y=1&z=%20" },
	{ "wss://[::1]", EP_WSS, "::1", 1, 443, "/", "wss://[::1]:443/" },
	{ "-", EP_STDIO, "", 0, 0, "", "-" },
};

static const struct {
	const char *in;
	const char *why; /* a substring of the error text */
} bad[] = {
	{ "", "unknown endpoint" },
	{ "tcp", "unknown endpoint" },
	{ "TCP:1.2.3.4:1", "unknown endpoint" },
	{ "http://example.com/", "unknown endpoint" },
	{ "--", "unknown endpoint" },
	{ " tcp:h:1", "unknown endpoint" },
	{ "tcp:", "missing host" },
	{ "tcp::80", "missing host" },
	{ "tcp:host", "missing port" },
	{ "tcp:host:", "bad port" },
	{ "tcp:host:65536", "bad port" },
	{ "tcp:host:99999", "bad port" },
	{ "tcp:host:000080", "bad port" },
	{ "tcp:host:-1", "bad port" },
	{ "tcp:host:+1", "bad port" },
	{ "tcp:host:0x50", "bad port" },
	{ "tcp:host:8 0", "bad port" },
	{ "tcp:host:http", "bad port" },
	{ "tcp:::1:80", "IPv6 address must be in brackets" },
	{ "tcp:2001:db8::1:80", "IPv6 address must be in brackets" },
	{ "tcp:[::1]80", "expected ':' after ']'" },
	{ "tcp:[::1]", "missing port" },
	{ "tcp:[::1", "missing ']'" },
	{ "tcp:[]:80", "missing host" },
	{ "tcp:[zz]:80", "bad IPv6" },
	{ "tcp:[1.2.3.4]:80", "bad IPv6" },
	{ "tcp:[fe80::1%eth0]:80", "bad IPv6" },
	{ "tcp:1.2.3.256:80", "bad IPv4" },
	{ "tcp:1.2.3:80", "bad IPv4" },
	{ "tcp:ho st:80", "bad character in host" },
	{ "tcp:user@h:80", "bad character in host" },
	{ "tcp:h/x:80", "bad character in host" },
	{ "udp:h", "missing port" },
	{ "unix:", "missing UNIX socket path" },
	{ "ws://", "missing host" },
	{ "ws:///path", "missing host" },
	{ "ws://h:/", "bad port" },
	{ "ws://h:70000/", "bad port" },
	{ "ws://user@h/", "bad character in host" },
	{ "ws://h/pa th", "bad character in URL path" },
	{ "ws://h/\x7f", "bad character in URL path" },
	{ "wss://::1/", "IPv6 address must be in brackets" },
	{ "tcp:h:1,", "empty option" },
	{ "tcp:h:1,,trusted", "empty option" },
	{ "tcp:h:1,=v", "empty option" },
	{ "tcp:h:1,Trusted", "bad character in option name" },
	{ "tcp:h:1,a b", "bad character in option name" },
	{ "tcp:h:1,trusted,trusted", "given twice" },
	{ "tcp:h:1,a=1,a=2", "given twice" },
	{ "tcp:h:1,a,b,c,d,e,f,g,h,i", "more than 8 options" },
	{ "-,", "empty option" },
};

START_TEST(test_good)
{
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct endpoint ep, ep2;
		char err[128], out[ENDPOINT_STR_MAX + 1];

		ck_assert_msg(endpoint_parse(good[i].in, &ep, err, sizeof(err)) == 0, "%s: %s",
		    good[i].in, err);
		ck_assert_str_eq(err, "");
		ck_assert_int_eq(ep.kind, good[i].kind);
		ck_assert_str_eq(ep.host, good[i].host);
		ck_assert_int_eq(ep.host_is_v6, good[i].v6);
		ck_assert_uint_eq(ep.port, good[i].port);
		ck_assert_str_eq(ep.path, good[i].path);
		ck_assert_uint_eq(ep.nopts, 0);
		ck_assert_int_eq(endpoint_format(&ep, out, sizeof(out)), 0);
		ck_assert_str_eq(out, good[i].canon);
		/* The canonical form is a fixed point. */
		ck_assert_int_eq(endpoint_parse(out, &ep2, err, sizeof(err)), 0);
		ck_assert_int_eq(memcmp(&ep, &ep2, sizeof(ep)), 0);
		/* Exactly enough room, then one byte less. */
		ck_assert_int_eq(endpoint_format(&ep, out, strlen(good[i].canon) + 1), 0);
		ck_assert_int_eq(endpoint_format(&ep, out, strlen(good[i].canon)), -1);
	}
}
END_TEST

START_TEST(test_bad)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct endpoint ep;
		char err[128];

		ck_assert_msg(endpoint_parse(bad[i].in, &ep, err, sizeof(err)) == -1, "%s accepted",
		    bad[i].in);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: \"%s\", want \"%s\"",
		    bad[i].in, err, bad[i].why);
	}
}
END_TEST

/* Every prefix of every accepted string is either accepted or refused cleanly. */
START_TEST(test_truncated)
{
	size_t i, j;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n = strlen(good[i].in);

		for (j = 0; j < n; j++) {
			char s[128], err[128];
			struct endpoint ep;
			int r;

			memcpy(s, good[i].in, j);
			s[j] = '\0';
			r = endpoint_parse(s, &ep, err, sizeof(err));
			ck_assert(r == 0 || r == -1);
			ck_assert(r == 0 ? err[0] == '\0' : err[0] != '\0');
		}
	}
}
END_TEST

START_TEST(test_options)
{
	struct endpoint ep;
	const struct endpoint_opt *o;
	char err[128];

	ck_assert_int_eq(endpoint_parse("tcp:1.2.3.4:80,trusted", &ep, err, sizeof(err)), 0);
	ck_assert_uint_eq(ep.nopts, 1);
	o = endpoint_opt(&ep, "trusted");
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->has_val, 0);
	ck_assert_str_eq(o->val, "");
	ck_assert_ptr_null(endpoint_opt(&ep, "trust"));
	ck_assert_uint_eq(ep.port, 80);

	ck_assert_int_eq(endpoint_parse("unix:/x,trusted,mode=0600,empty=,u=a=b:c/d", &ep, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(ep.path, "/x");
	ck_assert_uint_eq(ep.nopts, 4);
	ck_assert_str_eq(endpoint_opt(&ep, "mode")->val, "0600");
	ck_assert_int_eq(endpoint_opt(&ep, "mode")->has_val, 1);
	ck_assert_str_eq(endpoint_opt(&ep, "empty")->val, "");
	ck_assert_int_eq(endpoint_opt(&ep, "empty")->has_val, 1);
	ck_assert_str_eq(endpoint_opt(&ep, "u")->val, "a=b:c/d");

	ck_assert_int_eq(endpoint_parse("-,k=v", &ep, err, sizeof(err)), 0);
	ck_assert_int_eq(ep.kind, EP_STDIO);
	ck_assert_str_eq(endpoint_opt(&ep, "k")->val, "v");

	/* Options do not change the canonical text. */
	{
		char out[64];

		ck_assert_int_eq(endpoint_parse("ws://h:81/p,trusted", &ep, err, sizeof(err)), 0);
		ck_assert_int_eq(endpoint_format(&ep, out, sizeof(out)), 0);
		ck_assert_str_eq(out, "ws://h:81/p");
	}
	ck_assert_int_eq(endpoint_parse("tcp:h:1,a,b,c,d,e,f,g,h", &ep, err, sizeof(err)), 0);
	ck_assert_uint_eq(ep.nopts, ENDPOINT_OPTS_MAX);
}
END_TEST

/* s = pfx + n copies of c + sfx */
static void
fill(char *s, const char *pfx, char c, size_t n, const char *sfx)
{
	size_t l = strlen(pfx);

	memcpy(s, pfx, l);
	memset(s + l, c, n);
	strcpy(s + l + n, sfx);
}

START_TEST(test_limits)
{
	static char s[ENDPOINT_STR_MAX + 64];
	struct endpoint ep;
	char err[128], c;

	fill(s, "tcp:", 'a', ENDPOINT_HOST_MAX, ":1");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(ep.host), ENDPOINT_HOST_MAX);
	fill(s, "tcp:", 'a', ENDPOINT_HOST_MAX + 1, ":1");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "host longer than 255"));

	fill(s, "unix:/", 'p', ENDPOINT_UNIX_MAX - 1, "");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(ep.path), ENDPOINT_UNIX_MAX);
	fill(s, "unix:/", 'p', ENDPOINT_UNIX_MAX, "");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 107"));

	fill(s, "ws://h/", 'p', ENDPOINT_PATH_MAX - 1, "");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(ep.path), ENDPOINT_PATH_MAX);
	fill(s, "ws://h/", 'p', ENDPOINT_PATH_MAX, "");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 512"));

	fill(s, "-,", 'k', ENDPOINT_OPTKEY_MAX, "=v");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), 0);
	fill(s, "-,", 'k', ENDPOINT_OPTKEY_MAX + 1, "=v");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "option name longer"));

	fill(s, "-,k=", 'v', ENDPOINT_OPTVAL_MAX, "");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(ep.opts[0].val), ENDPOINT_OPTVAL_MAX);
	fill(s, "-,k=", 'v', ENDPOINT_OPTVAL_MAX + 1, "");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "option value longer"));

	/* The whole string: ENDPOINT_STR_MAX is fine, one more is not. */
	strcpy(s, "-");
	for (c = 'a'; c <= 'e'; c++)
		fill(s + strlen(s), (char[]){ ',', c, '=', '\0' }, 'v', 200, "");
	fill(s + strlen(s), "", 'v', ENDPOINT_STR_MAX - strlen(s) - 1, "");
	ck_assert_uint_eq(strlen(s), ENDPOINT_STR_MAX - 1);
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), 0);
	strcat(s, "v");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), 0);
	strcat(s, "v");
	ck_assert_int_eq(endpoint_parse(s, &ep, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 1024"));
}
END_TEST

START_TEST(test_err_buffer)
{
	struct endpoint ep;
	char err[6];

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(endpoint_parse("tcp:host", &ep, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "missi");
	ck_assert_int_eq(endpoint_parse("tcp:host", &ep, NULL, 0), -1);
	ck_assert_int_eq(endpoint_parse("tcp:h:1", &ep, NULL, 0), 0);
	ck_assert_int_eq(endpoint_parse(NULL, &ep, err, sizeof(err)), -1);

	memset(&ep, 0, sizeof(ep));
	ck_assert_int_eq(endpoint_format(&ep, err, sizeof(err)), -1);
}
END_TEST

static Suite *
endpoint_suite(void)
{
	Suite *s = suite_create("endpoint");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_err_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(endpoint_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
