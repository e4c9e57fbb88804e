/* SPDX-License-Identifier: MIT */
/*
 * KCP, the engine alone: segment codec vectors (t/data/kcp/vectors.txt),
 * the application side (send room, coalescing, message mode, settings,
 * idle memory), malformed datagrams checked against a snapshot of the
 * whole engine (rejection must change nothing), and the memory budget
 * under an out-of-order flood. The simulated link is kcp_sim.h; the
 * transfers over lossy links are check_kcp_link.c.
 */
#include "tt/kcp.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/membudget.h"
#include "tt/kcp_int.h"
#include "kcp_sim.h"
#include "vec.h"

/* --- codec ---------------------------------------------------------------- */

static ssize_t
parse_seg(const uint8_t *p, size_t n, void *ctx)
{
	struct kcp_seghdr h;

	(void)ctx;
	return kcp_seg_decode(p, n, &h);
}

START_TEST(test_vectors)
{
	size_t nv, i;
	struct vec *v = vec_load("kcp/vectors.txt", &nv);

	for (i = 0; i < nv; i++) {
		const struct vec *x = &v[i];
		struct kcp_seghdr h, w;
		uint8_t out[KCP_OVERHEAD];
		uint32_t conv;

		vec_check_stream(x, parse_seg, NULL);
		if (strcmp(x->result, "ok") != 0)
			continue;
		ck_assert_int_eq(kcp_seg_decode(x->bytes, x->len, &h), (ssize_t)x->len);
		w.conv = (uint32_t)vec_num(x, "conv");
		w.cmd = (uint8_t)vec_num(x, "cmd");
		w.frg = (uint8_t)vec_num(x, "frg");
		w.wnd = (uint16_t)vec_num(x, "wnd");
		w.ts = (uint32_t)vec_num(x, "ts");
		w.sn = (uint32_t)vec_num(x, "sn");
		w.una = (uint32_t)vec_num(x, "una");
		w.len = (uint32_t)vec_num(x, "len");
		ck_assert_msg(h.conv == w.conv && h.cmd == w.cmd && h.frg == w.frg &&
		    h.wnd == w.wnd && h.ts == w.ts && h.sn == w.sn && h.una == w.una &&
		    h.len == w.len, "line %d: fields", x->lineno);
		ck_assert_int_eq(kcp_seg_encode(&w, out, sizeof(out)), KCP_OVERHEAD);
		ck_assert_msg(memcmp(out, x->bytes, KCP_OVERHEAD) == 0, "line %d: encode", x->lineno);
		ck_assert_int_eq(kcp_peek_conv(x->bytes, x->len, &conv), 0);
		ck_assert_uint_eq(conv, w.conv);
	}
	free(v);
}
END_TEST

START_TEST(test_codec_roundtrip)
{
	uint64_t r = 88172645463325252ULL;
	uint8_t out[KCP_OVERHEAD + 4];
	int i;

	for (i = 0; i < 100000; i++) {
		struct kcp_seghdr h, g;

		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		h.conv = (uint32_t)r;
		h.cmd = (uint8_t)(KCP_CMD_PUSH + (r >> 32) % 4);
		h.frg = (uint8_t)(r >> 36);
		h.wnd = (uint16_t)(r >> 44);
		h.ts = (uint32_t)(r >> 20);
		h.sn = (uint32_t)(r >> 25);
		h.una = (uint32_t)(r >> 30);
		h.len = (uint32_t)(r >> 60) % 5;
		memset(out, 0, sizeof(out));
		if (kcp_seg_encode(&h, out, sizeof(out)) != KCP_OVERHEAD ||
		    kcp_seg_decode(out, KCP_OVERHEAD + h.len, &g) != (ssize_t)(KCP_OVERHEAD + h.len) ||
		    memcmp(&g, &h, sizeof(h)) != 0)
			ck_abort_msg("round trip %d", i);
	}
	ck_assert_int_eq(kcp_seg_encode(&(struct kcp_seghdr){ 0 }, out, KCP_OVERHEAD - 1), -1);
}
END_TEST

