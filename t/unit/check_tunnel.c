/* SPDX-License-Identifier: MIT */
/*
 * tunnel: a client and a server engine joined by an in-process link on a
 * simulated clock. Datagrams queue in each direction; a seeded PRNG drops
 * some. Streams must deliver every byte in order both ways, half-close
 * must pass through, and a burst of writes must be held back, not queued
 * without bound; a new stream's SYN leaves with its first bytes and its
 * first window update with the next datagram. Under a memory budget: a lossy transfer with a small
 * session cap still completes, an out-of-order flood is held under the
 * cap, the budget is back to zero after free, and a full global budget
 * refuses new sessions and streams. In secure mode: streams work with
 * a marker never seen in a datagram, streams opened before the handshake
 * wait for it, unknown credentials and a wrong pin end the session.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "base/membudget.h"
#include "tls/tlsmem.h"
#include "tt/kcp.h"
#include "tt/tunnel.h"

#define LINK_MAX 100000

struct pkt {
	uint16_t n;
	uint8_t d[1400];
};

struct side {
	struct tunnel *t;
	struct pkt *q; /* datagrams toward the other side */
	size_t qlen;
	uint32_t accepted; /* server: last stream the peer opened */
	int readable, writable;
};

static struct side cli, srv;
static uint64_t now;
static uint32_t rng = 12345;
static unsigned loss_pct;
static size_t marker_seen; /* datagrams that carried "MARKER-" in the clear */

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void
packet_cb(void *arg, const uint8_t *p, size_t n)
{
	struct side *s = arg;

	if (n > 1400)
		ck_abort_msg("datagram of %zu bytes", n);
	if (loss_pct && rnd() % 100 < loss_pct)
		return;
	if (s->qlen >= LINK_MAX)
		ck_abort_msg("link queue overflow");
	if (memmem(p, n, "MARKER-", 7) != NULL)
		marker_seen++;
	memcpy(s->q[s->qlen].d, p, n);
	s->q[s->qlen++].n = (uint16_t)n;
}

static void
accept_cb(void *arg, uint32_t sid)
{
	struct side *s = arg;

	s->accepted = sid;
}

static void
readable_cb(void *arg, uint32_t sid)
{
	struct side *s = arg;

	(void)sid;
	s->readable = 1;
}

static void
writable_cb(void *arg, uint32_t sid)
{
	struct side *s = arg;

	(void)sid;
	s->writable = 1;
}

static const struct tunnel_cb cbs = { packet_cb, accept_cb, readable_cb, writable_cb, NULL, NULL, NULL };

static void
setup_with(const struct tunnel_config *cfg)
{
	now = 1000;
	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	cli.q = calloc(LINK_MAX, sizeof(struct pkt));
	srv.q = calloc(LINK_MAX, sizeof(struct pkt));
	cli.t = tunnel_new(1, 0x11223344, cfg, &cbs, &cli, now);
	srv.t = tunnel_new(0, 0x11223344, cfg, &cbs, &srv, now);
	ck_assert_ptr_nonnull(cli.t);
	ck_assert_ptr_nonnull(srv.t);
}

static void
setup(void)
{
	struct tunnel_config cfg = { .fast_resend = 2 };

	setup_with(&cfg);
}

static void
teardown(void)
{
	tunnel_free(cli.t);
	tunnel_free(srv.t);
	free(cli.q);
	free(srv.q);
}

/*
 * Deliver everything queued each way, then let 1 ms pass. Input to one
 * side only ever queues toward the other, so each queue can be walked
 * and then emptied in place.
 */
static void
deliver(struct side *from, struct side *to)
{
	size_t i;

	for (i = 0; i < from->qlen; i++)
		tunnel_input(to->t, from->q[i].d, from->q[i].n, now);
	from->qlen = 0;
	tunnel_flush(to->t);
}

static void
step(void)
{
	deliver(&cli, &srv);
	deliver(&srv, &cli);
	now++;
	if (tunnel_next(cli.t, now) <= now)
		tunnel_tick(cli.t, now);
	if (tunnel_next(srv.t, now) <= now)
		tunnel_tick(srv.t, now);
}

static uint8_t
pat(size_t i)
{
	return (uint8_t)(i * 31 + (i >> 11));
}

