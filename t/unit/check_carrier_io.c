/* SPDX-License-Identifier: MIT */
/*
 * carrier_io: the codec fed one byte at a time, glued, split across
 * reads and hostile (a prefix that needs a 4th byte, a wrong token, a
 * chunk longer than a datagram); then the fd glue on a real libev loop
 * over a socketpair, writing a queue to a slow reader with small socket
 * buffers, where the bounds (output buffer, queue) must hold.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net.h"
#include "tt/carrier_io.h"

static const uint8_t id1[CLIENTID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static uint8_t
pat(size_t pkt, size_t i)
{
	return (uint8_t)(pkt * 31 + i * 7 + (i >> 8));
}

/* A carrier stream: preamble, then n datagrams of growing size with padding between. */
static size_t
stream_build(uint8_t *out, size_t cap, size_t n)
{
	uint8_t pkt[PKTQ_PKT_MAX];
	size_t off, i, j, len;
	ssize_t w;

	preamble_encode(id1, out);
	off = PREAMBLE_LEN;
	for (i = 0; i < n; i++) {
		len = 1 + i * 97 % PKTQ_PKT_MAX;
		for (j = 0; j < len; j++)
			pkt[j] = pat(i, j);
		w = frame_encode_data(pkt, len, out + off, cap - off);
		ck_assert_int_gt(w, 0);
		off += (size_t)w;
		w = frame_encode_padding(i % 3, out + off, cap - off);
		ck_assert_int_ge(w, 0);
		off += (size_t)w;
	}
	return off;
}

static void
pkt_check(size_t i, const uint8_t *p, size_t len)
{
	size_t j;

	ck_assert_uint_eq(len, 1 + i * 97 % PKTQ_PKT_MAX);
	for (j = 0; j < len; j++)
		ck_assert_uint_eq(p[j], pat(i, j));
}

/*
 * Feed s in pieces of step bytes (0: all at once); check the preamble
 * and n datagrams come out, in order, and nothing else.
 */
static void
feed_check(const uint8_t *s, size_t total, size_t step, size_t n)
{
	struct carrier_codec k;
	const uint8_t *pkt;
	size_t off = 0, used, len, got = 0, piece;
	int r, pre = 0;

	ck_assert_int_eq(carrier_codec_init(&k, 4096), 0);
	carrier_codec_reset(&k, CARRIER_SERVER, NULL);
	ck_assert_uint_eq(buf_len(&k.out), 0);
	while (off < total) {
		piece = step == 0 || total - off < step ? total - off : step;
		while (piece > 0) {
			r = carrier_codec_read(&k, s + off, piece, &used, &pkt, &len);
			ck_assert_int_ge(r, 0);
			ck_assert_uint_le(used, piece);
			off += used;
			piece -= used;
			if (r == CARRIER_PREAMBLE) {
				ck_assert_int_eq(pre, 0);
				ck_assert_uint_eq(off, PREAMBLE_LEN);
				ck_assert_mem_eq(carrier_codec_id(&k), id1, CLIENTID_LEN);
				pre = 1;
			} else if (r == CARRIER_PKT) {
				ck_assert_int_eq(pre, 1);
				pkt_check(got++, pkt, len);
			} else {
				ck_assert_uint_eq(piece, 0);
			}
		}
	}
	ck_assert_int_eq(pre, 1);
	ck_assert_uint_eq(got, n);
	carrier_codec_free(&k);
}

START_TEST(test_drip)
{
	static uint8_t s[64 * (PKTQ_PKT_MAX + 8)];
	size_t total = stream_build(s, sizeof(s), 40);

	feed_check(s, total, 1, 40);
}
END_TEST

START_TEST(test_glued)
{
	static uint8_t s[64 * (PKTQ_PKT_MAX + 8)];
	size_t total = stream_build(s, sizeof(s), 40);

	feed_check(s, total, 0, 40);
}
END_TEST

/* Reads that cut the preamble (and the prefixes) anywhere. */
START_TEST(test_split_reads)
{
	static uint8_t s[8 * (PKTQ_PKT_MAX + 8)];
	size_t total = stream_build(s, sizeof(s), 5), step;

	for (step = 2; step <= PREAMBLE_LEN + 3; step++)
		feed_check(s, total, step, 5);
}
END_TEST

