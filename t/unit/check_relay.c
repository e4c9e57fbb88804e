/* SPDX-License-Identifier: MIT */
/*
 * relay: driven on a real libev loop over socketpairs. The test owns the
 * outer ends (a0, b1): a writer pushes a pattern into a0, a reader checks
 * it arrives intact at b1; the relay sits on a1 <-> b0.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"
#include "net/relay.h"

struct harness {
	struct ev_loop *loop;
	int a0, a1, b0, b1;
	ev_io wr, rd, back;
	ev_timer stop;
	size_t total, sent, recvd;
	int reader_paused; /* slow consumer: never read b1 */
	int bad;           /* pattern mismatch */
	int eof_seen;
	int done;
	struct relay_stats st;
	const char *reply; /* written back on b1 after EOF (half-close test) */
	char back_buf[64];
	size_t back_len;
};

static uint8_t
pat(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

static void
pair(int *x, int *y)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	*x = sv[0];
	*y = sv[1];
}

static void
writer_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct harness *h = w->data;
	uint8_t chunk[65536];
	size_t n = sizeof(chunk), i;
	ssize_t r;

	(void)revents;
	if (h->total - h->sent < n)
		n = h->total - h->sent;
	for (i = 0; i < n; i++)
		chunk[i] = pat(h->sent + i);
	r = write(h->a0, chunk, n);
	if (r > 0)
		h->sent += (size_t)r;
	if (h->sent == h->total) {
		ev_io_stop(loop, w);
		shutdown(h->a0, SHUT_WR);
	}
}

static void
reader_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct harness *h = w->data;
	uint8_t chunk[65536];
	ssize_t r, i;

	(void)revents;
	r = read(h->b1, chunk, sizeof(chunk));
	if (r == -1 && errno == EAGAIN)
		return;
	if (r <= 0) {
		h->eof_seen = 1;
		ev_io_stop(loop, w);
		if (h->reply)
			ck_assert_int_eq(write(h->b1, h->reply, strlen(h->reply)), (ssize_t)strlen(h->reply));
		shutdown(h->b1, SHUT_WR);
		return;
	}
	for (i = 0; i < r; i++)
		if (chunk[i] != pat(h->recvd + (size_t)i))
			h->bad = 1;
	h->recvd += (size_t)r;
}

static void
back_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct harness *h = w->data;
	ssize_t r;

	(void)revents;
	r = read(h->a0, h->back_buf + h->back_len, sizeof(h->back_buf) - 1 - h->back_len);
	if (r > 0)
		h->back_len += (size_t)r;
	else if (r == 0 || errno != EAGAIN)
		ev_io_stop(loop, w);
}

