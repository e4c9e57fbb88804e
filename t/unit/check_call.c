/* SPDX-License-Identifier: MIT */
/*
 * common/call: two calls, client and server, on one libev loop, their
 * datagrams carried by an in-memory wire (optionally lossy). The
 * handshake completes and keys SRTP; the preamble arrives exactly once
 * even when packets are lost; packets written on one side arrive whole
 * and in order on the other (fragmented ones too); opus keeps 50 pps and
 * refuses writes when its queue is full, then says writable and loses
 * nothing; opus with the camera turns video on while data waits; a
 * wrong pin fails the client.
 */
#include "call/call.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nss/nssc.h"

#define WIRE_MAX 4096

struct dg {
	struct dg *next;
	int to_server;
	size_t n;
	uint8_t p[];
};

struct side {
	struct call *c;
	int up, failed, npre, writable;
	uint8_t pre[64];
	size_t prelen;
	size_t npkts, bytes;
	uint32_t expect; /* next packet number expected */
	int bad_order;
};

static struct ev_loop *loop;
static struct side cli, srv;
static struct dg *wire_head, **wire_tail = &wire_head;
static size_t wire_n;
static unsigned drop_every, sent_count;
static ev_idle deliver_w;
static struct nssc_id *id_cli, *id_srv;
static int camera_flag;

static void
wire_push(int to_server, const uint8_t *p, size_t n)
{
	struct dg *d;

	sent_count++;
	if (drop_every && cli.up && sent_count % drop_every == 0)
		return;
	ck_assert_uint_lt(wire_n, WIRE_MAX);
	d = malloc(sizeof(*d) + n);
	d->next = NULL;
	d->to_server = to_server;
	d->n = n;
	memcpy(d->p, p, n);
	*wire_tail = d;
	wire_tail = &d->next;
	wire_n++;
	ev_idle_start(loop, &deliver_w);
}

static void
on_deliver(struct ev_loop *l, ev_idle *w, int revents)
{
	(void)revents;
	while (wire_head) {
		struct dg *d = wire_head;

		wire_head = d->next;
		if (!wire_head)
			wire_tail = &wire_head;
		wire_n--;
		call_input(d->to_server ? srv.c : cli.c, d->p, d->n);
		free(d);
	}
	ev_idle_stop(l, w);
}

static void
send_cli(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	wire_push(1, p, n);
}

static void
send_srv(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	wire_push(0, p, n);
}

static void
on_up(void *arg)
{
	((struct side *)arg)->up = 1;
}

static void
on_failed(void *arg, const char *why)
{
	fprintf(stderr, "%s failed: %s\n", arg == &cli ? "client" : "server", why);
	((struct side *)arg)->failed = 1;
}

static void
on_preamble(void *arg, const uint8_t *p, size_t n)
{
	struct side *s = arg;

	s->npre++;
	memcpy(s->pre, p, n);
	s->prelen = n;
}

/* Packets are numbered: 4 bytes of sequence, then bytes (seq + i) & 0xff. */
static void
on_packet(void *arg, const uint8_t *p, size_t n)
{
	struct side *s = arg;
	uint32_t seq;
	size_t i;

	ck_assert_uint_ge(n, 4);
	seq = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	for (i = 4; i < n; i++)
		ck_assert_uint_eq(p[i], (seq + i) & 0xff);
	if (seq < s->expect)
		s->bad_order = 1;
	s->expect = seq + 1;
	s->npkts++;
	s->bytes += n;
}

static void
on_writable(void *arg)
{
	((struct side *)arg)->writable++;
}

static size_t
make_pkt(uint8_t *p, uint32_t seq, size_t n)
{
	size_t i;

	p[0] = (uint8_t)(seq >> 24);
	p[1] = (uint8_t)(seq >> 16);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	for (i = 4; i < n; i++)
		p[i] = (uint8_t)(seq + i);
	return n;
}