/* A prefix that would need a 4th byte: an error, and every later read too. */
START_TEST(test_oversize_prefix)
{
	static const uint8_t bad[] = { 0xc0 | 0x3f, 0xff, 0xff, 0x01 };
	struct carrier_codec k;
	uint8_t s[PREAMBLE_LEN + sizeof(bad)];
	const uint8_t *pkt;
	size_t used, len, off = 0;
	int r = 0;

	preamble_encode(id1, s);
	memcpy(s + PREAMBLE_LEN, bad, sizeof(bad));
	ck_assert_int_eq(carrier_codec_init(&k, 4096), 0);
	carrier_codec_reset(&k, CARRIER_SERVER, NULL);
	while (off < sizeof(s) && (r = carrier_codec_read(&k, s + off, 1, &used, &pkt, &len)) >= 0)
		off += used;
	ck_assert_int_eq(r, CARRIER_EFRAME);
	ck_assert_uint_le(off, sizeof(s));
	ck_assert_int_eq(carrier_codec_read(&k, s, sizeof(s), &used, &pkt, &len), CARRIER_EFRAME);
	ck_assert_uint_eq(used, 0);
	carrier_codec_free(&k);
}
END_TEST

/* A wrong token is seen once the preamble is whole; the error sticks. */
START_TEST(test_wrong_token)
{
	struct carrier_codec k;
	uint8_t s[PREAMBLE_LEN + 4];
	const uint8_t *pkt;
	size_t used, len;

	preamble_encode(id1, s);
	s[3] ^= 1;
	memset(s + PREAMBLE_LEN, 0x80, 4);
	ck_assert_int_eq(carrier_codec_init(&k, 4096), 0);
	carrier_codec_reset(&k, CARRIER_SERVER, NULL);
	ck_assert_int_eq(carrier_codec_read(&k, s, 10, &used, &pkt, &len), CARRIER_MORE);
	ck_assert_int_eq(carrier_codec_read(&k, s + 10, sizeof(s) - 10, &used, &pkt, &len),
	                 CARRIER_EPREAMBLE);
	ck_assert_int_eq(carrier_codec_read(&k, s, sizeof(s), &used, &pkt, &len), CARRIER_EPREAMBLE);
	carrier_codec_free(&k);
}
END_TEST

/* A chunk longer than a datagram is cut to PKTQ_PKT_MAX, not an error. */
START_TEST(test_long_chunk_cut)
{
	static uint8_t s[PREAMBLE_LEN + 2 * 4096];
	static uint8_t big[3000];
	struct carrier_codec k;
	const uint8_t *pkt;
	size_t off, used, len;
	ssize_t w;
	int r;

	preamble_encode(id1, s);
	memset(big, 0xab, sizeof(big));
	w = frame_encode_data(big, sizeof(big), s + PREAMBLE_LEN, sizeof(s) - PREAMBLE_LEN);
	ck_assert_int_gt(w, 0);
	off = PREAMBLE_LEN + (size_t)w;
	w = frame_encode_data(big, 10, s + off, sizeof(s) - off);
	off += (size_t)w;
	ck_assert_int_eq(carrier_codec_init(&k, 4096), 0);
	carrier_codec_reset(&k, CARRIER_SERVER, NULL);
	ck_assert_int_eq(carrier_codec_read(&k, s, off, &used, &pkt, &len), CARRIER_PREAMBLE);
	r = carrier_codec_read(&k, s + used, off - used, &used, &pkt, &len);
	ck_assert_int_eq(r, CARRIER_PKT);
	ck_assert_uint_eq(len, PKTQ_PKT_MAX);
	carrier_codec_free(&k);
}
END_TEST

