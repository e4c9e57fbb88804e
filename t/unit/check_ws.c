/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket bridge (common/ws) on a real libev loop over
 * socketpairs: the server role's upgrade, data frames (binary and text,
 * in any cut) reaching the local side as one stream and local bytes
 * leaving as binary messages; ping answered by pong; the peer's Close
 * answered and the local side ended; local EOF sending our Close; a
 * fragmented message over WS_MSG_MAX refused with 1009 while its first
 * fragments stream through; a client role bridge against a server role
 * bridge, both ways; the memory budget: what the bridge holds charged and
 * given back, data still flowing over a full budget, unread pongs that
 * would take the share kept for data closing the bridge.
 */
#include "ws/ws.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/membudget.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

struct fix {
	struct ev_loop *loop;
	int net[2];   /* net[0] the bridge's, net[1] the test's (the peer) */
	int local[2]; /* local[0] the bridge's, local[1] the test's */
	struct ws *ws;
	const char *why; /* done's reason, NULL until done */
	int opened;
	uint8_t got[1 << 21]; /* what the test read from one side */
	size_t ngot;
};

static struct fix F;
static struct membudget *fx_mb; /* the budget server_start gives the bridge */
static struct membudget fx_budget; /* the tests' (outlives them: teardown ends the bridge) */

static int
fx_request(void *arg, struct ws *ws, const struct wshs_request *r)
{
	struct fix *f = arg;

	(void)ws;
	ck_assert_str_eq(r->target, "/any/path");
	return f->local[0];
}

static void
fx_open(void *arg)
{
	((struct fix *)arg)->opened = 1;
}

static void
fx_done(void *arg, const char *why)
{
	struct fix *f = arg;

	f->why = why;
	f->ws = NULL;
}

static const struct ws_cb fx_cb = { .request = fx_request, .open = fx_open, .done = fx_done };

static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

static void
setup(void)
{
	memset(&F, 0, sizeof(F));
	fx_mb = NULL;
	F.loop = ev_loop_new(EVFLAG_AUTO);
	pair(F.net);
	pair(F.local);
}

static void
teardown(void)
{
	if (F.ws != NULL)
		ws_abort(F.ws, "test over");
	close(F.net[1]);
	close(F.local[1]);
	ev_loop_destroy(F.loop);
}

static void
server_start(void)
{
	struct ws_opts o = { .role = WS_SERVER, .handshake_timeout = 5, .mb = fx_mb };

	F.ws = ws_new(F.loop, F.net[0], -1, &o, &fx_cb, &F);
	ck_assert_ptr_nonnull(F.ws);
}

/* Write all of p to fd, running the loop; rfd (or -1) is read into F.got meanwhile. */
static void
put_reading(int fd, const void *p, size_t n, int rfd)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w == -1 && errno == EAGAIN) {
			ev_run(F.loop, EVRUN_NOWAIT);
			if (rfd != -1) {
				ssize_t r = read(rfd, F.got + F.ngot, sizeof(F.got) - F.ngot);

				if (r > 0)
					F.ngot += (size_t)r;
			}
			continue;
		}
		ck_assert_int_gt(w, 0);
		b += w;
		n -= (size_t)w;
	}
}

static void
put(int fd, const void *p, size_t n)
{
	put_reading(fd, p, n, -1);
}

