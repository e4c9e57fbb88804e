/* SPDX-License-Identifier: MIT */
/*
 * The egress's users file: good lines, comments and CRLF parse; a bad
 * line, a duplicate name or an oversized field is an error naming its
 * line and leaves the loaded table alone; checks need the right name and
 * the right secret; a name is found whatever its secret.
 */
#include "egress/users.h"

#include <check.h>
#include <string.h>

static int
check(const struct users *u, const char *name, const char *secret)
{
	return users_check(u, name, (const uint8_t *)secret, strlen(secret));
}

START_TEST(test_parse_and_check)
{
	static const char text[] = "# users\n\nalice s3cret\r\nbob\tx\ncarol  two-spaces\n";
	struct users u = { 0 };
	char err[256];

	ck_assert_int_eq(users_parse(&u, text, strlen(text) - strlen("carol  two-spaces\n"), err,
	                             sizeof(err)), 0);
	ck_assert_uint_eq(u.n, 2);
	ck_assert_int_eq(check(&u, "alice", "s3cret"), 1);
	ck_assert_int_eq(check(&u, "bob", "x"), 1);
	ck_assert_int_eq(check(&u, "alice", "s3cre"), 0);
	ck_assert_int_eq(check(&u, "alice", "s3cret!"), 0);
	ck_assert_int_eq(check(&u, "bob", "s3cret"), 0);
	ck_assert_int_eq(check(&u, "mallory", "x"), 0);
	ck_assert_int_eq(users_has(&u, "bob"), 1);
	ck_assert_int_eq(users_has(&u, "bo"), 0);
	ck_assert_int_eq(users_has(&u, "mallory"), 0);
	/* Two spaces: the secret would start with a space. */
	ck_assert_int_eq(users_parse(&u, text, strlen(text), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "line 5:"));
	ck_assert_uint_eq(u.n, 2); /* the table stays */
	users_free(&u);
}
END_TEST

START_TEST(test_errors)
{
	static const char *const bad[] = {
		"alice\n", "alice \n", " alice x\n", "alice x y\n", "alice x\nalice y\n", "al\001ce x\n",
	};
	char err[256], big[300];
	struct users u = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(users_parse(&u, bad[i], strlen(bad[i]), err, sizeof(err)) == -1, "%s",
		              bad[i]);
	memset(big, 'a', sizeof(big));
	memcpy(big + USERS_NAME_MAX + 1, " x\n", 3);
	ck_assert_int_eq(users_parse(&u, big, USERS_NAME_MAX + 4, err, sizeof(err)), -1);
	ck_assert_int_eq(users_parse(&u, big + 1, USERS_NAME_MAX + 3, err, sizeof(err)), 0);
	ck_assert_uint_eq(u.n, 1);
	ck_assert_int_eq(users_parse(&u, "", 0, err, sizeof(err)), 0);
	ck_assert_uint_eq(u.n, 0);
	ck_assert_int_eq(users_load(&u, "/nonexistent/users", err, sizeof(err)), -1);
	users_free(&u);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("users");
	TCase *tc = tcase_create("users");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_and_check);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
