/* SPDX-License-Identifier: MIT */
/*
 * The admin listener on a UNIX socket: /healthz and /metrics bodies from
 * the callback, 404 and 405, a 500 when the callback fails, HEAD without
 * a body, garbage closed, its own connection limit (the ninth silent
 * connection is refused while eight wait) and the timer that closes a
 * silent connection. A child process is the client; the parent runs the
 * loop until the child exits.
 */
#include "net/admin.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char sockpath[108];

static int
body_cb(void *arg, int which, char *out, size_t cap)
{
	(void)arg;
	if (which == 0)
		return snprintf(out, cap, "ok\n");
	return snprintf(out, cap, "x_total 42\n");
}

static int
fail_cb(void *arg, int which, char *out, size_t cap)
{
	(void)arg;
	(void)which;
	(void)out;
	(void)cap;
	return -1;
}

static int
dial(void)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		_exit(90);
	return fd;
}

/* Send req, read to EOF into out. */
static size_t
ask(const char *req, char *out, size_t cap)
{
	int fd = dial();
	size_t n = 0;
	ssize_t r;

	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		_exit(91);
	while (n + 1 < cap && (r = read(fd, out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fd);
	return n;
}

static void
child_done(struct ev_loop *loop, ev_child *w, int revents)
{
	(void)revents;
	ev_child_stop(loop, w);
	ev_break(loop, EVBREAK_ALL);
}

/* Run the admin listener until client() (in a child) exits; its status. */
static int
serve(admin_body_cb cb, void (*client)(void))
{
	struct ev_loop *loop = ev_default_loop(0);
	struct endpoint ep;
	struct admin a;
	ev_child cw;
	pid_t pid;

	snprintf(sockpath, sizeof(sockpath), "/tmp/pw-admin-%d.sock", (int)getpid());
	memset(&ep, 0, sizeof(ep));
	ep.kind = EP_UNIX;
	snprintf(ep.path, sizeof(ep.path), "%s", sockpath);
	ck_assert(admin_endpoint_ok(&ep));
	ck_assert_int_eq(admin_open(&a, loop, &ep, cb, NULL), 0);
	admin_start(&a);
	if ((pid = fork()) == 0) {
		client();
		_exit(0);
	}
	ev_child_init(&cw, child_done, pid, 0);
	ev_child_start(loop, &cw);
	ev_run(loop, 0);
	admin_close(&a);
	ck_assert_int_eq(access(sockpath, F_OK), -1);
	return WIFEXITED(cw.rstatus) ? WEXITSTATUS(cw.rstatus) : 99;
}

static void
client_paths(void)
{
	char out[4096];

	ask("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", out, sizeof(out));
	if (strncmp(out, "HTTP/1.1 200", 12) != 0 || strstr(out, "\r\n\r\nx_total 42\n") == NULL)
		_exit(1);
	ask("GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", out, sizeof(out));
	if (strstr(out, "\r\n\r\nok\n") == NULL)
		_exit(2);
	ask("GET /other HTTP/1.1\r\nHost: a\r\n\r\n", out, sizeof(out));
	if (strncmp(out, "HTTP/1.1 404", 12) != 0)
		_exit(3);
	ask("POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", out, sizeof(out));
	if (strncmp(out, "HTTP/1.1 405", 12) != 0)
		_exit(4);
	ask("HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n", out, sizeof(out));
	if (strncmp(out, "HTTP/1.1 200", 12) != 0 || strstr(out, "x_total") != NULL)
		_exit(5);
	if (ask("\x16\x03\x01garbage\r\n\r\n", out, sizeof(out)) != 0)
		_exit(6);
}

static void
client_fail(void)
{
	char out[4096];

	ask("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", out, sizeof(out));
	if (strncmp(out, "HTTP/1.1 500", 12) != 0)
		_exit(1);
}

/* Eight silent connections fill the listener; a ninth is closed at once. */
static void
client_limit(void)
{
	int fds[ADMIN_CONNS_MAX], i, fd;
	char c;

	for (i = 0; i < ADMIN_CONNS_MAX; i++)
		fds[i] = dial();
	fd = dial();
	if (read(fd, &c, 1) != 0)
		_exit(1);
	close(fd);
	/* The silent ones are closed by the timer, not left open. */
	for (i = 0; i < ADMIN_CONNS_MAX; i++)
		if (read(fds[i], &c, 1) != 0)
			_exit(2);
}

START_TEST(test_paths)
{
	ck_assert_int_eq(serve(body_cb, client_paths), 0);
}
END_TEST

START_TEST(test_fail)
{
	ck_assert_int_eq(serve(fail_cb, client_fail), 0);
}
END_TEST

START_TEST(test_limit)
{
	ck_assert_int_eq(serve(body_cb, client_limit), 0);
}
END_TEST

START_TEST(test_endpoint_ok)
{
	struct endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.kind = EP_TCP;
	snprintf(ep.host, sizeof(ep.host), "127.0.0.9");
	ck_assert(admin_endpoint_ok(&ep));
	snprintf(ep.host, sizeof(ep.host), "::1");
	ck_assert(admin_endpoint_ok(&ep));
	snprintf(ep.host, sizeof(ep.host), "0.0.0.0");
	ck_assert(!admin_endpoint_ok(&ep));
	snprintf(ep.host, sizeof(ep.host), "192.0.2.1");
	ck_assert(!admin_endpoint_ok(&ep));
}
END_TEST

static Suite *
admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("admin");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_fail);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_endpoint_ok);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(admin_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
