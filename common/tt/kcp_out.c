/* SPDX-License-Identifier: MIT */
/*
 * KCP output side: flush (ACKs, window probe/tell, fast and timed
 * retransmissions, new data, packed into datagrams of at most MTU bytes),
 * the clock (kcp_update, kcp_check) and the two structures that keep the
 * retransmission work proportional to what is due rather than to the
 * window:
 *
 *  - RTO heap: every in-flight segment, a binary min-heap on resendts with
 *    the index kept in the segment. Push, remove and re-key are
 *    O(log w); in a lossless run keys arrive in order, so a push is O(1)
 *    and the ACKed minimum is what is removed. A flush pops only what is
 *    due, and kcp_check reads the minimum in O(1).
 *  - transmission-order list: in-flight segments by their last
 *    transmission (a local counter, xseq). When an ACK arrives for a
 *    transmission, segments sent before it and still unACKed were skipped
 *    over; each input datagram that shows this adds one to their fastack,
 *    and at the fast-resend threshold they move to the fast list and go
 *    out at the next flush. This is ikcp's fastack rule ("ACKed past,
 *    counted per input, only by segments sent later") computed from the
 *    head of an ordered list instead of a window scan: a segment is
 *    visited at most `resend` times per transmission, so the cost is
 *    amortised O(1). Sender-side only; the wire cannot tell.
 *
 * Backoff follows kcp-go: each timed retransmission adds one RTO (half of
 * one with nodelay), capped at KCP_RTO_MAX; after dead_link transmissions
 * of one segment (20, about 40 s at a 200 ms RTO) kcp_dead() turns true.
 * Zero-window probing follows ikcp: WASK after 7 s, then every 1.5 times
 * longer up to 120 s; a receiver whose window reopens from 0 sends WINS.
 */
#include "tt/kcp.h"

#include <stdlib.h>
#include <string.h>

#include "tt/kcp_int.h"

/* --- lists ---------------------------------------------------------------- */

static void
dl_append(struct kdlist *l, struct kseg *s)
{
	s->xnext = NULL;
	s->xprev = l->tail;
	if (l->tail)
		l->tail->xnext = s;
	else
		l->head = s;
	l->tail = s;
}

static void
dl_remove(struct kdlist *l, struct kseg *s)
{
	if (s->xprev)
		s->xprev->xnext = s->xnext;
	else
		l->head = s->xnext;
	if (s->xnext)
		s->xnext->xprev = s->xprev;
	else
		l->tail = s->xprev;
	s->xprev = s->xnext = NULL;
}

static void
list_leave(struct kcp *k, struct kseg *s)
{
	if (s->list == KSEG_XMIT)
		dl_remove(&k->xq, s);
	else if (s->list == KSEG_FAST)
		dl_remove(&k->fq, s);
	s->list = KSEG_NONE;
}

/* --- RTO heap ------------------------------------------------------------- */

static void
heap_set(struct kcp *k, uint32_t i, struct kheap_ent e)
{
	k->heap[i] = e;
	e.s->heapi = i;
}

static void
heap_up(struct kcp *k, uint32_t i)
{
	struct kheap_ent e = k->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (kcp_diff(k->heap[parent].key, e.key) <= 0)
			break;
		heap_set(k, i, k->heap[parent]);
		i = parent;
	}
	heap_set(k, i, e);
}

static void
heap_down(struct kcp *k, uint32_t i)
{
	struct kheap_ent e = k->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= k->nheap)
			break;
		if (c + 1 < k->nheap && kcp_diff(k->heap[c + 1].key, k->heap[c].key) < 0)
			c++;
		if (kcp_diff(e.key, k->heap[c].key) <= 0)
			break;
		heap_set(k, i, k->heap[c]);
		i = c;
	}
	heap_set(k, i, e);
}

static int
heap_push(struct kcp *k, struct kseg *s)
{
	struct kheap_ent e = { s->resendts, s };

	if (k->nheap == k->heapcap) {
		uint32_t ncap = k->heapcap ? 2 * k->heapcap : KCP_RING_MIN;
		struct kheap_ent *nh = kcp_arr_realloc(k, k->heap, (size_t)k->heapcap * sizeof(*nh),
		                                        (size_t)ncap * sizeof(*nh));

		if (nh == NULL)
			return -1;
		k->heap = nh;
		k->heapcap = ncap;
	}
	heap_set(k, k->nheap++, e);
	heap_up(k, k->nheap - 1);
	return 0;
}

