/* SPDX-License-Identifier: MIT */
/*
 * The TURN credentials file (stun/turncred): good lines in every
 * spelling, each refusal, a file fed one byte at a time and glued lines,
 * the line limit, and lookups in a file (own line, the turn: line a
 * turns: server follows, missing, a bad line anywhere fails the file).
 */
#include "stun/turncred.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t
line(const char *s, struct turncred *c, char *err, size_t errlen)
{
	return turncred_line((const uint8_t *)s, strlen(s), c, err, errlen);
}

START_TEST(test_good)
{
	struct turncred c;
	char err[128];

	ck_assert_int_eq(line("turn:127.0.0.1:3478 1700000000:lanc cGFzcw==\n", &c, err, sizeof(err)), 45);
	ck_assert(!c.blank && c.uri.turn && c.uri.transport == STUN_URI_UDP && c.uri.port == 3478);
	ck_assert_str_eq(c.uri.host, "127.0.0.1");
	ck_assert_str_eq(c.user, "1700000000:lanc");
	ck_assert_str_eq(c.pass, "cGFzcw==");
	/* Tabs and runs of blanks, CRLF, default port, turns:, ?transport=tcp, IPv6. */
	ck_assert_int_gt(line("  turns:h.example\t u \t p \r\n", &c, err, sizeof(err)), 0);
	ck_assert(c.uri.transport == STUN_URI_TLS && c.uri.port == 5349);
	ck_assert_str_eq(c.user, "u");
	ck_assert_str_eq(c.pass, "p");
	ck_assert_int_gt(line("TURN:[::1]:9?transport=tcp u p\n", &c, err, sizeof(err)), 0);
	ck_assert(c.uri.transport == STUN_URI_TCP && c.uri.host_is_v6 && c.uri.port == 9);
	/* Blank and comment lines. */
	ck_assert_int_eq(line("\n", &c, err, sizeof(err)), 1);
	ck_assert(c.blank);
	ck_assert_int_eq(line(" \t\r\n", &c, err, sizeof(err)), 4);
	ck_assert(c.blank);
	ck_assert_int_eq(line("# turn:x u p\n", &c, err, sizeof(err)), 13);
	ck_assert(c.blank);
}
END_TEST

START_TEST(test_bad)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "stun:h u p\n", "turn: or turns:" },
		{ "http://h u p\n", "bad server" },
		{ "turn:h\n", "no username" },
		{ "turn:h u\n", "no password" },
		{ "turn:h u p extra\n", "more than three" },
		{ "turn:h:0 u p\n", "bad server" },
		{ "turn:h u\x01x p\n", "bad username" },
		{ "turn:h u p\x7f\n", "bad password" },
		{ "turn:h u p\xc3\xa9\n", "bad password" },
		{ "turn:u@h u p\n", "bad server" },
	};
	struct turncred c;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(line(bad[i].in, &c, err, sizeof(err)) == -1, "%s", bad[i].in);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: %s", bad[i].in, err);
		ck_assert(c.user[0] == '\0' && c.pass[0] == '\0');
	}
	/* Too long: a username over STUN_USERNAME_MAX, a line over the limit. */
	char *big = malloc(TURNCRED_LINE_MAX + 8);
	memcpy(big, "turn:h ", 7);
	memset(big + 7, 'u', STUN_USERNAME_MAX + 1);
	strcpy(big + 7 + STUN_USERNAME_MAX + 1, " p\n");
	ck_assert_int_eq(line(big, &c, err, sizeof(err)), -1);
	ck_assert(strstr(err, "bad username") != NULL);
	memset(big, 'x', TURNCRED_LINE_MAX + 4);
	big[TURNCRED_LINE_MAX + 4] = '\0';
	ck_assert_int_eq(line(big, &c, err, sizeof(err)), -1);
	ck_assert(strstr(err, "longer than") != NULL);
	/* Under the limit without a newline: need more. */
	big[TURNCRED_LINE_MAX - 1] = '\0';
	ck_assert_int_eq(line(big, &c, err, sizeof(err)), 0);
	free(big);
}
END_TEST

