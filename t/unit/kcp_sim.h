/* SPDX-License-Identifier: MIT */
/*
 * The simulated link the KCP suites share: two engines joined by a
 * datagram queue with a seeded PRNG, a simulated clock, loss,
 * duplication and reordering, driven only by kcp_check/kcp_update the
 * way an event loop would drive them. Each side writes a patterned byte
 * stream and checks every byte it reads, in order. Header-only (static
 * functions) so each suite stays a single translation unit, like vec.h.
 */
#ifndef PW_T_KCP_SIM_H
#define PW_T_KCP_SIM_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tt/kcp.h"
#include "tt/kcp_int.h"

/* For hot loops: every ck_assert is a write(2) to the runner. */
#define CHECK(cond) \
	do { \
		if (!(cond)) \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

struct spkt {
	uint32_t at;
	uint64_t seq;
	int to;
	size_t len;
	uint8_t data[KCP_MTU_MAX];
};

struct sim;

struct side {
	struct sim *sim;
	int id;
	struct kcp *k;
	uint64_t sent, rcvd, want; /* stream bytes written, read, to write */
	uint64_t pkts;
	uint32_t wins_drop;        /* drop this many datagrams holding a WINS */
	int drop_all;              /* this side's output vanishes */
	int no_read;
	uint32_t push_times[64];   /* PUSH transmission times, for backoff tests */
	int npush;
};

struct sim {
	struct side s[2];
	uint64_t rng, seq;
	unsigned loss, dup, reorder; /* per mille */
	uint32_t delay, now;
	uint32_t until;              /* when set, sim_step never goes past it */
	struct spkt **heap;
	size_t nheap, capheap;
};

static inline uint32_t
rnd(struct sim *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return (uint32_t)(m->rng >> 16);
}

static inline int
pkt_before(const struct spkt *a, const struct spkt *b)
{
	return a->at != b->at ? kcp_diff(a->at, b->at) < 0 : a->seq < b->seq;
}

static inline void
heap_push_pkt(struct sim *m, struct spkt *p)
{
	size_t i;

	if (m->nheap == m->capheap) {
		m->capheap = m->capheap ? 2 * m->capheap : 1024;
		m->heap = realloc(m->heap, m->capheap * sizeof(*m->heap));
		CHECK(m->heap != NULL);
	}
	i = m->nheap++;
	while (i > 0 && pkt_before(p, m->heap[(i - 1) / 2])) {
		m->heap[i] = m->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	m->heap[i] = p;
}

static inline struct spkt *
heap_pop_pkt(struct sim *m)
{
	struct spkt *top = m->heap[0], *last = m->heap[--m->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->nheap)
			break;
		if (c + 1 < m->nheap && pkt_before(m->heap[c + 1], m->heap[c]))
			c++;
		if (!pkt_before(m->heap[c], last))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->nheap > 0)
		m->heap[i] = last;
	return top;
}

static inline int
has_cmd(const uint8_t *p, size_t n, uint8_t cmd)
{
	struct kcp_seghdr h;
	size_t off = 0;
	ssize_t r;

	while (off < n && (r = kcp_seg_decode(p + off, n - off, &h)) > 0) {
		if (h.cmd == cmd)
			return 1;
		off += (size_t)r;
	}
	return 0;
}

static inline void
sim_queue(struct sim *m, int to, const uint8_t *pkt, size_t len, uint32_t extra)
{
	struct spkt *p = malloc(sizeof(*p));

	CHECK(p != NULL);
	p->at = m->now + m->delay + extra;
	p->seq = m->seq++;
	p->to = to;
	p->len = len;
	memcpy(p->data, pkt, len);
	heap_push_pkt(m, p);
}

static inline void
sim_output(const uint8_t *pkt, size_t len, void *arg)
{
	struct side *sd = arg;
	struct sim *m = sd->sim;
	struct kcp_seghdr h;

	if (len == 0 || len > sd->k->mtu)
		ck_abort_msg("output of %zu bytes", len);
	sd->pkts++;
	if (kcp_seg_decode(pkt, len, &h) > 0 && h.cmd == KCP_CMD_PUSH && sd->npush < 64)
		sd->push_times[sd->npush++] = m->now;
	if (sd->drop_all)
		return;
	if (sd->wins_drop > 0 && has_cmd(pkt, len, KCP_CMD_WINS)) {
		sd->wins_drop--;
		return;
	}
	if (m->loss && rnd(m) % 1000 < m->loss)
		return;
	sim_queue(m, 1 - sd->id, pkt, len,
	    m->reorder && rnd(m) % 1000 < m->reorder ? 1 + rnd(m) % (2 * m->delay + 1) : 0);
	if (m->dup && rnd(m) % 1000 < m->dup)
		sim_queue(m, 1 - sd->id, pkt, len, rnd(m) % (m->delay + 1));
}

static inline void
sim_init(struct sim *m, uint64_t seed, unsigned loss, unsigned dup, unsigned reorder,
    uint32_t delay)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->rng = seed * 2654435761ULL + 1;
	m->loss = loss;
	m->dup = dup;
	m->reorder = reorder;
	m->delay = delay;
	m->now = 1000;
	for (i = 0; i < 2; i++) {
		m->s[i].sim = m;
		m->s[i].id = i;
		m->s[i].k = kcp_new(0x5eed0000u + (uint32_t)seed, sim_output, &m->s[i]);
		ck_assert_ptr_nonnull(m->s[i].k);
	}
}