/* Move total bytes from a to b on one stream; return simulated ms taken. */
static uint64_t
transfer(struct side *a, uint32_t asid, struct side *b, uint32_t bsid, size_t total)
{
	static uint8_t buf[65536];
	size_t sent = 0, got = 0, i;
	uint64_t start = now;
	ssize_t r;

	while (got < total) {
		ck_assert_msg(now - start < 600000, "stalled at %zu of %zu", got, total);
		while (sent < total) {
			size_t n = total - sent < sizeof(buf) ? total - sent : sizeof(buf);

			for (i = 0; i < n; i++)
				buf[i] = pat(sent + i);
			r = tunnel_write(a->t, asid, buf, n);
			ck_assert_int_ge(r, 0);
			if (r == 0)
				break;
			sent += (size_t)r;
		}
		step();
		while ((r = tunnel_read(b->t, bsid, buf, sizeof(buf))) > 0) {
			/* Check marks every assertion in a file: compare first, assert once. */
			for (i = 0; i < (size_t)r && buf[i] == pat(got + i); i++)
				;
			ck_assert_msg(i == (size_t)r, "byte %zu differs", got + i);
			got += (size_t)r;
		}
		ck_assert(!tunnel_dead(a->t) && !tunnel_dead(b->t));
	}
	return now - start;
}

static void
open_pair(uint32_t *csid, uint32_t *ssid)
{
	ck_assert_int_eq(tunnel_open(cli.t, csid), 0);
	ck_assert_uint_eq(*csid % 2, 1);
	srv.accepted = 0;
	while (srv.accepted == 0)
		step();
	*ssid = srv.accepted;
	ck_assert_uint_eq(*ssid, *csid);
}

START_TEST(test_bulk_both_ways)
{
	uint32_t c, s;

	open_pair(&c, &s);
	/* Lossless, 1 ms per round: a few rounds per MiB, not hundreds. */
	ck_assert_uint_lt(transfer(&cli, c, &srv, s, 4u << 20), 200);
	ck_assert_uint_lt(transfer(&srv, s, &cli, c, 4u << 20), 200);
}
END_TEST

START_TEST(test_lossy)
{
	uint32_t c, s;

	loss_pct = (unsigned)_i;
	open_pair(&c, &s);
	transfer(&cli, c, &srv, s, 1u << 20);
	transfer(&srv, s, &cli, c, 1u << 20);
	loss_pct = 0;
}
END_TEST