static void
heap_remove(struct kcp *k, struct kseg *s)
{
	uint32_t i = s->heapi;
	struct kseg *moved;

	if (--k->nheap == i)
		return;
	moved = k->heap[k->nheap].s;
	heap_set(k, i, k->heap[k->nheap]);
	heap_down(k, i);
	heap_up(k, moved->heapi);
}

/* s's resendts changed; it is in the heap. */
static void
heap_rekey(struct kcp *k, struct kseg *s)
{
	uint32_t i = s->heapi;

	k->heap[i].key = s->resendts;
	heap_down(k, i);
	heap_up(k, s->heapi);
}

void
kcp_heap_trim(struct kcp *k)
{
	kcp_arr_free(k, k->heap, (size_t)k->heapcap * sizeof(*k->heap));
	k->heap = NULL;
	k->heapcap = 0;
}

/* --- in flight ------------------------------------------------------------ */

void
kcp_inflight_remove(struct kcp *k, struct kseg *s)
{
	heap_remove(k, s);
	list_leave(k, s);
}

void
kcp_fast_mark(struct kcp *k, uint64_t xmax)
{
	struct kseg *s = k->xq.head, *next;

	for (; s != NULL && s->xseq < xmax; s = next) {
		next = s->xnext;
		if (++s->fastack < k->fastresend)
			continue;
		dl_remove(&k->xq, s);
		if (s->xmit <= KCP_FASTACK_LIMIT) {
			dl_append(&k->fq, s);
			s->list = KSEG_FAST;
		} else
			s->list = KSEG_NONE; /* the RTO alone from now on */
	}
}

uint32_t
kcp_resend_inflight(struct kcp *k, uint32_t max)
{
	struct kseg *s;
	uint32_t sn, n = 0;

	if (k->sbuf.slot == NULL)
		return 0;
	for (sn = k->snd_una; sn != k->snd_nxt; sn++) {
		s = k->sbuf.slot[sn & k->sbuf.mask];
		if (s == NULL)
			continue;
		s->rto = k->rx_rto;
		if (s->list == KSEG_FAST)
			continue;
		if (n < max) {
			list_leave(k, s);
			dl_append(&k->fq, s);
			s->list = KSEG_FAST;
			n++;
			continue;
		}
		/* The rest: one RTO of the new path away, not the dead one's backoff. */
		s->resendts = k->current + s->rto;
		heap_rekey(k, s);
	}
	return n;
}

/* --- packing -------------------------------------------------------------- */

struct kpkt {
	uint8_t b[KCP_MTU_MAX];
	size_t n;
	int any;
};

static void
pkt_emit(struct kcp *k, struct kpkt *p)
{
	if (p->n == 0)
		return;
	k->st.out_pkts++;
	k->st.out_bytes += p->n;
	k->output(p->b, p->n, k->arg);
	p->n = 0;
}

/* Room for need bytes, sending what is packed first if it would not fit. */
static uint8_t *
pkt_reserve(struct kcp *k, struct kpkt *p, size_t need)
{
	uint8_t *at;

	if (p->n + need > k->mtu)
		pkt_emit(k, p);
	at = p->b + p->n;
	p->n += need;
	p->any = 1;
	return at;
}

static void
put_ctl(struct kcp *k, struct kpkt *p, uint8_t cmd, uint32_t wnd, uint32_t sn, uint32_t ts)
{
	struct kcp_seghdr h = { k->conv, cmd, 0, (uint16_t)wnd, ts, sn, k->rcv_nxt, 0 };

	kcp_seg_encode(&h, pkt_reserve(k, p, KCP_OVERHEAD), KCP_OVERHEAD);
}

static void
put_acks(struct kcp *k, struct kpkt *p, uint32_t wnd)
{
	uint32_t i;

	for (i = 0; i < k->nack; i++)
		put_ctl(k, p, KCP_CMD_ACK, wnd, k->acks[i][0], k->acks[i][1]);
	k->nack = 0;
}

void
kcp_flush_acks(struct kcp *k)
{
	struct kpkt p;
	uint32_t wnd = kcp_wnd_advertise(k);

	p.n = 0;
	p.any = 0;
	put_acks(k, &p, wnd);
	pkt_emit(k, &p);
	if (p.any)
		k->adv_zero = wnd == 0;
}