START_TEST(test_peek_conv)
{
	uint8_t p[KCP_OVERHEAD] = { 0x78, 0x56, 0x34, 0x12, KCP_CMD_ACK };
	uint32_t conv = 0;

	ck_assert_int_eq(kcp_peek_conv(p, sizeof(p), &conv), 0);
	ck_assert_uint_eq(conv, 0x12345678);
	ck_assert_int_eq(kcp_peek_conv(p, sizeof(p) - 1, &conv), -1);
	p[4] = 0;
	ck_assert_int_eq(kcp_peek_conv(p, sizeof(p), &conv), -1);
}
END_TEST

/* Probes and answers alone prove nothing; anything else, or a bad tail, is not "probe only". */
START_TEST(test_probe_only)
{
	uint8_t p[3 * KCP_OVERHEAD + 2] = { 0 };
	struct kcp_seghdr h = { .conv = 7, .cmd = KCP_CMD_WASK };

	ck_assert_int_eq(kcp_probe_only(p, 0), 0);
	ck_assert_int_eq(kcp_seg_encode(&h, p, sizeof(p)), KCP_OVERHEAD);
	ck_assert_int_eq(kcp_probe_only(p, KCP_OVERHEAD), 1);
	h.cmd = KCP_CMD_WINS;
	ck_assert_int_eq(kcp_seg_encode(&h, p + KCP_OVERHEAD, KCP_OVERHEAD), KCP_OVERHEAD);
	ck_assert_int_eq(kcp_probe_only(p, 2 * KCP_OVERHEAD), 1);
	/* a truncated segment behind them */
	ck_assert_int_eq(kcp_probe_only(p, 2 * KCP_OVERHEAD + 1), 0);
	/* an ACK, or data, behind them */
	h.cmd = KCP_CMD_ACK;
	ck_assert_int_eq(kcp_seg_encode(&h, p + 2 * KCP_OVERHEAD, KCP_OVERHEAD), KCP_OVERHEAD);
	ck_assert_int_eq(kcp_probe_only(p, 3 * KCP_OVERHEAD), 0);
	h.cmd = KCP_CMD_WASK;
	h.len = 2;
	ck_assert_int_eq(kcp_seg_encode(&h, p + 2 * KCP_OVERHEAD, KCP_OVERHEAD), KCP_OVERHEAD);
	ck_assert_int_eq(kcp_probe_only(p, sizeof(p)), 1);
	h.cmd = KCP_CMD_PUSH;
	ck_assert_int_eq(kcp_seg_encode(&h, p, KCP_OVERHEAD), KCP_OVERHEAD);
	ck_assert_int_eq(kcp_probe_only(p, sizeof(p)), 0);
}
END_TEST

/* --- application side ------------------------------------------------------ */

static uint8_t big[1 << 20];

START_TEST(test_backpressure)
{
	struct sim m;
	uint32_t mss = KCP_MTU_DEFAULT - KCP_OVERHEAD;
	ssize_t n;

	sim_init(&m, 16, 0, 0, 0, 10);
	m.s[1].no_read = 1;
	kcp_setsendcap(m.s[0].k, 10);
	ck_assert_uint_eq(kcp_send_room(m.s[0].k), 10 * mss);
	n = kcp_send(m.s[0].k, big, 100);
	ck_assert_int_eq(n, 100);
	ck_assert_uint_eq(kcp_send_room(m.s[0].k), 10 * mss - 100);
	n = kcp_send(m.s[0].k, big, sizeof(big));
	ck_assert_int_eq(n, 10 * mss - 100);
	ck_assert_int_eq(kcp_send(m.s[0].k, big, 1), 0);
	ck_assert_uint_eq(kcp_send_room(m.s[0].k), 0);
	ck_assert_uint_eq(kcp_pending(m.s[0].k), 10);
	/* Once acknowledged, room comes back. */
	while (kcp_pending(m.s[0].k) > 0)
		sim_step(&m);
	ck_assert_uint_eq(kcp_send_room(m.s[0].k), 10 * mss);
	ck_assert_uint_eq(kcp_readable(m.s[1].k), 10 * mss);
	sim_free(&m);
}
END_TEST