/* A client frame: masked, with a header for len (payload p may be shorter: sent later). */
static size_t
frame(uint8_t *out, int fin, int op, const uint8_t *p, size_t len, size_t have)
{
	static const uint8_t mask[4] = { 0x11, 0x22, 0x33, 0x44 };
	size_t h = 0, i;

	out[h++] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (len < 126) {
		out[h++] = (uint8_t)(0x80 | len);
	} else if (len < 65536) {
		out[h++] = 0x80 | 126;
		out[h++] = (uint8_t)(len >> 8);
		out[h++] = (uint8_t)len;
	} else {
		out[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[h++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(out + h, mask, 4);
	h += 4;
	for (i = 0; i < have; i++)
		out[h + i] = p[i] ^ mask[i % 4];
	return h + have;
}

/* Read what fd has into F.got, running the loop, until want bytes or done or 5 s. */
static void
drain(int fd, size_t want)
{
	ev_tstamp end = ev_time() + 5;

	while (F.ngot < want && ev_time() < end) {
		ssize_t r = read(fd, F.got + F.ngot, sizeof(F.got) - F.ngot);

		if (r > 0) {
			F.ngot += (size_t)r;
			continue;
		}
		if (r == 0)
			break;
		ev_run(F.loop, EVRUN_NOWAIT);
		usleep(1000);
	}
}

static void
run_until_done(double secs)
{
	ev_tstamp end = ev_time() + secs;

	while (F.why == NULL && ev_time() < end) {
		ev_run(F.loop, EVRUN_NOWAIT);
		usleep(1000);
	}
}

static size_t
upgrade(void)
{
	char req[512];
	ssize_t n = wshs_format_request(req, sizeof(req), "h", "/any/path", KEY);
	const char *end;

	server_start();
	put(F.net[1], req, (size_t)n);
	F.ngot = 0;
	drain(F.net[1], 129);
	end = memmem(F.got, F.ngot, "\r\n\r\n", 4);
	ck_assert_ptr_nonnull(end);
	ck_assert(memcmp(F.got, "HTTP/1.1 101 ", 13) == 0);
	ck_assert_ptr_nonnull(memmem(F.got, F.ngot, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28));
	return (size_t)(end + 4 - (const char *)F.got);
}

START_TEST(test_data_both_ways)
{
	uint8_t buf[256];
	size_t n = 0, h, i;

	h = upgrade();
	ck_assert_uint_eq(F.ngot, h); /* nothing after the 101 */
	n += frame(buf + n, 1, 2, (const uint8_t *)"hello ", 6, 6);
	n += frame(buf + n, 0, 1, (const uint8_t *)"web", 3, 3);
	n += frame(buf + n, 1, 0, (const uint8_t *)"socket", 6, 6);
	/* Dripped: a frame boundary means nothing, nor does a read boundary. */
	for (i = 0; i < n; i++)
		put(F.net[1], buf + i, 1);
	F.ngot = 0;
	drain(F.local[1], 15);
	ck_assert_uint_eq(F.ngot, 15);
	ck_assert(memcmp(F.got, "hello websocket", 15) == 0);
	put(F.local[1], "reply", 5);
	F.ngot = 0;
	drain(F.net[1], 7);
	ck_assert_uint_eq(F.ngot, 7);
	ck_assert_int_eq(F.got[0], 0x82); /* FIN, binary, unmasked from a server */
	ck_assert_int_eq(F.got[1], 5);
	ck_assert(memcmp(F.got + 2, "reply", 5) == 0);
	ck_assert_ptr_null(F.why);
}
END_TEST

START_TEST(test_ping_pong)
{
	uint8_t buf[64];
	size_t n;

	upgrade();
	n = frame(buf, 1, 9, (const uint8_t *)"abc", 3, 3);
	put(F.net[1], buf, n);
	F.ngot = 0;
	drain(F.net[1], 5);
	ck_assert_uint_eq(F.ngot, 5);
	ck_assert_int_eq(F.got[0], 0x8a);
	ck_assert(memcmp(F.got + 2, "abc", 3) == 0);
	ck_assert_uint_eq(ws_stats(F.ws)->pings, 1);
}
END_TEST

START_TEST(test_peer_close)
{
	uint8_t buf[64], c;
	size_t n;

	upgrade();
	n = frame(buf, 1, 8, (const uint8_t *)"\x03\xe8", 2, 2);
	put(F.net[1], buf, n);
	run_until_done(5);
	ck_assert_ptr_nonnull(F.why);
	ck_assert_str_eq(F.why, "closed");
	F.ngot = 0;
	drain(F.net[1], 4);
	ck_assert_int_eq(F.got[0], 0x88);
	ck_assert_int_eq(read(F.local[1], &c, 1), 0); /* the local side sees EOF */
}
END_TEST

START_TEST(test_local_eof)
{
	uint8_t buf[64];
	size_t n;

	upgrade();
	shutdown(F.local[1], SHUT_WR);
	F.ngot = 0;
	drain(F.net[1], 4);
	ck_assert_uint_ge(F.ngot, 2);
	ck_assert_int_eq(F.got[0], 0x88);
	ck_assert_ptr_null(F.why); /* waiting for the peer's Close */
	n = frame(buf, 1, 8, (const uint8_t *)"\x03\xe8", 2, 2);
	put(F.net[1], buf, n);
	run_until_done(5);
	ck_assert_str_eq(F.why, "closed");
}
END_TEST

START_TEST(test_message_cap)
{
	static uint8_t pay[700 * 1024];
	static uint8_t buf[sizeof(pay) + 16];
	size_t n, i, code_at;
	int found = 0;

	memset(pay, 'x', sizeof(pay));
	upgrade();
	/* 700 KiB then 400 KiB in one message: over WS_MSG_MAX (1 MiB) at the second. */
	n = frame(buf, 0, 2, pay, sizeof(pay), sizeof(pay));
	F.ngot = 0;
	put_reading(F.net[1], buf, n, F.local[1]);
	drain(F.local[1], sizeof(pay));
	ck_assert_uint_eq(F.ngot, sizeof(pay)); /* streamed, not held whole */
	n = frame(buf, 1, 0, pay, 400 * 1024, 1024);
	put(F.net[1], buf, n);
	F.ngot = 0;
	drain(F.net[1], 4);
	for (i = 0; i + 3 < F.ngot; i++) {
		if (F.got[i] == 0x88 && F.got[i + 1] == 2) {
			code_at = i + 2;
			ck_assert_int_eq(F.got[code_at] << 8 | F.got[code_at + 1], 1009);
			found = 1;
		}
	}
	ck_assert(found);
	run_until_done(7);
	ck_assert_str_eq(F.why, "message over its size limit");
}
END_TEST

START_TEST(test_bad_request)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

	server_start();
	put(F.net[1], req, sizeof(req) - 1);
	F.ngot = 0;
	drain(F.net[1], 12);
	ck_assert(memcmp(F.got, "HTTP/1.1 400", 12) == 0);
	run_until_done(5);
	ck_assert_str_eq(F.why, "not a WebSocket upgrade");
}
END_TEST

START_TEST(test_upgrade_timeout)
{
	struct ws_opts o = { .role = WS_SERVER, .handshake_timeout = 0.2 };

	F.ws = ws_new(F.loop, F.net[0], -1, &o, &fx_cb, &F);
	put(F.net[1], "GET / HT", 8);
	run_until_done(5);
	ck_assert_str_eq(F.why, WS_WHY_TIMEOUT);
}
END_TEST

START_TEST(test_data_then_close)
{
	uint8_t buf[64], c;
	size_t n;

	upgrade();
	/* Data and the Close in one read: the data still reaches the local side. */
	n = frame(buf, 1, 2, (const uint8_t *)"last", 4, 4);
	n += frame(buf + n, 1, 8, (const uint8_t *)"\x03\xe8", 2, 2);
	put(F.net[1], buf, n);
	run_until_done(5);
	ck_assert_str_eq(F.why, "closed");
	F.ngot = 0;
	drain(F.local[1], 4);
	ck_assert_uint_eq(F.ngot, 4);
	ck_assert(memcmp(F.got, "last", 4) == 0);
	ck_assert_int_eq(read(F.local[1], &c, 1), 0);
}
END_TEST

START_TEST(test_client_refused)
{
	static const struct ws_cb gcb = { .done = fx_done };
	static const char r403[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	struct ws_opts o = { .role = WS_CLIENT, .handshake_timeout = 5, .host = "h", .path = "/" };

	F.ws = ws_new(F.loop, F.net[0], F.local[0], &o, &gcb, &F);
	ck_assert_ptr_nonnull(F.ws);
	F.ngot = 0;
	drain(F.net[1], 20);
	ck_assert(memcmp(F.got, "GET / HTTP/1.1\r\n", 16) == 0);
	put(F.net[1], r403, sizeof(r403) - 1);
	run_until_done(5);
	ck_assert_str_eq(F.why, "upgrade refused by the server");
}
END_TEST

/* A client bridge against a server bridge. */
static struct fix G; /* the client's done and open */

static void
g_done(void *arg, const char *why)
{
	(void)arg;
	G.why = why;
}

static void
g_open(void *arg)
{
	(void)arg;
	G.opened = 1;
}

START_TEST(test_client_server)
{
	static const struct ws_cb gcb = { .open = g_open, .done = g_done };
	struct ws_opts o = { .role = WS_CLIENT, .handshake_timeout = 5, .host = "h",
	                     .path = "/any/path" };
	static uint8_t big[300000];
	int cl[2];
	size_t i;

	memset(&G, 0, sizeof(G));
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	pair(cl);
	server_start();
	/* The client's network side is the test's end of the server's pair. */
	ck_assert_ptr_nonnull(ws_new(F.loop, F.net[1], cl[0], &o, &gcb, NULL));
	F.net[1] = dup(F.net[0]); /* keep teardown's close harmless */
	F.ngot = 0;
	put_reading(cl[1], big, sizeof(big), F.local[1]);
	drain(F.local[1], sizeof(big));
	ck_assert(G.opened);
	ck_assert_uint_eq(F.ngot, sizeof(big));
	ck_assert(memcmp(F.got, big, sizeof(big)) == 0);
	put(F.local[1], "back", 4);
	F.ngot = 0;
	drain(cl[1], 4);
	ck_assert_uint_eq(F.ngot, 4);
	ck_assert(memcmp(F.got, "back", 4) == 0);
	/* The client's local side ends: Close both ways, both bridges end. */
	close(cl[1]);
	run_until_done(5);
	ck_assert_str_eq(F.why, "closed");
	while (G.why == NULL)
		ev_run(F.loop, EVRUN_ONCE);
	ck_assert_str_eq(G.why, "closed");
}
END_TEST

/* --- memory budget ------------------------------------------------------- */

/* Run the loop until the bridge has charged between lo and hi bytes, or 5 s. */
static void
run_until_holds(size_t lo, size_t hi)
{
	ev_tstamp end = ev_time() + 5;

	while (F.ws != NULL && (ws_memory(F.ws) < lo || ws_memory(F.ws) > hi) && ev_time() < end) {
		ev_run(F.loop, EVRUN_NOWAIT);
		usleep(1000);
	}
}

/* Run the loop until the bridge has seen n pings, or 5 s. */
static void
run_until_pings(uint64_t n)
{
	ev_tstamp end = ev_time() + 5;

	while (F.ws != NULL && ws_stats(F.ws)->pings < n && ev_time() < end) {
		ev_run(F.loop, EVRUN_NOWAIT);
		usleep(1000);
	}
}

/* Write what fd takes of p within secs, running the loop; bytes written. */
static size_t
put_some(int fd, const uint8_t *p, size_t n, double secs)
{
	ev_tstamp end = ev_time() + secs;
	size_t done = 0;

	while (done < n && ev_time() < end) {
		ssize_t w = write(fd, p + done, n - done);

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		ck_assert(w == -1 && errno == EAGAIN);
		ev_run(F.loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	return done;
}

START_TEST(test_memory_charged)
{
	static uint8_t pay[128 * 1024], buf[sizeof(pay) + 16];
	int small = 4096;
	size_t n, sent;

	membudget_init(&fx_budget, 0, NULL);
	fx_mb = &fx_budget;
	upgrade();
	ck_assert_uint_eq(fx_budget.used, ws_memory(F.ws));
	ck_assert_uint_ge(fx_budget.used, WS_MEM_BASE);
	ck_assert_uint_lt(fx_budget.used, WS_MEM_BASE + 8192);
	/* The local side does not read: the buffer toward it fills, and is charged. */
	ck_assert_int_eq(setsockopt(F.local[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	memset(pay, 'm', sizeof(pay));
	n = frame(buf, 1, 2, pay, sizeof(pay), sizeof(pay));
	sent = put_some(F.net[1], buf, n, 0.5);
	run_until_holds(WS_MEM_BASE + WS_BUF, SIZE_MAX);
	fprintf(stderr, "ws: %zu bytes written, bridge holds %zu, budget %zu\n", sent, ws_memory(F.ws),
	        fx_budget.used);
	ck_assert_uint_eq(fx_budget.used, ws_memory(F.ws));
	ck_assert_uint_ge(fx_budget.used, WS_MEM_BASE + WS_BUF);
	ck_assert_uint_le(fx_budget.peak, WS_MEM_BASE + 8192 + membudget_cost(WS_BUF));
	/* Read everything: the buffer is given back. */
	F.ngot = 0;
	put_reading(F.net[1], buf + sent, n - sent, F.local[1]);
	drain(F.local[1], sizeof(pay));
	ck_assert_uint_eq(F.ngot, sizeof(pay));
	run_until_holds(0, WS_MEM_BASE + 8191);
	ck_assert_uint_eq(fx_budget.used, ws_memory(F.ws));
	ck_assert_uint_lt(fx_budget.used, WS_MEM_BASE + 8192);
	ws_abort(F.ws, "test over");
	ck_assert_uint_eq(fx_budget.used, 0);
}
END_TEST

/*
 * Over its limit (the sessions filled it), the budget stops nothing that
 * flows: charges are forced, or the bridge would stall the very sessions
 * whose data fills the budget.
 */
START_TEST(test_memory_full_flows)
{
	uint8_t buf[64];
	size_t n;

	membudget_init(&fx_budget, 0, NULL);
	fx_mb = &fx_budget;
	upgrade();
	fx_budget.limit = fx_budget.used / 2;
	n = frame(buf, 1, 2, (const uint8_t *)"full", 4, 4);
	put(F.net[1], buf, n);
	put(F.local[1], "x", 1);
	F.ngot = 0;
	drain(F.local[1], 4);
	ck_assert_uint_eq(F.ngot, 4);
	ck_assert(memcmp(F.got, "full", 4) == 0);
	F.ngot = 0;
	drain(F.net[1], 3);
	ck_assert_uint_eq(F.ngot, 3);
	ck_assert_int_eq(F.got[2], 'x');
	ck_assert_ptr_null(F.why);
	ck_assert_uint_eq(fx_budget.used, ws_memory(F.ws));
}
END_TEST

START_TEST(test_memory_pongs_unread)
{
	static uint8_t buf[400 * 131];
	int small = 4096;
	size_t n = 0, i, before;

	membudget_init(&fx_budget, 0, NULL);
	fx_mb = &fx_budget;
	upgrade();
	ck_assert_int_eq(setsockopt(F.net[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	for (i = 0; i < 400; i++)
		n += frame(buf + n, 1, 9, (const uint8_t *)"pppppppppppppppppppppppppppppppppppppppppppppppppp"
		                                     "pppppppppppppppppppppppppppppppppppppppppppppppppp"
		                                     "ppppppppppppppppppppppppp", 125, 125);
	ck_assert_uint_eq(n, sizeof(buf));
	/* No limit: the pongs the peer leaves unread are charged, the bridge lives. */
	before = fx_budget.used;
	put(F.net[1], buf, n);
	run_until_pings(400);
	ck_assert_ptr_null(F.why);
	ck_assert_uint_eq(ws_stats(F.ws)->pings, 400);
	ck_assert_uint_eq(fx_budget.used, ws_memory(F.ws));
	ck_assert_uint_gt(fx_budget.used, before + 200 * (125 + WS_QMSG_COST));
	/* 400 more unread pongs would take the share of the budget kept for data. */
	fx_budget.limit = fx_budget.used + 66000;
	put(F.net[1], buf, n);
	run_until_done(2);
	ck_assert_ptr_nonnull(F.why);
	ck_assert_str_eq(F.why, "peer does not read its pongs (memory budget)");
	ck_assert_uint_eq(fx_budget.used, 0);
}
END_TEST

static Suite *
ws_suite(void)
{
	Suite *s = suite_create("ws");
	TCase *tc = tcase_create("bridge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_data_both_ways);
	tcase_add_test(tc, test_ping_pong);
	tcase_add_test(tc, test_peer_close);
	tcase_add_test(tc, test_local_eof);
	tcase_add_test(tc, test_message_cap);
	tcase_add_test(tc, test_bad_request);
	tcase_add_test(tc, test_upgrade_timeout);
	tcase_add_test(tc, test_client_server);
	tcase_add_test(tc, test_data_then_close);
	tcase_add_test(tc, test_client_refused);
	tcase_add_test(tc, test_memory_charged);
	tcase_add_test(tc, test_memory_full_flows);
	tcase_add_test(tc, test_memory_pongs_unread);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ws_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