/* One PUSH transmission of s (first or repeated). */
static void
put_push(struct kcp *k, struct kpkt *p, struct kseg *s, uint32_t wnd)
{
	struct kcp_seghdr h;
	uint8_t *at;

	s->ts = k->current;
	s->xseq = ++k->xseq;
	s->fastack = 0;
	list_leave(k, s);
	dl_append(&k->xq, s);
	s->list = KSEG_XMIT;
	h.conv = k->conv;
	h.cmd = KCP_CMD_PUSH;
	h.frg = k->stream ? 0 : s->frg;
	h.wnd = (uint16_t)wnd;
	h.ts = s->ts;
	h.sn = s->sn;
	h.una = k->rcv_nxt;
	h.len = s->len;
	at = pkt_reserve(k, p, KCP_OVERHEAD + s->len);
	kcp_seg_encode(&h, at, KCP_OVERHEAD);
	memcpy(at + KCP_OVERHEAD, s->data, s->len);
	k->st.out_segs++;
	if (s->xmit >= k->dead_link)
		k->dead = 1;
}

static void
probe_timer(struct kcp *k)
{
	if (k->rmt_wnd != 0) {
		k->ts_probe = 0;
		k->probe_wait = 0;
		return;
	}
	if (k->probe_wait == 0) {
		k->probe_wait = KCP_PROBE_INIT;
		k->ts_probe = k->current + k->probe_wait;
	} else if (kcp_diff(k->current, k->ts_probe) >= 0) {
		if (k->probe_wait < KCP_PROBE_INIT)
			k->probe_wait = KCP_PROBE_INIT;
		k->probe_wait += k->probe_wait / 2;
		if (k->probe_wait > KCP_PROBE_LIMIT)
			k->probe_wait = KCP_PROBE_LIMIT;
		k->ts_probe = k->current + k->probe_wait;
		k->probe |= KCP_ASK_SEND;
	}
}

static uint32_t
cwnd_now(const struct kcp *k)
{
	uint32_t c = k->snd_wnd < k->rmt_wnd ? k->snd_wnd : k->rmt_wnd;

	if (!k->nocwnd && k->cwnd < c)
		c = k->cwnd;
	return c;
}

/* Move a queued segment into flight and send it. -1: out of memory, it stays queued. */
static int
send_new(struct kcp *k, struct kpkt *p, uint32_t wnd)
{
	struct kseg *s = k->sq_head;

	if (kcp_ring_reserve(k, &k->sbuf, k->snd_nxt - k->snd_una) < 0)
		return -1;
	s->sn = k->snd_nxt;
	s->xmit = 1;
	s->rto = k->rx_rto;
	s->resendts = k->current + s->rto;
	if (heap_push(k, s) < 0)
		return -1;
	k->sq_head = s->next;
	if (k->sq_head == NULL)
		k->sq_tail = NULL;
	k->nsnd_que--;
	s->next = NULL;
	k->sbuf.slot[s->sn & k->sbuf.mask] = s;
	k->snd_nxt++;
	put_push(k, p, s, wnd);
	return 0;
}

void
kcp_flush(struct kcp *k)
{
	struct kpkt p;
	uint32_t wnd = kcp_wnd_advertise(k), cwnd, nfast = 0;
	int lost = 0;
	struct kseg *s;

	p.n = 0;
	p.any = 0;
	put_acks(k, &p, wnd);

	probe_timer(k);
	if (k->probe & KCP_ASK_SEND)
		put_ctl(k, &p, KCP_CMD_WASK, wnd, 0, 0);
	if (k->probe & KCP_ASK_TELL)
		put_ctl(k, &p, KCP_CMD_WINS, wnd, 0, 0);
	k->probe = 0;

	/* Repairs first: they are what the receiver is waiting on. */
	while ((s = k->fq.head) != NULL) {
		s->xmit++;
		s->resendts = k->current + s->rto;
		heap_rekey(k, s);
		put_push(k, &p, s, wnd);
		k->st.fast_retrans++;
		nfast++;
	}
	while (k->nheap > 0 && kcp_diff(k->current, k->heap[0].key) >= 0) {
		s = k->heap[0].s;
		s->xmit++;
		s->rto += k->nodelay ? k->rx_rto / 2 : k->rx_rto;
		if (s->rto > KCP_RTO_MAX)
			s->rto = KCP_RTO_MAX;
		s->resendts = k->current + s->rto;
		heap_rekey(k, s);
		put_push(k, &p, s, wnd);
		k->st.rto_retrans++;
		lost = 1;
	}

	cwnd = cwnd_now(k);
	while (k->sq_head != NULL && k->snd_nxt - k->snd_una < cwnd && k->budget > 0) {
		if (send_new(k, &p, wnd) < 0)
			break;
		if (k->budget != UINT32_MAX)
			k->budget--;
	}

	pkt_emit(k, &p);
	if (p.any)
		k->adv_zero = wnd == 0;

	if (nfast > 0) {
		uint32_t inflight = k->snd_nxt - k->snd_una;

		k->ssthresh = inflight / 2 < KCP_THRESH_MIN ? KCP_THRESH_MIN : inflight / 2;
		k->cwnd = k->ssthresh + k->fastresend;
		k->cwnd_acc = 0;
	}
	if (lost) {
		k->ssthresh = k->cwnd / 2 < KCP_THRESH_MIN ? KCP_THRESH_MIN : k->cwnd / 2;
		k->cwnd = 1;
		k->cwnd_acc = 0;
	}
}