/* Tiny writes leave as full segments. */
START_TEST(test_stream_coalesce)
{
	struct sim m;
	struct kcp_seghdr h;
	uint8_t buf[4000];
	int i;

	sim_init(&m, 17, 0, 0, 0, 10);
	m.s[1].no_read = 1;
	for (i = 0; i < 3000; i++)
		ck_assert_int_eq(kcp_send(m.s[0].k, (const uint8_t *)"x", 1), 1);
	ck_assert_uint_eq(kcp_pending(m.s[0].k), 3);
	kcp_update(m.s[0].k, m.now);
	ck_assert_uint_eq(m.nheap, 3);
	for (i = 0; i < 3; i++) {
		struct spkt *p = m.heap[i];

		ck_assert_int_gt(kcp_seg_decode(p->data, p->len, &h), 0);
		ck_assert_uint_eq(h.frg, 0);
		ck_assert(h.len == 1376 || h.len == 3000 - 2 * 1376);
	}
	while (kcp_readable(m.s[1].k) < 3000)
		sim_step(&m);
	ck_assert_int_eq(kcp_recv(m.s[1].k, buf, sizeof(buf)), 3000);
	sim_free(&m);
}
END_TEST

/* Datagrams one engine emitted, for test_lazy_acks. */
struct lz {
	uint8_t pkt[8][1500];
	size_t len[8], n;
};

static void
lz_out(const uint8_t *pkt, size_t len, void *arg)
{
	struct lz *z = arg;

	CHECK(z->n < 8 && len <= sizeof(z->pkt[0]));
	memcpy(z->pkt[z->n], pkt, len);
	z->len[z->n++] = len;
}

/* Everything a emitted, into b. */
static void
lz_deliver(struct lz *z, struct kcp *b)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		ck_assert_int_eq(kcp_input(b, z->pkt[i], z->len[i]), 0);
	z->n = 0;
}

/*
 * kcp_flush_lazy: one or two ACKs alone wait; they ride with the answer
 * (one datagram), or leave at the interval; three go at once.
 */
START_TEST(test_lazy_acks)
{
	struct lz za = { .n = 0 }, zb = { .n = 0 };
	struct kcp *a = kcp_new(9, lz_out, &za), *b = kcp_new(9, lz_out, &zb);
	uint8_t data[4000] = { 0 };
	uint32_t now = 1000;

	kcp_update(a, now);
	kcp_update(b, now);
	ck_assert_int_eq(kcp_send(a, (const uint8_t *)"request", 7), 7);
	kcp_flush(a);
	ck_assert_uint_eq(za.n, 1);
	lz_deliver(&za, b);
	kcp_flush_lazy(b, 2);
	ck_assert_uint_eq(zb.n, 0); /* the ACK waits */
	ck_assert_int_eq(kcp_send(b, (const uint8_t *)"answer", 6), 6);
	kcp_flush_lazy(b, 2);
	ck_assert_uint_eq(zb.n, 1); /* ... and rides with the answer */
	ck_assert(has_cmd(zb.pkt[0], zb.len[0], KCP_CMD_ACK));
	ck_assert(has_cmd(zb.pkt[0], zb.len[0], KCP_CMD_PUSH));
	lz_deliver(&zb, a);

	/* Alone, it leaves at the interval. */
	ck_assert_int_eq(kcp_send(a, (const uint8_t *)"again", 5), 5);
	kcp_flush(a);
	lz_deliver(&za, b);
	kcp_flush_lazy(b, 2);
	ck_assert_uint_eq(zb.n, 0);
	ck_assert(kcp_diff(kcp_check(b, now), now + 10) <= 0);
	kcp_update(b, now + 10);
	ck_assert_uint_eq(zb.n, 1);
	ck_assert(has_cmd(zb.pkt[0], zb.len[0], KCP_CMD_ACK));
	ck_assert(!has_cmd(zb.pkt[0], zb.len[0], KCP_CMD_PUSH));
	lz_deliver(&zb, a);
	ck_assert_uint_eq(kcp_pending(a), 0);

	/* Three segments' ACKs go at once. */
	ck_assert_int_eq(kcp_send(a, data, sizeof(data)), (ssize_t)sizeof(data));
	kcp_update(a, now + 20);
	kcp_flush(a);
	ck_assert_uint_ge(za.n, 1);
	kcp_update(b, now + 20);
	ck_assert_uint_eq(zb.n, 0);
	lz_deliver(&za, b);
	ck_assert_int_eq(kcp_recv(b, data, sizeof(data)), (ssize_t)sizeof(data));
	kcp_flush_lazy(b, 2);
	ck_assert_uint_eq(zb.n, 1);
	ck_assert(has_cmd(zb.pkt[0], zb.len[0], KCP_CMD_ACK));
	kcp_free(a);
	kcp_free(b);
}
END_TEST