static void
run_for(double sec, int (*done)(void))
{
	ev_tstamp end = ev_time() + sec;

	while (ev_time() < end && !(done && done()))
		ev_run(loop, EVRUN_ONCE);
}

static int
both_up(void)
{
	return (cli.up && srv.up) || cli.failed || srv.failed;
}

static void
setup(void)
{
	char err[256];

	ck_assert_msg(nssc_global_init(err, sizeof(err)) == 0, "%s", err);
	loop = ev_loop_new(EVFLAG_AUTO);
	ev_idle_init(&deliver_w, on_deliver);
	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	drop_every = sent_count = 0;
	camera_flag = 0;
	id_cli = nssc_id_new(err, sizeof(err));
	id_srv = nssc_id_new(err, sizeof(err));
	ck_assert(id_cli && id_srv);
}

static void
teardown(void)
{
	call_free(cli.c);
	call_free(srv.c);
	while (wire_head) {
		struct dg *d = wire_head;

		wire_head = d->next;
		free(d);
	}
	wire_tail = &wire_head;
	wire_n = 0;
	nssc_id_free(id_cli);
	nssc_id_free(id_srv);
	ev_loop_destroy(loop);
}

static void
start(enum call_profile prof, const uint8_t *pin)
{
	uint8_t fp[FP_LEN];
	char err[256];
	struct call_cfg cc = { .role = CALL_CLIENT, .profile = prof, .id = id_cli, .pin = fp,
		.camera = camera_flag };
	struct call_cfg sc = { .role = CALL_SERVER, .id = id_srv };
	struct call_cbs ccb = { .send = send_cli, .up = on_up, .failed = on_failed,
		.packet = on_packet, .writable = on_writable };
	struct call_cbs scb = { .send = send_srv, .up = on_up, .failed = on_failed,
		.packet = on_packet, .preamble = on_preamble, .writable = on_writable };
	static const uint8_t pre[16] = "0123456789abcdef";

	nssc_id_fingerprint(id_srv, fp);
	if (pin)
		memcpy(fp, pin, FP_LEN);
	cli.c = call_new(loop, &cc, &ccb, &cli, err, sizeof(err));
	ck_assert_msg(cli.c != NULL, "%s", err);
	srv.c = call_new(loop, &sc, &scb, &srv, err, sizeof(err));
	ck_assert_msg(srv.c != NULL, "%s", err);
	ck_assert_int_eq(call_set_preamble(cli.c, pre, sizeof(pre)), 0);
	ck_assert_int_eq(call_set_preamble(cli.c, pre, sizeof(pre)), -1);
	ck_assert_int_eq(call_room(cli.c), 0);
	ck_assert_int_eq(call_start(srv.c), 0);
	ck_assert_int_eq(call_start(cli.c), 0);
	run_for(10, both_up);
}

static uint32_t nsent;

static int
all_arrived(void)
{
	return srv.npkts == nsent;
}

/* Bulk: sizes 1..2048 (fragments included), in order, preamble once. */
START_TEST(test_bulk)
{
	uint8_t p[CALL_PKT_MAX];
	struct call_stats st;
	uint32_t i;

	start(CALL_PROFILE_BULK, NULL);
	ck_assert(cli.up && srv.up);
	nsent = 0;
	for (i = 0; i < 300; i++) {
		size_t n = 4 + (i * 397) % (CALL_PKT_MAX - 3);

		while (call_write(cli.c, p, make_pkt(p, nsent, n)) < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			run_for(0.05, NULL);
		}
		nsent++;
	}
	run_for(5, all_arrived);
	ck_assert_uint_eq(srv.npkts, nsent);
	ck_assert_int_eq(srv.npre, 1);
	ck_assert_mem_eq(srv.pre, "0123456789abcdef", 16);
	ck_assert(!srv.bad_order);
	/* and back */
	ck_assert_int_eq(call_write(srv.c, p, make_pkt(p, 0, 1500)), 0);
	run_for(2, NULL);
	ck_assert_uint_eq(cli.npkts, 1);
	call_stats(cli.c, &st);
	ck_assert_uint_eq(st.bad_in, 0);
	ck_assert_uint_eq(st.tt_in, 1);
}
END_TEST