/* Client role: the preamble first; then whole packets only, while they fit. */
START_TEST(test_fill_bounded)
{
	struct carrier_codec k;
	struct pktq q;
	uint8_t pkt[1000], pre[PREAMBLE_LEN];
	size_t i, moved;

	memset(pkt, 0x5a, sizeof(pkt));
	pktq_init(&q, 16);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(pktq_push(&q, pkt, sizeof(pkt)), 0);
	ck_assert_int_eq(carrier_codec_init(&k, 4096), 0);
	carrier_codec_reset(&k, CARRIER_CLIENT, id1);
	preamble_encode(id1, pre);
	ck_assert_uint_eq(buf_len(&k.out), PREAMBLE_LEN);
	ck_assert_mem_eq(buf_rptr(&k.out), pre, PREAMBLE_LEN);
	/* 16 + 4 x 1002 fits in 4096, a 5th does not: it stays queued. */
	moved = carrier_codec_fill(&k, &q);
	ck_assert_uint_eq(moved, 4);
	ck_assert_uint_eq(pktq_len(&q), 6);
	ck_assert_uint_eq(buf_len(&k.out), PREAMBLE_LEN + 4 * (sizeof(pkt) + 2));
	ck_assert_uint_eq(buf_rptr(&k.out)[PREAMBLE_LEN], 0xc0 | (sizeof(pkt) >> 7));
	ck_assert_uint_eq(carrier_codec_fill(&k, &q), 0);
	buf_consume(&k.out, buf_len(&k.out));
	ck_assert_uint_eq(carrier_codec_fill(&k, &q), 4);
	/* A new carrier starts clean, with its own preamble. */
	carrier_codec_reset(&k, CARRIER_CLIENT, id1);
	ck_assert_uint_eq(buf_len(&k.out), PREAMBLE_LEN);
	pktq_free(&q);
	carrier_codec_free(&k);
}
END_TEST

/* --- the fd glue ------------------------------------------------------------ */

#define PUMP_PKTS 1000
#define PUMP_LEN 1000
#define PUMP_QUEUE 64
#define PUMP_OUT 8192

struct pump {
	struct ev_loop *loop;
	struct carrier_io io;
	struct pktq q;
	int peer; /* the slow reader's end */
	ev_timer slow;
	struct carrier_codec rx;
	size_t pushed, got;
	size_t max_out, max_q;
	int rooms, failed;
	const char *why;
};

static void
pump_push(struct pump *p)
{
	uint8_t pkt[PUMP_LEN];
	size_t j;

	while (p->pushed < PUMP_PKTS && pktq_len(&p->q) < p->q.cap) {
		for (j = 0; j < sizeof(pkt); j++)
			pkt[j] = pat(p->pushed, j);
		ck_assert_int_eq(pktq_push(&p->q, pkt, sizeof(pkt)), 0);
		p->pushed++;
	}
	if (pktq_len(&p->q) > p->max_q)
		p->max_q = pktq_len(&p->q);
}

static struct pktq *
pump_queue(void *arg)
{
	struct pump *p = arg;

	if (buf_len(&p->io.k.out) > p->max_out)
		p->max_out = buf_len(&p->io.k.out);
	return &p->q;
}

/* As the tunnel does: room in the queue lets more packets in. */
static void
pump_room(void *arg)
{
	struct pump *p = arg;

	p->rooms++;
	pump_push(p);
}

static int
pump_connected(void *arg)
{
	(void)arg;
	return 0;
}

static int
pump_packet(void *arg, const uint8_t *pkt, size_t len)
{
	(void)arg;
	(void)pkt;
	(void)len;
	ck_abort_msg("the slow reader sends nothing");
	return -1;
}

static int
pump_read_done(void *arg, int any)
{
	(void)arg;
	(void)any;
	return 0;
}

static void
pump_failed(void *arg, const char *why)
{
	struct pump *p = arg;

	p->failed++;
	p->why = why;
	carrier_io_close(&p->io);
	ev_break(p->loop, EVBREAK_ALL);
}

static void
pkt_check_pump(size_t i, const uint8_t *pkt, size_t len)
{
	size_t j;

	ck_assert_uint_eq(len, PUMP_LEN);
	for (j = 0; j < len; j++)
		ck_assert_uint_eq(pkt[j], pat(i, j));
}

/* The slow reader: a little, now and then, checked as it comes. */
static void
pump_slow_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pump *p = w->data;
	uint8_t b[4096];
	const uint8_t *pkt, *s = b;
	size_t used, len;
	ssize_t n;
	int r;

	(void)revents;
	n = read(p->peer, b, sizeof(b));
	if (n <= 0)
		return;
	while (n > 0) {
		r = carrier_codec_read(&p->rx, s, (size_t)n, &used, &pkt, &len);
		ck_assert_int_ge(r, 0);
		s += used;
		n -= (ssize_t)used;
		if (r == CARRIER_PKT)
			pkt_check_pump(p->got++, pkt, len);
	}
	if (p->got == PUMP_PKTS)
		ev_break(loop, EVBREAK_ALL);
}