START_TEST(test_message_mode)
{
	static const size_t sizes[] = { 1, 1375, 1376, 1377, 5000, 128 * 1376, 7, 2 * 1376 };
	static uint8_t out[128 * 1376 + 1];
	struct sim m;
	size_t i, j, got = 0;
	ssize_t n;

	sim_init(&m, 18, 50, 20, 50, 20);
	m.s[0].no_read = m.s[1].no_read = 1;
	ck_assert_int_eq(kcp_stream(m.s[0].k, 0), 0);
	ck_assert_int_eq(kcp_stream(m.s[1].k, 0), 0);
	for (j = 0; j < sizeof(big); j++)
		big[j] = (uint8_t)(j * 31 + (j >> 8));
	ck_assert_int_eq(kcp_send(m.s[0].k, big, 0), -1);
	ck_assert_int_eq(kcp_send(m.s[0].k, big, 128 * 1376 + 1), -1);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		ck_assert_int_eq(kcp_send(m.s[0].k, big + i, sizes[i]), (ssize_t)sizes[i]);
	while (got < sizeof(sizes) / sizeof(sizes[0])) {
		sim_step(&m);
		while (kcp_readable(m.s[1].k) > 0) {
			size_t want = sizes[got];

			ck_assert_uint_eq(kcp_readable(m.s[1].k), want);
			if (want > 1)
				ck_assert_int_eq(kcp_recv(m.s[1].k, out, want - 1), -1);
			n = kcp_recv(m.s[1].k, out, sizeof(out));
			ck_assert_int_eq(n, (ssize_t)want);
			ck_assert(memcmp(out, big + got, want) == 0);
			got++;
		}
	}
	ck_assert_int_eq(kcp_recv(m.s[1].k, out, sizeof(out)), 0);
	sim_free(&m);
}
END_TEST

START_TEST(test_settings)
{
	struct kcp *k = kcp_new(1, sim_output, NULL);

	ck_assert_int_eq(kcp_setmtu(k, KCP_MTU_MIN - 1), -1);
	ck_assert_int_eq(kcp_setmtu(k, KCP_MTU_MAX + 1), -1);
	ck_assert_int_eq(kcp_setmtu(k, 576), 0);
	ck_assert_uint_eq(kcp_send_room(k), (size_t)2 * 65535 * (576 - 24));
	ck_assert_int_eq(kcp_send(k, big, 10), 10);
	ck_assert_int_eq(kcp_setmtu(k, 1400), -1); /* not with data queued */
	ck_assert_int_eq(kcp_stream(k, 0), -1);
	kcp_wndsize(k, 100000, 5);
	ck_assert_uint_eq(k->snd_wnd, 65535);
	ck_assert_uint_eq(k->rcv_wnd, 128);
	kcp_nodelay(k, 1, 1, 3, 0);
	ck_assert_uint_eq(k->interval, 10);
	ck_assert_uint_eq(k->rx_minrto, 30);
	kcp_nodelay(k, 0, 100000, -1, -1);
	ck_assert_uint_eq(k->interval, KCP_INTERVAL_MAX);
	ck_assert_uint_eq(k->fastresend, 3);
	ck_assert_uint_eq(kcp_conv(k), 1);
	kcp_free(k);
	kcp_free(NULL);
}
END_TEST