START_TEST(test_half_close)
{
	uint8_t buf[16];
	uint32_t c, s;
	int i;

	open_pair(&c, &s);
	ck_assert_int_eq(tunnel_write(cli.t, c, (const uint8_t *)"ping", 4), 4);
	ck_assert_int_eq(tunnel_shutdown(cli.t, c), 0);
	for (i = 0; i < 50; i++)
		step();
	ck_assert_int_eq(tunnel_read(srv.t, s, buf, sizeof(buf)), 4);
	ck_assert_int_eq(tunnel_read(srv.t, s, buf, sizeof(buf)), 0); /* EOF */
	/* the server can still answer after the client's FIN */
	ck_assert_int_eq(tunnel_write(srv.t, s, (const uint8_t *)"pong", 4), 4);
	for (i = 0; i < 50; i++)
		step();
	ck_assert_int_eq(tunnel_read(cli.t, c, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "pong", 4);
}
END_TEST

/* Step until a step leaves nothing in flight either way (bounded). */
static void
quiet(void)
{
	int i;

	for (i = 0; i < 200; i++) {
		step();
		if (cli.qlen == 0 && srv.qlen == 0 && tunnel_pending(cli.t) == 0 &&
		    tunnel_pending(srv.t) == 0)
			return;
	}
	ck_abort_msg("the session did not go quiet");
}

/*
 * A request and its answer: the first read's window update (smux sends
 * one at a stream's first read, as Go does) leaves with the answer or
 * the next request, not in a datagram of its own; with nothing else to
 * send it still leaves within the interval.
 */
START_TEST(test_first_upd_rides)
{
	uint8_t buf[64];
	uint32_t c, s;
	int i;

	open_pair(&c, &s);
	quiet();
	ck_assert_int_eq(tunnel_write(cli.t, c, (const uint8_t *)"GET", 3), 3);
	ck_assert_uint_eq(cli.qlen, 1);
	deliver(&cli, &srv);
	ck_assert_uint_eq(srv.qlen, 0); /* one ACK: it waits */
	ck_assert_int_eq(tunnel_read(srv.t, s, buf, sizeof(buf)), 3);
	ck_assert_uint_eq(srv.qlen, 0); /* the UPD waits too */
	ck_assert_int_eq(tunnel_write(srv.t, s, (const uint8_t *)"answer", 6), 6);
	ck_assert_uint_eq(srv.qlen, 1); /* UPD, answer and ACK in one datagram */
	deliver(&srv, &cli);
	ck_assert_int_eq(tunnel_read(cli.t, c, buf, sizeof(buf)), 6);
	ck_assert_mem_eq(buf, "answer", 6);
	ck_assert_uint_eq(cli.qlen, 0);
	/* Nothing else to send: the client's UPD and ACK go at the interval. */
	ck_assert_uint_le(tunnel_next(cli.t, now), now + 10);
	for (i = 0; i <= 10 && cli.qlen == 0; i++) {
		now++;
		if (tunnel_next(cli.t, now) <= now)
			tunnel_tick(cli.t, now);
	}
	ck_assert_uint_eq(cli.qlen, 1);
	deliver(&cli, &srv);
	/* The next request goes at once, in one datagram. */
	ck_assert_int_eq(tunnel_write(cli.t, c, (const uint8_t *)"GET2", 4), 4);
	ck_assert_uint_eq(cli.qlen, 1);
	quiet();
	ck_assert_int_eq(tunnel_read(srv.t, s, buf, sizeof(buf)), 4);
	ck_assert(!tunnel_dead(cli.t) && !tunnel_dead(srv.t));
}
END_TEST

/*
 * A new stream's SYN leaves with its first bytes, in one datagram; a
 * stream opened with nothing written still reaches the peer within the
 * interval.
 */
START_TEST(test_syn_with_first_bytes)
{
	uint8_t buf[16];
	uint32_t c, c2;
	int i;

	quiet();
	ck_assert_int_eq(tunnel_open(cli.t, &c), 0);
	ck_assert_uint_eq(cli.qlen, 0);
	ck_assert_int_eq(tunnel_write(cli.t, c, (const uint8_t *)"dest", 4), 4);
	ck_assert_uint_eq(cli.qlen, 1);
	srv.accepted = 0;
	deliver(&cli, &srv);
	ck_assert_uint_eq(srv.accepted, c);
	ck_assert_int_eq(tunnel_read(srv.t, c, buf, sizeof(buf)), 4);
	quiet();
	ck_assert_int_eq(tunnel_open(cli.t, &c2), 0);
	ck_assert_uint_eq(cli.qlen, 0);
	ck_assert_uint_le(tunnel_next(cli.t, now), now + 10);
	for (i = 0; i <= 10 && cli.qlen == 0; i++) {
		now++;
		if (tunnel_next(cli.t, now) <= now)
			tunnel_tick(cli.t, now);
	}
	ck_assert_uint_eq(cli.qlen, 1);
	srv.accepted = 0;
	deliver(&cli, &srv);
	ck_assert_uint_eq(srv.accepted, c2);
}
END_TEST

/* Streams one after another on one session, each closed at the end. */
START_TEST(test_sequential_streams)
{
	uint32_t c, s;
	int i, k;

	for (i = 0; i < 4; i++) {
		open_pair(&c, &s);
		transfer(&srv, s, &cli, c, 6u << 20);
		tunnel_shutdown(srv.t, s);
		tunnel_shutdown(cli.t, c);
		for (k = 0; k < 20; k++)
			step();
		tunnel_close(cli.t, c);
		tunnel_close(srv.t, s);
		for (k = 0; k < 20; k++)
			step();
	}
}
END_TEST

/* A reader that never reads: the writer is held back, memory stays bounded. */
START_TEST(test_backpressure)
{
	static uint8_t buf[65536];
	uint32_t c, s;
	size_t sent = 0;
	ssize_t r;
	int i;

	open_pair(&c, &s);
	for (i = 0; i < 3000; i++) {
		while ((r = tunnel_write(cli.t, c, buf, sizeof(buf))) > 0)
			sent += (size_t)r;
		step();
	}
	/* the peer's first window (256 KiB) plus KCP's send cap bound what the writer got rid of */
	ck_assert_uint_le(sent, 1u << 20);
	ck_assert_uint_ge(sent, 256u << 10);
	ck_assert_uint_lt(tunnel_memory(cli.t), 4u << 20);
}
END_TEST

/* The client's carrier queue takes `room` packets. */
static size_t room;

static size_t
room_cb(void *arg)
{
	(void)arg;
	return room;
}

/*
 * Pacing: with little room in the carrier queue, new data waits in KCP
 * (ACKs and repairs are not counted); tunnel_room() lets it out once
 * there is room, and a transfer paced like that still completes.
 */
START_TEST(test_room)
{
	static const struct tunnel_cb pcbs = { packet_cb, accept_cb, readable_cb, writable_cb,
		                               NULL, room_cb, NULL };
	struct tunnel_config cfg = { .fast_resend = 2 };
	static uint8_t buf[1 << 20], got[1 << 20];
	size_t sent = 0, rcvd = 0, first;
	uint32_t c, s;
	ssize_t r;
	int i;

	tunnel_free(cli.t);
	room = TUNNEL_ROOM_RESERVE + 10;
	cli.t = tunnel_new(1, 0x11223344, &cfg, &pcbs, &cli, now);
	ck_assert_ptr_nonnull(cli.t);
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(tunnel_open(cli.t, &c), 0);
	while ((r = tunnel_write(cli.t, c, buf + sent, sizeof(buf) - sent)) > 0)
		sent += (size_t)r;
	/* room is asked again at each flush: SYN at open, then 10 at the first write */
	ck_assert_uint_le(cli.qlen, 11);
	first = cli.qlen;
	room = TUNNEL_ROOM_RESERVE; /* nothing more without room */
	tunnel_room(cli.t);
	ck_assert_uint_eq(cli.qlen, first);
	room = TUNNEL_ROOM_RESERVE + 100;
	tunnel_room(cli.t);
	ck_assert_uint_gt(cli.qlen, first);
	ck_assert_uint_le(cli.qlen, first + 100);

	s = 0;
	room = TUNNEL_ROOM_RESERVE + 64;
	for (i = 0; i < 20000 && rcvd < sizeof(got); i++) {
		while (sent < sizeof(buf) &&
		       (r = tunnel_write(cli.t, c, buf + sent, sizeof(buf) - sent)) > 0)
			sent += (size_t)r;
		step();
		tunnel_room(cli.t);
		if (s == 0)
			s = srv.accepted;
		while (s != 0 && (r = tunnel_read(srv.t, s, got + rcvd, sizeof(got) - rcvd)) > 0)
			rcvd += (size_t)r;
	}
	ck_assert_uint_eq(rcvd, sizeof(got));
	ck_assert_mem_eq(got, buf, sizeof(got));
}
END_TEST

START_TEST(test_user_map)
{
	static int objs[3000];
	uint32_t sid;

	for (sid = 3; sid < 6003; sid += 2)
		ck_assert_int_eq(tunnel_set_user(cli.t, sid, &objs[sid / 2]), 0);
	for (sid = 3; sid < 6003; sid += 2)
		ck_assert_ptr_eq(tunnel_user(cli.t, sid), &objs[sid / 2]);
	for (sid = 3; sid < 6003; sid += 4)
		tunnel_set_user(cli.t, sid, NULL);
	for (sid = 3; sid < 6003; sid += 2)
		ck_assert_ptr_eq(tunnel_user(cli.t, sid), (sid - 3) % 4 ? &objs[sid / 2] : NULL);
	ck_assert_ptr_null(tunnel_user(cli.t, 0));
}
END_TEST

/* --- memory budget -------------------------------------------------------- */

static struct membudget global;

static void
setup_budget(size_t mem_max)
{
	struct tunnel_config cfg = { .fast_resend = 2, .mem_max = mem_max, .global = &global };

	membudget_init(&global, 0, NULL);
	setup_with(&cfg);
	ck_assert_uint_eq(tunnel_mem_max(srv.t), mem_max);
	ck_assert_uint_gt(global.used, 0);
}

static void
teardown_budget(void)
{
	tunnel_free(cli.t);
	tunnel_free(srv.t);
	cli.t = srv.t = NULL;
	ck_assert_uint_eq(global.used, 0);
	free(cli.q);
	free(srv.q);
}

/* 5 % loss both ways with a 2 MiB cap per session: every byte, in order. */
START_TEST(test_budget_lossy)
{
	const size_t cap = 2u << 20;
	uint32_t c, s;

	setup_budget(cap);
	loss_pct = 5;
	open_pair(&c, &s);
	transfer(&cli, c, &srv, s, 4u << 20);
	transfer(&srv, s, &cli, c, 4u << 20);
	loss_pct = 0;
	/* Forced charges (smux chunks, the rx buffer, arrays) may pass the cap a little. */
	ck_assert_uint_le(global.peak, 2 * (cap + (256u << 10)));
	teardown_budget();
}
END_TEST

/*
 * One datagram with one segment; data is whole smux NOPs so smux stays
 * happy. What tunnel_input returned (-1 beyond the receive window).
 */
static int
push_seg(struct tunnel *t, uint32_t sn, uint32_t len)
{
	static const uint8_t nop[8] = { 2, 3, 0, 0, 0, 0, 0, 0 };
	uint8_t pkt[1400];
	struct kcp_seghdr h = { 0x11223344, KCP_CMD_PUSH, 0, 128, (uint32_t)now, sn, 0, len };
	uint32_t i;

	kcp_seg_encode(&h, pkt, KCP_OVERHEAD);
	for (i = 0; i < len; i++)
		pkt[KCP_OVERHEAD + i] = nop[i % 8];
	return tunnel_input(t, pkt, KCP_OVERHEAD + len, now);
}

/*
 * The attack on a server session: segment 1 never comes, 2..65535 do. The
 * session holds no more than its cap; when 1 comes at last, everything
 * held is delivered and the session lives on.
 */
START_TEST(test_budget_ooo_flood)
{
	const size_t cap = 1u << 20;
	uint32_t sn;

	setup_budget(cap);
	ck_assert_int_eq(push_seg(srv.t, 0, 8), 0);
	/* Up to the end of the receive window; the first sn past it is refused whole. */
	for (sn = 2; sn <= 65535 && push_seg(srv.t, sn, 1376) == 0; sn++)
		;
	ck_assert_uint_gt(sn, 100);
	ck_assert_uint_lt(sn, 65535);
	tunnel_flush(srv.t);
	srv.qlen = 0; /* the ACKs */
	ck_assert_uint_le(tunnel_mem_used(srv.t), cap);
	fprintf(stderr, "tunnel out-of-order flood: %zu bytes held, cap %zu, peak (both) %zu\n",
	    tunnel_mem_used(srv.t), cap, global.peak);
	ck_assert_int_eq(push_seg(srv.t, 1, 1376), 0);
	tunnel_tick(srv.t, ++now);
	ck_assert(!tunnel_dead(srv.t));
	ck_assert_uint_le(tunnel_mem_used(srv.t), cap);
	teardown_budget();
}
END_TEST

/* A global budget near its limit refuses new sessions, then new streams. */
START_TEST(test_budget_admission)
{
	struct tunnel_config cfg = { .fast_resend = 2, .global = &global };
	uint32_t c;
	int i;

	setup_budget(TUNNEL_MEM_MIN);
	global.limit = global.used + TUNNEL_ADMIT_SESSION - 1;
	errno = 0;
	ck_assert_ptr_null(tunnel_new(0, 0x55, &cfg, &cbs, &srv, now));
	ck_assert_int_eq(errno, ENOBUFS);
	global.limit = global.used + TUNNEL_ADMIT_STREAM - 1;
	srv.accepted = 0;
	ck_assert_int_eq(tunnel_open(cli.t, &c), 0);
	for (i = 0; i < 50; i++)
		step();
	ck_assert_uint_eq(srv.accepted, 0);
	global.limit = 0;
	open_pair(&c, &c);
	teardown_budget();
}
END_TEST

/* --- secure mode ------------------------------------------------------- */

static struct tlsmem_ctx *sec_sctx, *sec_cctx;
static uint8_t sec_pin[TLSMEM_PIN_LEN];

static int
auth_cb(void *arg, const char *name, const uint8_t *secret, size_t slen)
{
	(void)arg;
	return strcmp(name, "alice") == 0 && slen == 6 && memcmp(secret, "s3cret", 6) == 0 ? 0 : -1;
}

static const struct tunnel_cb scbs = { packet_cb, accept_cb, readable_cb, writable_cb,
	                               NULL, NULL, auth_cb };

static void
setup_secure_as(const char *user, const char *secret, int wrong_pin)
{
	char pem[TLSMEM_KEY_PEM_MAX], path[] = "/tmp/check_tunnel.XXXXXX", fp[TLSMEM_FP_LEN + 1],
	                              err[TLS_ERR_MAX];
	struct tunnel_config ccfg = { .fast_resend = 2 }, scfg = { .fast_resend = 2 };
	struct tlsmem_key *k;
	int fd = mkstemp(path), n = tlsmem_key_generate(pem, sizeof(pem));

	ck_assert_int_eq(write(fd, pem, (size_t)n), n);
	close(fd);
	k = tlsmem_key_load(path, err, sizeof(err));
	unlink(path);
	ck_assert_ptr_nonnull(k);
	tlsmem_key_fingerprint(k, fp);
	ck_assert_int_eq(tlsmem_pin_parse(fp, sec_pin), 0);
	sec_pin[0] ^= (uint8_t)wrong_pin;
	sec_sctx = tlsmem_ctx_server(k, err, sizeof(err));
	sec_cctx = tlsmem_ctx_client(err, sizeof(err));
	tlsmem_key_free(k);
	scfg.tls = sec_sctx;
	ccfg.tls = sec_cctx;
	ccfg.pin = sec_pin;
	ccfg.user = user;
	ccfg.secret = (const uint8_t *)secret;
	ccfg.secret_len = strlen(secret);
	now = 1000;
	marker_seen = 0;
	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	cli.q = calloc(LINK_MAX, sizeof(struct pkt));
	srv.q = calloc(LINK_MAX, sizeof(struct pkt));
	cli.t = tunnel_new(1, 0x55667788, &ccfg, &scbs, &cli, now);
	srv.t = tunnel_new(0, 0x55667788, &scfg, &scbs, &srv, now);
	ck_assert_ptr_nonnull(cli.t);
	ck_assert_ptr_nonnull(srv.t);
}

static void
setup_secure(void)
{
	setup_secure_as("alice", "s3cret", 0);
}

static void
teardown_secure(void)
{
	teardown();
	tlsmem_ctx_free(sec_sctx);
	tlsmem_ctx_free(sec_cctx);
}

START_TEST(test_secure_bulk)
{
	static const char m[] = "MARKER-0123456789";
	uint8_t buf[64];
	uint32_t c, s;

	/* Opened before the handshake: the SYN waits for the channel. */
	open_pair(&c, &s);
	ck_assert_int_eq(tunnel_secured(cli.t), 1);
	ck_assert_int_eq(tunnel_secured(srv.t), 1);
	ck_assert_int_eq(tunnel_write(cli.t, c, (const uint8_t *)m, sizeof(m)), sizeof(m));
	while (tunnel_read(srv.t, s, buf, sizeof(buf)) <= 0)
		step();
	ck_assert_int_eq(memcmp(buf, m, sizeof(m)), 0);
	ck_assert_uint_lt(transfer(&cli, c, &srv, s, 4u << 20), 400);
	ck_assert_uint_lt(transfer(&srv, s, &cli, c, 4u << 20), 400);
	ck_assert_uint_eq(marker_seen, 0);
}
END_TEST

/* TLS records (type, version, length) in the data of datagram d's segments. */
static size_t
records_in(const struct pkt *d)
{
	struct kcp_seghdr h;
	size_t off = 0, n = 0, k;
	ssize_t r;

	while (off < d->n && (r = kcp_seg_decode(d->d + off, d->n - off, &h)) > 0) {
		const uint8_t *p = d->d + off + KCP_OVERHEAD;

		for (k = 0; k + 5 <= h.len; k += 5 + (size_t)(p[k + 3] << 8 | p[k + 4])) {
			ck_assert_uint_eq(p[k], 23); /* application data */
			n++;
		}
		ck_assert_uint_eq(k, h.len);
		off += (size_t)r;
	}
	ck_assert_uint_eq(off, d->n);
	return n;
}

/*
 * A stream's lazy FIN, the next stream's SYN and its first bytes are
 * three smux frames and one TLS record, in one datagram; a frame longer
 * than the batch is its own record and still arrives whole.
 */
START_TEST(test_secure_one_record)
{
	static uint8_t big[TUNNEL_SEC_BATCH + 100];
	uint8_t buf[sizeof(big)];
	uint32_t c, s, c2;
	size_t got = 0;
	ssize_t r;

	open_pair(&c, &s);
	ck_assert_int_eq(tunnel_write(cli.t, c, (const uint8_t *)"a", 1), 1);
	ck_assert_int_eq(tunnel_shutdown(srv.t, s), 0);
	quiet();
	ck_assert_int_eq(tunnel_shutdown_lazy(cli.t, c), 0);
	ck_assert_int_eq(tunnel_open(cli.t, &c2), 0);
	ck_assert_uint_eq(cli.qlen, 0);
	ck_assert_int_eq(tunnel_write(cli.t, c2, (const uint8_t *)"dest", 4), 4);
	ck_assert_uint_eq(cli.qlen, 1);
	ck_assert_uint_eq(records_in(&cli.q[0]), 1);
	srv.accepted = 0;
	deliver(&cli, &srv);
	ck_assert_uint_eq(srv.accepted, c2);
	ck_assert_int_eq(tunnel_read(srv.t, c2, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "dest", 4), 0);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(tunnel_write(cli.t, c2, big, sizeof(big)), sizeof(big));
	while (got < sizeof(big)) {
		step();
		while ((r = tunnel_read(srv.t, c2, buf + got, sizeof(buf) - got)) > 0)
			got += (size_t)r;
		ck_assert_uint_lt(now, 5000);
	}
	ck_assert_int_eq(memcmp(buf, big, sizeof(big)), 0);
}
END_TEST

START_TEST(test_secure_lossy)
{
	uint32_t c, s;

	loss_pct = 5;
	open_pair(&c, &s);
	transfer(&cli, c, &srv, s, 1u << 20);
	transfer(&srv, s, &cli, c, 1u << 20);
	loss_pct = 0;
}
END_TEST

static void
run_until_dead(void)
{
	int i;

	for (i = 0; i < 200 && !tunnel_dead(cli.t); i++)
		step();
}

START_TEST(test_secure_refused)
{
	uint32_t c;

	teardown_secure();
	setup_secure_as(_i ? "alice" : "mallory", _i ? "wrong!" : "s3cret", 0);
	ck_assert_int_eq(tunnel_open(cli.t, &c), 0);
	run_until_dead();
	ck_assert_int_eq(tunnel_dead(srv.t), 1);
	ck_assert_str_eq(tunnel_error(srv.t), "bad credentials");
	ck_assert_int_eq(tunnel_dead(cli.t), 1);
	ck_assert_str_eq(tunnel_error(cli.t), "the egress refused our credentials");
	ck_assert_uint_eq(srv.accepted, 0);
}
END_TEST

START_TEST(test_secure_wrong_pin)
{
	uint32_t c;

	teardown_secure();
	setup_secure_as("alice", "s3cret", 1);
	ck_assert_int_eq(tunnel_open(cli.t, &c), 0);
	run_until_dead();
	ck_assert_int_eq(tunnel_dead(cli.t), 1);
	ck_assert_int_eq(tunnel_error_is_pin(cli.t), 1);
	ck_assert_ptr_nonnull(strstr(tunnel_error(cli.t), "not the pinned one"));
	ck_assert_uint_eq(srv.accepted, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tunnel");
	TCase *tc = tcase_create("tunnel");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bulk_both_ways);
	tcase_add_loop_test(tc, test_lossy, 1, 2);
	tcase_add_loop_test(tc, test_lossy, 5, 6);
	tcase_add_loop_test(tc, test_lossy, 20, 21);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_first_upd_rides);
	tcase_add_test(tc, test_syn_with_first_bytes);
	tcase_add_test(tc, test_sequential_streams);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_room);
	tcase_add_test(tc, test_user_map);
	suite_add_tcase(s, tc);
	tc = tcase_create("budget");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_budget_lossy);
	tcase_add_test(tc, test_budget_ooo_flood);
	tcase_add_test(tc, test_budget_admission);
	suite_add_tcase(s, tc);
	tc = tcase_create("secure");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup_secure, teardown_secure);
	tcase_add_test(tc, test_secure_bulk);
	tcase_add_test(tc, test_secure_one_record);
	tcase_add_test(tc, test_secure_lossy);
	tcase_add_loop_test(tc, test_secure_refused, 0, 2);
	tcase_add_test(tc, test_secure_wrong_pin);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