static const struct carrier_io_cb pump_cb = {
	.packet = pump_packet,
	.read_done = pump_read_done,
	.queue = pump_queue,
	.room = pump_room,
	.connected = pump_connected,
	.failed = pump_failed,
};

static void
pump_start(struct pump *p, enum carrier_role role)
{
	int sv[2], small = 4096;

	memset(p, 0, sizeof(*p));
	p->loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(net_set_nonblock(sv[0]), 0);
	ck_assert_int_eq(net_set_nonblock(sv[1]), 0);
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	p->peer = sv[1];
	pktq_init(&p->q, PUMP_QUEUE);
	ck_assert_int_eq(carrier_io_init(&p->io, p->loop, PUMP_OUT, &pump_cb, p), 0);
	ck_assert_int_eq(carrier_codec_init(&p->rx, 16), 0);
	carrier_codec_reset(&p->rx, CARRIER_SERVER, NULL);
	carrier_io_open(&p->io, sv[0], role, id1, role == CARRIER_CLIENT);
	ev_timer_init(&p->slow, pump_slow_cb, 0.0005, 0.0005);
	p->slow.data = p;
	ev_timer_start(p->loop, &p->slow);
}

static void
pump_end(struct pump *p)
{
	ev_timer_stop(p->loop, &p->slow);
	carrier_io_free(&p->io);
	carrier_codec_free(&p->rx);
	pktq_free(&p->q);
	if (p->peer != -1)
		close(p->peer);
	ev_loop_destroy(p->loop);
}

/* The whole queue reaches the slow reader intact; output and queue stay bounded. */
START_TEST(test_queue_to_slow_reader)
{
	struct pump p;

	pump_start(&p, CARRIER_CLIENT);
	pump_push(&p);
	carrier_io_update(&p.io);
	ck_assert(ev_is_active(&p.io.wr));
	ck_assert(!ev_is_active(&p.io.rd)); /* not before the connect is over */
	ev_run(p.loop, 0);
	ck_assert_int_eq(p.failed, 0);
	ck_assert_uint_eq(p.got, PUMP_PKTS);
	ck_assert_uint_le(p.max_out, PUMP_OUT);
	ck_assert_uint_le(p.max_q, PUMP_QUEUE);
	ck_assert_int_gt(p.rooms, PUMP_PKTS / PUMP_QUEUE - 1);
	/* Drained: nothing to write, so no write interest; reading goes on. */
	ck_assert_uint_eq(pktq_len(&p.q), 0);
	ck_assert_uint_eq(buf_len(&p.io.k.out), 0);
	carrier_io_update(&p.io);
	ck_assert(!ev_is_active(&p.io.wr));
	ck_assert(ev_is_active(&p.io.rd));
	pump_end(&p);
}
END_TEST

/* The peer goes away: one failed() call, "closed", and the owner's close holds. */
START_TEST(test_peer_closes)
{
	struct pump p;

	pump_start(&p, CARRIER_SERVER);
	ev_timer_stop(p.loop, &p.slow);
	carrier_io_update(&p.io);
	ck_assert(ev_is_active(&p.io.rd));
	ck_assert(!ev_is_active(&p.io.wr)); /* nothing to say yet */
	close(p.peer);
	p.peer = -1;
	ev_run(p.loop, 0);
	ck_assert_int_eq(p.failed, 1);
	ck_assert_str_eq(p.why, "closed");
	ck_assert(!carrier_io_is_open(&p.io));
	pump_end(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("carrier_io");
	TCase *tc = tcase_create("codec");
	TCase *tf = tcase_create("fd");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_drip);
	tcase_add_test(tc, test_glued);
	tcase_add_test(tc, test_split_reads);
	tcase_add_test(tc, test_oversize_prefix);
	tcase_add_test(tc, test_wrong_token);
	tcase_add_test(tc, test_long_chunk_cut);
	tcase_add_test(tc, test_fill_bounded);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tf, 20);
	tcase_add_test(tf, test_queue_to_slow_reader);
	tcase_add_test(tf, test_peer_closes);
	suite_add_tcase(s, tf);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