/* An idle engine is small, and gives back what a transfer made it allocate. */
START_TEST(test_idle_memory)
{
	struct sim m;
	size_t fresh, busy;
	int i;

	sim_init(&m, 19, 30, 0, 30, 20);
	fresh = kcp_memory(m.s[0].k);
	m.s[0].want = 8u << 20;
	m.s[1].want = 1u << 20;
	app_io(&m);
	for (i = 0; i < 50; i++)
		sim_step(&m);
	busy = kcp_memory(m.s[0].k);
	sim_run(&m, 600000);
	while (kcp_pending(m.s[0].k) > 0 || kcp_pending(m.s[1].k) > 0)
		sim_step(&m);
	for (i = 0; i < 300; i++) /* idle: only timers, a few seconds */
		sim_step(&m);
	fprintf(stderr, "kcp memory: fresh %zu, busy %zu, idle after 9 MiB %zu / %zu bytes\n",
	    fresh, busy, kcp_memory(m.s[0].k), kcp_memory(m.s[1].k));
	ck_assert_uint_le(fresh, 1024);
	ck_assert_uint_le(kcp_memory(m.s[0].k), 1024);
	ck_assert_uint_le(kcp_memory(m.s[1].k), 1024);
	/* Idle means no wake-ups either: kcp_check looks 10 s ahead. */
	ck_assert_int_ge(kcp_diff(kcp_check(m.s[0].k, m.now), m.now), 5000);
	sim_free(&m);
}
END_TEST

/* --- malformed input ------------------------------------------------------- */

static struct kcp snap;

static void
take_snap(const struct kcp *k)
{
	memcpy(&snap, k, sizeof(snap));
}

/* Rejected: -1 and not one byte of the engine changed but the counter. */
static void
expect_rejected(struct kcp *k, const uint8_t *p, size_t n, const char *what, size_t cut)
{
	uint64_t bad;

	take_snap(k);
	bad = snap.st.in_bad;
	if (kcp_input(k, p, n) != -1)
		ck_abort_msg("%s (%zu): accepted", what, cut);
	CHECK(k->st.in_bad == bad + 1);
	snap.st.in_bad = bad + 1;
	if (memcmp(&snap, k, sizeof(snap)) != 0)
		ck_abort_msg("%s (%zu): state changed", what, cut);
}

/* A mid-transfer engine and one of the datagrams its peer sends it. */
static void
busy_pair(struct sim *m, uint8_t *pkt, size_t *len, int want_multi)
{
	sim_init(m, 20, 0, 0, 0, 20);
	m->s[0].want = 1u << 20;
	m->s[1].want = 1u << 20;
	app_io(m);
	for (;;) {
		struct kcp_seghdr h;
		size_t i;

		sim_step(m);
		CHECK(!sim_done(m));
		for (i = 0; i < m->nheap; i++) {
			struct spkt *p = m->heap[i];

			if (p->to != 0)
				continue;
			/* Several segments, so that cuts land mid-header and mid-data. */
			if (want_multi && kcp_seg_decode(p->data, p->len, &h) == (ssize_t)p->len)
				continue;
			memcpy(pkt, p->data, p->len);
			*len = p->len;
			return;
		}
	}
}