static void
done_cb(struct relay *r, const struct relay_stats *st, void *arg)
{
	struct harness *h = arg;

	(void)r;
	h->st = *st;
	h->done = 1;
	ev_break(h->loop, EVBREAK_ALL);
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static struct relay *
harness_start(struct harness *h, size_t total, const struct relay_opts *ro)
{
	struct relay *r;

	memset(h, 0, sizeof(*h));
	h->loop = ev_loop_new(EVFLAG_AUTO);
	h->total = total;
	pair(&h->a0, &h->a1);
	pair(&h->b0, &h->b1);
	ev_io_init(&h->wr, writer_cb, h->a0, EV_WRITE);
	ev_io_init(&h->rd, reader_cb, h->b1, EV_READ);
	ev_io_init(&h->back, back_cb, h->a0, EV_READ);
	h->wr.data = h->rd.data = h->back.data = h;
	ev_timer_init(&h->stop, stop_cb, 10.0, 0);
	ev_timer_start(h->loop, &h->stop);
	r = relay_new(h->loop, h->a1, h->b0, ro, done_cb, h);
	ck_assert_ptr_nonnull(r);
	return r;
}

static void
harness_end(struct harness *h)
{
	close(h->a0);
	close(h->b1);
	ev_loop_destroy(h->loop);
}

START_TEST(test_bulk_intact)
{
	struct harness h;

	harness_start(&h, 8u << 20, NULL);
	ev_io_start(h.loop, &h.wr);
	ev_io_start(h.loop, &h.rd);
	ev_io_start(h.loop, &h.back);
	ev_run(h.loop, 0);
	ck_assert(h.done);
	ck_assert_int_eq(h.st.end, RELAY_END_DONE);
	ck_assert_uint_eq(h.recvd, 8u << 20);
	ck_assert_uint_eq(h.st.a_to_b, 8u << 20);
	ck_assert_uint_eq(h.st.b_to_a, 0);
	ck_assert(!h.bad);
	harness_end(&h);
}
END_TEST

/* a's EOF reaches b as EOF, and b can still answer afterwards. */
START_TEST(test_half_close)
{
	struct harness h;

	harness_start(&h, 1000, NULL);
	h.reply = "after-eof";
	ev_io_start(h.loop, &h.wr);
	ev_io_start(h.loop, &h.rd);
	ev_io_start(h.loop, &h.back);
	ev_run(h.loop, 0);
	ck_assert(h.done);
	ck_assert_int_eq(h.st.end, RELAY_END_DONE);
	ck_assert(h.eof_seen);
	ck_assert_uint_eq(h.recvd, 1000);
	/* The relay may finish before back_cb reads; drain what is left. */
	while (ev_is_active(&h.back) && ev_run(h.loop, EVRUN_ONCE))
		;
	h.back_buf[h.back_len] = '\0';
	ck_assert_str_eq(h.back_buf, "after-eof");
	ck_assert_uint_eq(h.st.b_to_a, 9);
	harness_end(&h);
}
END_TEST

/* A sink that never reads: the relay stops reading its source. */
START_TEST(test_backpressure)
{
	struct relay_opts ro = { 16384, 0 };
	struct harness h;
	struct relay *r;
	int sz = 65536;

	r = harness_start(&h, 64u << 20, &ro);
	setsockopt(h.a0, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(h.b1, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	ev_timer_stop(h.loop, &h.stop);
	ev_timer_set(&h.stop, 0.3, 0);
	ev_timer_start(h.loop, &h.stop);
	ev_io_start(h.loop, &h.wr);
	ev_run(h.loop, 0);
	ck_assert(!h.done);
	/* socket buffers on both pairs plus one relay buffer, with slack */
	ck_assert_msg(h.sent < (4u << 20), "sent %zu bytes into a stalled relay", h.sent);
	relay_abort(r);
	ck_assert(h.done);
	ck_assert_int_eq(h.st.end, RELAY_END_ABORT);
	harness_end(&h);
}
END_TEST

START_TEST(test_idle_timeout)
{
	struct relay_opts ro = { 0, 0.05 };
	struct harness h;

	harness_start(&h, 0, &ro);
	ev_run(h.loop, 0);
	ck_assert(h.done);
	ck_assert_int_eq(h.st.end, RELAY_END_IDLE);
	harness_end(&h);
}
END_TEST

START_TEST(test_preload_first)
{
	struct harness h;
	struct relay *r;
	uint8_t pre[100];
	size_t i;

	r = harness_start(&h, 5000, NULL);
	for (i = 0; i < sizeof(pre); i++)
		pre[i] = pat(i);
	/* The writer continues the pattern where the preload ends. */
	h.sent = sizeof(pre);
	h.total = 5000;
	ck_assert_int_eq(relay_preload_a_to_b(r, pre, sizeof(pre)), 0);
	ev_io_start(h.loop, &h.wr);
	ev_io_start(h.loop, &h.rd);
	ev_run(h.loop, 0);
	ck_assert(h.done);
	ck_assert_uint_eq(h.recvd, 5000);
	ck_assert(!h.bad);
	harness_end(&h);
}
END_TEST

START_TEST(test_preload_too_big)
{
	struct relay_opts ro = { 1024, 0 };
	struct harness h;
	struct relay *r;
	static uint8_t big[2048];

	r = harness_start(&h, 0, &ro);
	ck_assert_int_eq(relay_preload_b_to_a(r, big, sizeof(big)), -1);
	relay_abort(r);
	ck_assert(h.done);
	harness_end(&h);
}
END_TEST

/* The peer resets: the relay ends with an error, closes both fds once. */
START_TEST(test_peer_reset)
{
	struct harness h;

	harness_start(&h, 0, NULL);
	close(h.b1);
	h.b1 = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(write(h.a0, "x", 1), 1);
	ev_run(h.loop, 0);
	ck_assert(h.done);
	ck_assert(h.st.end == RELAY_END_ERROR || h.st.end == RELAY_END_DONE);
	harness_end(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("relay");
	TCase *tc = tcase_create("relay");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_bulk_intact);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_preload_first);
	tcase_add_test(tc, test_preload_too_big);
	tcase_add_test(tc, test_peer_reset);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