START_TEST(test_drip_glued)
{
	static const char file[] = "# fleet\nturn:a u1 p1\r\n\nturns:a:5349 u2 p2\nturn:b:1 u3 p3\n";
	const uint8_t *p = (const uint8_t *)file;
	size_t n = strlen(file), off = 0, k, lines = 0;
	struct turncred c;
	char err[128];
	ssize_t r;

	/* Glued: one call per line, each consuming exactly its line. */
	while (off < n) {
		r = turncred_line(p + off, n - off, &c, err, sizeof(err));
		ck_assert_int_gt(r, 0);
		off += (size_t)r;
		lines += !c.blank;
	}
	ck_assert_uint_eq(lines, 3);
	ck_assert_str_eq(c.user, "u3");
	/* Drip: offered one more byte at a time, need-more until the newline. */
	off = 0;
	lines = 0;
	while (off < n) {
		for (k = 1; (r = turncred_line(p + off, k, &c, err, sizeof(err))) == 0; k++)
			ck_assert_uint_lt(k, n - off);
		ck_assert_int_eq(r, (ssize_t)k);
		ck_assert(p[off + k - 1] == '\n');
		off += k;
		lines += !c.blank;
	}
	ck_assert_uint_eq(lines, 3);
}
END_TEST

static char path[64];

static void
write_file(const char *s)
{
	FILE *f;

	strcpy(path, "/tmp/check_turncred.XXXXXX");
	ck_assert_int_ne(mkstemp(path), -1);
	f = fopen(path, "w");
	fputs(s, f);
	fclose(f);
}

START_TEST(test_find)
{
	struct stun_uri a, as, b, x;
	struct turncred c;
	char err[160];

	ck_assert_int_eq(stun_uri_parse("turn:a", 6, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(stun_uri_parse("turns:a", 7, &as, err, sizeof(err)), 0);
	ck_assert_int_eq(stun_uri_parse("turn:b:1", 8, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(stun_uri_parse("turn:x", 6, &x, err, sizeof(err)), 0);
	/* The last line has no newline. */
	write_file("turn:a:3478 ua pa\nturn:b:1 ub pb");
	ck_assert_int_eq(turncred_find(path, &a, NULL, &c, err, sizeof(err)), 1);
	ck_assert_str_eq(c.user, "ua");
	ck_assert_int_eq(turncred_find(path, &b, NULL, &c, err, sizeof(err)), 1);
	ck_assert_str_eq(c.pass, "pb");
	ck_assert_int_eq(turncred_find(path, &x, NULL, &c, err, sizeof(err)), 0);
	ck_assert(c.user[0] == '\0');
	/* turns:a has no line: none, or the line of the turn: server it follows. */
	ck_assert_int_eq(turncred_find(path, &as, NULL, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(turncred_find(path, &as, &a, &c, err, sizeof(err)), 1);
	ck_assert_str_eq(c.user, "ua");
	ck_assert(c.uri.transport == STUN_URI_TLS);
	unlink(path);
	/* Its own line wins over the alternative. */
	write_file("turn:a ua pa\nturns:a us ps\n");
	ck_assert_int_eq(turncred_find(path, &as, &a, &c, err, sizeof(err)), 1);
	ck_assert_str_eq(c.user, "us");
	unlink(path);
	/* A bad line anywhere fails the file, with its number. */
	write_file("turn:a ua pa\n\nturn:b onlyuser\n");
	ck_assert_int_eq(turncred_find(path, &a, NULL, &c, err, sizeof(err)), -1);
	ck_assert(strstr(err, "line 3: no password") != NULL);
	ck_assert(c.user[0] == '\0');
	unlink(path);
	ck_assert_int_eq(turncred_find("/nonexistent/cred", &a, NULL, &c, err, sizeof(err)), -1);
	ck_assert(strstr(err, "No such file") != NULL);
	/* Over the file limit. */
	char *big = malloc(TURNCRED_FILE_MAX + 2);
	memset(big, '\n', TURNCRED_FILE_MAX + 1);
	big[TURNCRED_FILE_MAX + 1] = '\0';
	write_file(big);
	free(big);
	ck_assert_int_eq(turncred_find(path, &a, NULL, &c, err, sizeof(err)), -1);
	ck_assert(strstr(err, "larger than") != NULL);
	unlink(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("turncred");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nfail;

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_drip_glued);
	tcase_add_test(tc, test_find);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? 0 : 1;
}
