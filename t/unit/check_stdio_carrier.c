/* SPDX-License-Identifier: MIT */
/*
 * stdio_carrier on pipes and socketpairs standing in for stdin/stdout:
 * the flags come back as they were (after close, and at exit without a
 * close), also when both ends are one open file description; a reader
 * that leaves the stdout pipe is reported while nothing is queued;
 * readable, writable and the signals reach the owner through the loop.
 * Every loop runs under a deadline timer, so a missing event fails fast.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/stdio_carrier.h"

#define DEADLINE_S 5.0

struct owner {
	struct ev_loop *loop;
	struct stdio_carrier sc;
	ev_timer deadline;
	int readable, writable, gone, signum, timed_out;
};

/* Count the event, then let the test look: nothing more is watched. */
static void
seen(struct owner *o, int *count)
{
	(*count)++;
	stdio_carrier_want(&o->sc, 0, 0);
	ev_break(o->loop, EVBREAK_ALL);
}

static void
note_readable(void *arg)
{
	seen(arg, &((struct owner *)arg)->readable);
}

static void
note_writable(void *arg)
{
	seen(arg, &((struct owner *)arg)->writable);
}

static void
note_gone(void *arg)
{
	seen(arg, &((struct owner *)arg)->gone);
}

static void
note_signal(void *arg, int signum)
{
	struct owner *o = arg;

	o->signum = signum;
	ev_break(o->loop, EVBREAK_ALL);
}

static const struct stdio_carrier_cbs cbs = { note_readable, note_writable, note_gone,
	                                      note_signal };

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct owner *o = w->data;

	(void)revents;
	o->timed_out = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void
owner_open(struct owner *o, int in_fd, int out_fd)
{
	memset(o, 0, sizeof(*o));
	o->loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(o->loop);
	ev_timer_init(&o->deadline, on_deadline, DEADLINE_S, 0);
	o->deadline.data = o;
	ev_timer_start(o->loop, &o->deadline);
	ck_assert_int_eq(stdio_carrier_open(&o->sc, o->loop, in_fd, out_fd, &cbs, o), 0);
}

static void
owner_close(struct owner *o)
{
	stdio_carrier_close(&o->sc);
	ev_timer_stop(o->loop, &o->deadline);
	ev_loop_destroy(o->loop);
}

static int
nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_ne(fl, -1);
	return (fl & O_NONBLOCK) != 0;
}

START_TEST(test_flags_restored)
{
	struct owner o;
	int in[2], out[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(fcntl(out[1], F_SETFL, O_NONBLOCK), 0); /* already non-blocking: kept */
	owner_open(&o, in[0], out[1]);
	ck_assert(nonblocking(in[0]));
	ck_assert(nonblocking(out[1]));
	owner_close(&o);
	ck_assert(!nonblocking(in[0]));
	ck_assert(nonblocking(out[1]));
	stdio_carrier_close(&o.sc); /* a second close changes nothing */
	ck_assert(!nonblocking(in[0]));
}
END_TEST

/* A terminal or socket given as both stdin and stdout: one set of flags. */
START_TEST(test_flags_restored_shared)
{
	struct owner o;
	int sv[2], out;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	out = dup(sv[0]);
	ck_assert_int_ne(out, -1);
	owner_open(&o, sv[0], out);
	ck_assert(nonblocking(out));
	owner_close(&o);
	ck_assert(!nonblocking(sv[0]));
	ck_assert(!nonblocking(out));
}
END_TEST

/* A process that leaves by exit() without closing still restores them. */
START_TEST(test_flags_restored_at_exit)
{
	struct owner o;
	int in[2], out[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		owner_open(&o, in[0], out[1]);
		exit(nonblocking(in[0]) && nonblocking(out[1]) ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(!nonblocking(in[0]));
	ck_assert(!nonblocking(out[1]));
}
END_TEST

START_TEST(test_reader_gone)
{
	struct owner o;
	int in[2], out[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	owner_open(&o, in[0], out[1]);
	stdio_carrier_want(&o.sc, 1, 0);
	close(out[0]);
	ev_run(o.loop, 0);
	ck_assert(!o.timed_out);
	ck_assert_int_eq(o.gone, 1);
	ck_assert_int_eq(o.readable, 0);
	owner_close(&o);
}
END_TEST

/* While bytes are queued the write path sees EPIPE itself: writable, not gone. */
START_TEST(test_reader_gone_while_writing)
{
	struct owner o;
	int in[2], out[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	owner_open(&o, in[0], out[1]);
	close(out[0]);
	stdio_carrier_want(&o.sc, 0, 1);
	ev_run(o.loop, 0);
	ck_assert(!o.timed_out);
	ck_assert_int_eq(o.writable, 1);
	ck_assert_int_eq(o.gone, 0);
	ck_assert_int_eq(write(out[1], "x", 1), -1); /* EPIPE, and no SIGPIPE */
	owner_close(&o);
}
END_TEST

/* stdout a socket: no pipe reader to watch, nothing reported. */
START_TEST(test_socket_out_no_gone)
{
	struct owner o;
	int sv[2], in[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	owner_open(&o, in[0], sv[0]);
	stdio_carrier_want(&o.sc, 1, 0);
	ck_assert_int_eq(write(in[1], "x", 1), 1);
	ev_run(o.loop, 0);
	ck_assert(!o.timed_out);
	ck_assert_int_eq(o.readable, 1);
	ck_assert_int_eq(o.gone, 0);
	owner_close(&o);
}
END_TEST

static void
check_signal(int signum)
{
	struct owner o;
	int in[2], out[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	owner_open(&o, in[0], out[1]);
	ck_assert_int_eq(kill(getpid(), signum), 0);
	ev_run(o.loop, 0);
	ck_assert(!o.timed_out);
	ck_assert_int_eq(o.signum, signum);
	owner_close(&o);
	ck_assert(!nonblocking(in[0]));
}

START_TEST(test_signals)
{
	check_signal(SIGTERM);
	check_signal(SIGINT);
	check_signal(SIGHUP);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stdio_carrier");
	TCase *tc = tcase_create("stdio_carrier");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_flags_restored);
	tcase_add_test(tc, test_flags_restored_shared);
	tcase_add_test(tc, test_flags_restored_at_exit);
	tcase_add_test(tc, test_reader_gone);
	tcase_add_test(tc, test_reader_gone_while_writing);
	tcase_add_test(tc, test_socket_out_no_gone);
	tcase_add_test(tc, test_signals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