/* Opus: 50 pps both ways, backpressure without loss, lossy wire keeps the preamble. */
START_TEST(test_opus_backpressure)
{
	uint8_t p[CALL_PKT_MAX];
	struct call_stats st;
	ev_tstamp t0;
	size_t refused = 0;

	start(CALL_PROFILE_OPUS, NULL);
	ck_assert(cli.up && srv.up);
	nsent = 0;
	while (call_write(cli.c, p, make_pkt(p, nsent, 1000)) == 0)
		nsent++;
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_gt(nsent, 5);
	refused++;
	t0 = ev_time();
	while (nsent < 40) {
		run_for(0.1, NULL);
		if (cli.writable) {
			cli.writable = 0;
			while (nsent < 40 && call_write(cli.c, p, make_pkt(p, nsent, 1000)) == 0)
				nsent++;
		}
		ck_assert(ev_time() - t0 < 30);
	}
	run_for(10, all_arrived);
	ck_assert_uint_eq(srv.npkts, nsent);
	ck_assert(!srv.bad_order);
	ck_assert_int_eq(srv.npre, 1);
	call_stats(cli.c, &st);
	/* 40 kB at ~6.8 kB/s: about 6 s, 50 pps */
	{
		double secs = ev_time() - t0, pps = (double)st.rtp_out / secs;

		ck_assert_msg(pps > 35 && pps < 60, "pps %.1f", pps);
	}
	ck_assert_uint_ge(refused, 1);
}
END_TEST

START_TEST(test_lossy_preamble)
{
	uint8_t p[CALL_PKT_MAX];

	drop_every = 3;
	start(CALL_PROFILE_OPUS, NULL);
	ck_assert(cli.up && srv.up);
	for (nsent = 0; nsent < 5; nsent++)
		ck_assert_int_eq(call_write(cli.c, p, make_pkt(p, nsent, 100)), 0);
	run_for(3, NULL);
	ck_assert_int_eq(srv.npre, 1);
	ck_assert_uint_le(srv.npkts, nsent);
	ck_assert(!srv.bad_order);
}
END_TEST

/* Opus with the camera: video starts while data waits, and carries it. */
START_TEST(test_camera)
{
	uint8_t p[CALL_PKT_MAX];
	struct call_stats st;
	ev_tstamp t0 = ev_time();

	camera_flag = 1;
	start(CALL_PROFILE_OPUS, NULL);
	ck_assert(cli.up && srv.up);
	call_stats(cli.c, &st);
	ck_assert_int_eq(st.video, 0);
	nsent = 0;
	while (ev_time() - t0 < 20 && nsent < 300) {
		while (nsent < 300 && call_write(cli.c, p, make_pkt(p, nsent, 1200)) == 0)
			nsent++;
		run_for(0.05, NULL);
	}
	call_stats(cli.c, &st);
	ck_assert_msg(st.video == 1, "the camera did not turn on");
	run_for(10, all_arrived);
	ck_assert_uint_eq(srv.npkts, nsent);
	/* 360 kB: opus alone would need about a minute */
	ck_assert_msg(ev_time() - t0 < 20, "%.1f s", ev_time() - t0);
	ck_assert(!srv.bad_order);
}
END_TEST

START_TEST(test_wrong_pin)
{
	uint8_t bad[FP_LEN];

	memset(bad, 0x42, sizeof(bad));
	start(CALL_PROFILE_BULK, bad);
	ck_assert(cli.failed);
	ck_assert(!cli.up);
}
END_TEST

static Suite *
call_suite(void)
{
	Suite *s = suite_create("call");
	TCase *tc = tcase_create("call");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bulk);
	tcase_add_test(tc, test_opus_backpressure);
	tcase_add_test(tc, test_lossy_preamble);
	tcase_add_test(tc, test_camera);
	tcase_add_test(tc, test_wrong_pin);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(call_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