/* Something other than ACKs (at most max_acks) and new data is due. */
static int
kcp_due(const struct kcp *k, uint32_t max_acks)
{
	return k->nack > max_acks || k->probe || k->fq.head != NULL || k->rmt_wnd == 0 ||
	       (k->nheap > 0 && kcp_diff(k->current, k->heap[0].key) >= 0);
}

void
kcp_flush_lazy(struct kcp *k, uint32_t max_acks)
{
	if (kcp_due(k, max_acks) ||
	    (k->sq_head != NULL && k->snd_nxt - k->snd_una < cwnd_now(k) && k->budget > 0))
		kcp_flush(k);
}

void
kcp_flush_due(struct kcp *k, uint32_t max_acks)
{
	if (kcp_due(k, max_acks))
		kcp_flush(k);
}

/* --- clock ------------------------------------------------------------------ */

static int
busy(const struct kcp *k)
{
	return k->sq_head != NULL || k->snd_una != k->snd_nxt || k->nrcv_buf > 0 || k->nack > 0;
}

static int
trimmable(const struct kcp *k)
{
	return k->sbuf.slot != NULL || k->rbuf.slot != NULL || k->heap != NULL || k->acks != NULL ||
	    k->cache != NULL;
}

/* Give idle memory back: an idle engine is its struct and its unread data. */
static void
trim(struct kcp *k)
{
	kcp_ring_trim(k, &k->sbuf);
	kcp_ring_trim(k, &k->rbuf);
	kcp_heap_trim(k);
	kcp_cache_trim(k);
	kcp_arr_free(k, k->acks, (size_t)k->ackcap * sizeof(*k->acks));
	k->acks = NULL;
	k->ackcap = 0;
}

void
kcp_update(struct kcp *k, uint32_t now)
{
	int32_t slap;

	k->current = now;
	if (!k->updated) {
		k->updated = 1;
		k->ts_flush = now;
		k->last_busy = now;
	}
	slap = kcp_diff(now, k->ts_flush);
	if (slap >= 10000 || slap < -10000) {
		k->ts_flush = now;
		slap = 0;
	}
	if (slap >= 0) {
		k->ts_flush += k->interval;
		if (kcp_diff(now, k->ts_flush) >= 0)
			k->ts_flush = now + k->interval;
		kcp_flush(k);
	}
	if (busy(k))
		k->last_busy = now;
	else if (trimmable(k) && kcp_diff(now, k->last_busy) >= KCP_TRIM_MS)
		trim(k);
}

static uint32_t
not_before(uint32_t t, uint32_t floor)
{
	return kcp_diff(t, floor) < 0 ? floor : t;
}

static uint32_t
earlier(uint32_t a, uint32_t b)
{
	return kcp_diff(a, b) < 0 ? a : b;
}

uint32_t
kcp_check(const struct kcp *k, uint32_t now)
{
	uint32_t tf, next;

	if (!k->updated)
		return now;
	if (kcp_diff(now, k->ts_flush) >= 10000 || kcp_diff(now, k->ts_flush) < -10000)
		return now;
	tf = not_before(k->ts_flush, now);
	if (k->nack > 0 || k->probe || k->fq.head != NULL ||
	    (k->rmt_wnd == 0 && k->probe_wait == 0) ||
	    (k->sq_head != NULL && k->snd_nxt - k->snd_una < cwnd_now(k) && k->budget > 0))
		return tf;
	next = now + KCP_CHECK_IDLE;
	if (k->nheap > 0)
		next = earlier(next, not_before(k->heap[0].key, tf));
	if (k->rmt_wnd == 0)
		next = earlier(next, not_before(k->ts_probe, tf));
	if (!busy(k) && trimmable(k))
		next = earlier(next, not_before(k->last_busy + KCP_TRIM_MS, tf));
	return next;
}