static inline void
sim_free(struct sim *m)
{
	while (m->nheap > 0)
		free(heap_pop_pkt(m));
	free(m->heap);
	kcp_free(m->s[0].k);
	kcp_free(m->s[1].k);
}

/* Byte i of the stream from side id. */
static inline uint8_t
pattern(int id, uint64_t i)
{
	return (uint8_t)((i * 2654435761u >> 13) + (uint64_t)id * 77 + (i >> 20));
}

static inline void
app_io(struct sim *m)
{
	static uint8_t buf[65536];
	int i;

	for (i = 0; i < 2; i++) {
		struct side *sd = &m->s[i], *peer = &m->s[1 - i];
		ssize_t n;
		size_t j;

		while (sd->sent < sd->want) {
			size_t len = sd->want - sd->sent < sizeof(buf) ? sd->want - sd->sent : sizeof(buf);

			for (j = 0; j < len; j++)
				buf[j] = pattern(i, sd->sent + j);
			n = kcp_send(sd->k, buf, len);
			CHECK(n >= 0);
			sd->sent += (uint64_t)n;
			if ((size_t)n < len)
				break;
		}
		while (!sd->no_read && (n = kcp_recv(sd->k, buf, sizeof(buf))) > 0) {
			for (j = 0; j < (size_t)n; j++)
				if (buf[j] != pattern(1 - i, sd->rcvd + j))
					ck_abort_msg("side %d: byte %llu wrong", i,
					    (unsigned long long)(sd->rcvd + j));
			sd->rcvd += (uint64_t)n;
			CHECK(sd->rcvd <= peer->want);
		}
	}
}

/*
 * One event: advance to the earliest of both kcp_check answers and the
 * next delivery, deliver what is due, update both, let the apps run.
 */
static inline void
sim_step(struct sim *m)
{
	uint32_t next = kcp_check(m->s[0].k, m->now);
	uint32_t c1 = kcp_check(m->s[1].k, m->now);
	int i;

	if (kcp_diff(c1, next) < 0)
		next = c1;
	if (m->nheap > 0 && kcp_diff(m->heap[0]->at, next) < 0)
		next = m->heap[0]->at;
	if (m->until && kcp_diff(next, m->until) > 0)
		next = m->until;
	CHECK(kcp_diff(next, m->now) >= 0);
	m->now = next;
	while (m->nheap > 0 && kcp_diff(m->heap[0]->at, m->now) <= 0) {
		struct spkt *p = heap_pop_pkt(m);

		CHECK(kcp_input(m->s[p->to].k, p->data, p->len) == 0);
		free(p);
	}
	app_io(m);
	for (i = 0; i < 2; i++)
		kcp_update(m->s[i].k, m->now);
	app_io(m);
}

static inline int
sim_done(const struct sim *m)
{
	return m->s[0].rcvd == m->s[1].want && m->s[1].rcvd == m->s[0].want;
}

/* Run until both streams are through; return the simulated time taken. */
static inline uint32_t
sim_run(struct sim *m, uint32_t limit_ms)
{
	uint32_t start = m->now;

	app_io(m);
	while (!sim_done(m)) {
		sim_step(m);
		CHECK(!kcp_dead(m->s[0].k) && !kcp_dead(m->s[1].k));
		if (kcp_diff(m->now, start) >= (int32_t)limit_ms)
			ck_abort_msg("stalled: %llu/%llu and %llu/%llu bytes after %u ms",
			    (unsigned long long)m->s[1].rcvd, (unsigned long long)m->s[0].want,
			    (unsigned long long)m->s[0].rcvd, (unsigned long long)m->s[1].want,
			    limit_ms);
	}
	return m->now - start;
}

#endif