START_TEST(test_cut_at_every_length)
{
	static uint8_t pkt[KCP_MTU_MAX];
	struct sim m;
	size_t len, cut, off = 0, bounds[64], nb = 0, b;
	struct kcp_seghdr h;
	ssize_t r;

	busy_pair(&m, pkt, &len, 1);
	while (off < len && (r = kcp_seg_decode(pkt + off, len - off, &h)) > 0) {
		off += (size_t)r;
		bounds[nb++] = off;
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_ge(nb, 2);
	for (cut = 0; cut < len; cut++) {
		int at_bound = 0;

		for (b = 0; b < nb; b++)
			at_bound |= bounds[b] == cut;
		if (!at_bound)
			expect_rejected(m.s[0].k, pkt, cut, "cut", cut);
	}
	/* Whole: accepted. With trailing bytes: refused. */
	pkt[len] = 0;
	for (cut = 1; cut < KCP_OVERHEAD && len + cut <= KCP_MTU_MAX; cut++)
		expect_rejected(m.s[0].k, pkt, len + cut, "trailing", cut);
	ck_assert_int_eq(kcp_input(m.s[0].k, pkt, len), 0);
	sim_free(&m);
}
END_TEST

START_TEST(test_garbage)
{
	static uint8_t pkt[2 * KCP_MTU_MAX], good[KCP_MTU_MAX];
	struct sim m;
	size_t len, glen, i, accepted = 0;
	uint64_t r = 0x9e3779b97f4a7c15ULL;

	busy_pair(&m, good, &glen, 0);
	for (i = 0; i < 20000; i++) {
		size_t j;
		uint64_t before;

		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		if (i % 2 == 0) {
			/* Noise, often with the right conv so the later checks are reached. */
			len = (size_t)(r % sizeof(pkt));
			for (j = 0; j < len; j++) {
				r ^= r << 13, r ^= r >> 7, r ^= r << 17;
				pkt[j] = (uint8_t)r;
			}
			if (len >= 4 && (r & 1))
				memcpy(pkt, good, 4);
		} else {
			/* A real datagram with a few bytes flipped. */
			len = glen;
			memcpy(pkt, good, glen);
			for (j = 0; j < 1 + r % 4; j++)
				pkt[(r >> (8 * j + 8)) % glen] ^= (uint8_t)(1u << (j + (r >> 40) % 5));
		}
		take_snap(m.s[0].k);
		before = snap.st.in_bad;
		if (kcp_input(m.s[0].k, pkt, len) == 0) {
			accepted++;
			continue;
		}
		snap.st.in_bad = before + 1;
		if (memcmp(&snap, m.s[0].k, sizeof(snap)) != 0)
			ck_abort_msg("garbage %zu changed state", i);
	}
	fprintf(stderr, "kcp garbage: %zu of 20000 accepted (flipped fields that stay valid)\n",
	    accepted);
	sim_free(&m);
}
END_TEST

START_TEST(test_bad_datagrams)
{
	static uint8_t pkt[KCP_MTU_MAX + 100];
	struct sim m;
	struct kcp_seghdr h = { 0 };
	size_t glen;

	busy_pair(&m, pkt, &glen, 0);
	h.conv = kcp_conv(m.s[0].k);
	h.cmd = KCP_CMD_PUSH;
	h.wnd = 100;
	h.sn = m.s[0].k->rcv_nxt;
	h.una = m.s[0].k->snd_una;

	/* Wrong conv. */
	h.conv ^= 1;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	expect_rejected(m.s[0].k, pkt, KCP_OVERHEAD, "conv", 0);
	h.conv ^= 1;
	/* Empty and tiny. */
	expect_rejected(m.s[0].k, pkt, 0, "empty", 0);
	expect_rejected(m.s[0].k, pkt, 1, "tiny", 0);
	/* Over KCP_MTU_MAX, even though well formed. */
	h.len = KCP_MTU_MAX + 1 - KCP_OVERHEAD;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	memset(pkt + KCP_OVERHEAD, 'z', h.len);
	expect_rejected(m.s[0].k, pkt, KCP_MTU_MAX + 1, "oversized", 0);
	/* A bad second segment spoils the first. */
	h.len = 0;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	memcpy(pkt + KCP_OVERHEAD, pkt, KCP_OVERHEAD);
	pkt[KCP_OVERHEAD + 4] = 99;
	expect_rejected(m.s[0].k, pkt, 2 * KCP_OVERHEAD, "second cmd", 0);
	/* len pointing past the end. */
	h.len = 1000;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	expect_rejected(m.s[0].k, pkt, KCP_OVERHEAD + 999, "short data", 0);
	/* The KCP_MTU_MAX datagram itself is fine. */
	h.len = KCP_MTU_MAX - KCP_OVERHEAD;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	ck_assert_int_eq(kcp_input(m.s[0].k, pkt, KCP_MTU_MAX), 0);
	sim_free(&m);
}
END_TEST

/*
 * Insane sequence numbers reject the whole datagram and change nothing: a
 * PUSH beyond the receive window, one from further back than
 * KCP_SANE_BACK windows (by wrap-around), an ACK or una for what was
 * never sent. The egress reads a rejected datagram as "not this
 * session's peer". A PUSH within the window but beyond what the budget
 * or window has room for is ignored instead (win_drops).
 */
START_TEST(test_out_of_window)
{
	struct kcp *k = kcp_new(7, sim_output, NULL);
	struct kcp_seghdr h = { 7, KCP_CMD_PUSH, 0, 10, 0, 65535, 0, 1 };
	uint8_t pkt[KCP_OVERHEAD + 1] = { 0 };
	size_t mem = kcp_memory(k);

	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	ck_assert_int_eq(kcp_input(k, pkt, sizeof(pkt)), -1);
	h.sn = 0x80000000u; /* from "the past", by wrap-around */
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	ck_assert_int_eq(kcp_input(k, pkt, sizeof(pkt)), -1);
	/* ACKs and una for what was never sent. */
	h.cmd = KCP_CMD_ACK;
	h.len = 0;
	h.sn = 0;
	h.una = 12345;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	ck_assert_int_eq(kcp_input(k, pkt, KCP_OVERHEAD), -1);
	h.una = 0;
	h.sn = 3;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	ck_assert_int_eq(kcp_input(k, pkt, KCP_OVERHEAD), -1);
	ck_assert_uint_eq(k->st.in_bad, 4);
	ck_assert_uint_eq(k->nack, 0);
	ck_assert_uint_eq(k->snd_una, 0);
	ck_assert_uint_eq(kcp_readable(k), 0);
	ck_assert_uint_eq(kcp_memory(k), mem);
	/* The last sn of the window is sane; a duplicate one window back too. */
	h.cmd = KCP_CMD_PUSH;
	h.len = 1;
	h.sn = k->rcv_wnd - 1;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	ck_assert_int_eq(kcp_input(k, pkt, sizeof(pkt)), 0);
	h.sn = (uint32_t)0 - k->rcv_wnd;
	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	ck_assert_int_eq(kcp_input(k, pkt, sizeof(pkt)), 0);
	ck_assert_uint_eq(kcp_readable(k), 0);
	kcp_free(k);
}
END_TEST

/* --- memory budget -------------------------------------------------------- */

static void
no_output(const uint8_t *pkt, size_t len, void *arg)
{
	(void)pkt;
	(void)len;
	(void)arg;
}

/* Feed PUSH segments sn first..last of len bytes, packed into datagrams. */
static void
feed_push(struct kcp *k, uint32_t first, uint32_t last, uint32_t len)
{
	static uint8_t pkt[KCP_MTU_MAX];
	size_t n = 0, seg = KCP_OVERHEAD + len;
	uint32_t sn;

	/* Beyond the receive window a datagram is refused whole: a flood stops there. */
	if (kcp_diff(last, k->rcv_nxt + k->rcv_wnd) >= 0)
		last = k->rcv_nxt + k->rcv_wnd - 1;
	for (sn = first;; sn++) {
		struct kcp_seghdr h = { kcp_conv(k), KCP_CMD_PUSH, 0, 128, 0, sn, 0, len };

		kcp_seg_encode(&h, pkt + n, KCP_OVERHEAD);
		memset(pkt + n + KCP_OVERHEAD, (int)sn, len);
		n += seg;
		if (n + seg > KCP_MTU_DEFAULT || sn == last) {
			CHECK(kcp_input(k, pkt, n) == 0);
			n = 0;
		}
		if (sn == last)
			break;
	}
}

/*
 * The attack: segment 0 never comes, 1..65535 do, each a full MSS. The
 * budget holds whatever the window says; segment 0 still fits at the end
 * and releases what was held in order.
 */
START_TEST(test_ooo_flood_capped)
{
	const size_t cap = 1u << 20;
	struct membudget b;
	struct kcp *k = kcp_new(9, no_output, NULL);
	uint32_t held;

	membudget_init(&b, cap, NULL);
	ck_assert_int_eq(kcp_set_membudget(k, &b), 0);
	feed_push(k, 1, 65535, KCP_MTU_DEFAULT - KCP_OVERHEAD);
	ck_assert_uint_le(b.peak, cap);
	ck_assert_uint_gt(k->st.mem_drops, 60000);
	held = k->nrcv_buf;
	ck_assert_uint_gt(held, 100);
	/* The far-out segments were dropped, not the room for the next one. */
	ck_assert(!membudget_would_exceed(&b, KCP_OOO_RESERVE * kcp_seg_cost(k->mss)));
	feed_push(k, 0, 0, KCP_MTU_DEFAULT - KCP_OVERHEAD);
	ck_assert_uint_eq(k->rcv_nxt, held + 1);
	ck_assert_uint_eq(kcp_readable(k), (size_t)(held + 1) * k->mss);
	ck_assert_uint_le(b.peak, cap);
	kcp_free(k);
	ck_assert_uint_eq(b.used, 0);
}
END_TEST

/* An empty segment costs its header, not an MSS; a flood of them a few MB, not 94. */
START_TEST(test_zero_length_cost)
{
	struct membudget b;
	struct kcp *k = kcp_new(9, no_output, NULL);
	size_t before;

	membudget_init(&b, 0, NULL);
	ck_assert_int_eq(kcp_set_membudget(k, &b), 0);
	feed_push(k, 1, 1, 0);
	before = b.used;
	feed_push(k, 2, 2, 0);
	ck_assert_uint_eq(b.used - before, kcp_seg_cost(0));
	ck_assert_uint_lt(kcp_seg_cost(0), 128);
	ck_assert_uint_eq(k->segmem, 2 * kcp_seg_cost(0));
	feed_push(k, 3, 65535, 0); /* the last is one past the window */
	ck_assert_uint_eq(k->nrcv_buf, 65534);
	fprintf(stderr, "kcp 65535 empty out-of-order segments: %zu bytes held\n", b.used);
	ck_assert_uint_lt(b.used, 65536 * (kcp_seg_cost(0) + 16));
	kcp_free(k);
	ck_assert_uint_eq(b.used, 0);
}
END_TEST

static Suite *
kcp_suite(void)
{
	Suite *s = suite_create("kcp");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_codec_roundtrip);
	tcase_add_test(tc, test_peek_conv);
	tcase_add_test(tc, test_probe_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("input");
	tcase_add_test(tc, test_cut_at_every_length);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_bad_datagrams);
	tcase_add_test(tc, test_out_of_window);
	tcase_add_test(tc, test_ooo_flood_capped);
	tcase_add_test(tc, test_zero_length_cost);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("app");
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_stream_coalesce);
	tcase_add_test(tc, test_lazy_acks);
	tcase_add_test(tc, test_message_mode);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_idle_memory);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kcp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
