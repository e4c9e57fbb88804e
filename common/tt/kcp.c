/* SPDX-License-Identifier: MIT */
/*
 * KCP engine: segments, rings, configuration and the application side
 * (send and receive). Datagram input and the codec are in kcp_in.c;
 * flushing, timers and the retransmission queues in kcp_out.c; the shared
 * structure in kcp_int.h.
 *
 * Data structures, chosen so that a full 65535-segment window costs O(1)
 * or O(log w) per segment and never a scan of the window:
 *  - send queue: FIFO of segments without an sn yet. In stream mode the
 *    tail grows to a full MSS before a new segment starts, so writes of
 *    any size leave the wire as full segments.
 *  - in flight: a ring indexed by sn & mask (sn in [snd_una, snd_nxt)), so
 *    an ACK finds its segment in O(1) and una frees segments in order,
 *    amortised O(1) each; plus the RTO heap and the transmission-order
 *    list of kcp_out.c.
 *  - receive: a segment equal to rcv_nxt goes straight to the ready queue;
 *    only out-of-order ones are held, in a ring indexed by sn & mask, so
 *    insertion and the drain that follows a filled hole are O(1) each.
 *  - ACKs owed: an array of (sn, ts), capped at KCP_ACK_MAX; when it fills
 *    the ACKs are flushed from kcp_input at once instead of growing it.
 *  - freed MSS-sized segments: a cache of up to KCP_SEGCACHE_MAX, reused
 *    before malloc, so a steady transfer allocates nothing. Other
 *    segments are allocated for their length: a flood of tiny or empty
 *    segments costs what it carries, not an MSS each.
 * Rings, heap, ACK array and cache are allocated on first use, grow by
 * doubling up to the window, and are freed after KCP_TRIM_MS with nothing
 * in flight, so an idle engine is the struct alone (about 400 bytes) plus
 * whatever received data the application has not read.
 *
 * Receive window: we advertise rcv_wnd minus the segments waiting in the
 * ready queue (as ikcp does), and hold an out-of-order segment only if it
 * falls inside that advertised window. Held plus ready segments therefore
 * never exceed rcv_wnd, so memory is bounded by rcv_wnd * MSS whatever
 * the peer sends; an owner that wants a byte bound sets rcv_wnd from it.
 * A segment refused for lack of room is not ACKed, so the sender
 * retransmits it; only a reordered stale window advertisement combined
 * with a reader that is not reading can cause that.
 *
 * Memory budget (kcp_set_membudget): every allocation is charged to it.
 * A send takes only what fits with KCP_SEND_RESERVE segments to spare;
 * an in-order segment that does not fit is dropped, and an out-of-order
 * one is dropped unless KCP_OOO_RESERVE full segments would still fit
 * after it, so the far-out segments go first and the one rcv_nxt waits
 * for still gets in. Dropped segments are not ACKed either.
 */
#include "tt/kcp.h"

#include <stdlib.h>
#include <string.h>

#include "tt/kcp_int.h"

/* --- segments and rings ------------------------------------------------ */

size_t
kcp_seg_cost(uint32_t cap)
{
	return membudget_cost(sizeof(struct kseg) + cap);
}

/*
 * A segment is allocated for what it carries: a received segment for its
 * length (a zero-length one costs its header), a stream-mode send segment
 * for a whole MSS because later writes fill it. Only MSS-sized ones are
 * cached. Cached segments are charged (they are held) but count as room:
 * the cache is dropped before anything is refused, so the test is on
 * what is held less the cache, whether the segment is new or reused.
 */
struct kseg *
kcp_seg_new(struct kcp *k, uint32_t cap, size_t reserve)
{
	size_t cost = kcp_seg_cost(cap), need = cost + reserve;
	size_t cached = (size_t)k->ncache * kcp_seg_cost(k->mss);
	struct kseg *s;

	if (need > cached && membudget_refuse(k->mb, need - cached))
		return NULL;
	if (cap == k->mss && k->cache != NULL) {
		s = k->cache;
		k->cache = s->next;
		k->ncache--;
	} else {
		if (membudget_would_exceed(k->mb, need))
			kcp_cache_trim(k);
		if ((s = malloc(sizeof(*s) + cap)) == NULL)
			return NULL;
		membudget_force(k->mb, cost);
		k->segmem += cost;
	}
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	return s;
}

static void
seg_release(struct kcp *k, struct kseg *s)
{
	size_t cost = kcp_seg_cost(s->cap);

	k->segmem -= cost;
	membudget_uncharge(k->mb, cost);
	free(s);
}

void
kcp_seg_free(struct kcp *k, struct kseg *s)
{
	if (s->cap == k->mss && k->ncache < KCP_SEGCACHE_MAX) {
		s->next = k->cache;
		k->cache = s;
		k->ncache++;
		return;
	}
	seg_release(k, s);
}

void
kcp_cache_trim(struct kcp *k)
{
	struct kseg *s;

	while ((s = k->cache) != NULL) {
		k->cache = s->next;
		seg_release(k, s);
	}
	k->ncache = 0;
}

/* Rings, heap and ACK list are bounded by the windows: charged, never refused. */
void *
kcp_arr_realloc(struct kcp *k, void *p, size_t oldn, size_t newn)
{
	void *np = realloc(p, newn);

	if (np == NULL)
		return NULL;
	if (p != NULL)
		membudget_uncharge(k->mb, membudget_cost(oldn));
	membudget_force(k->mb, membudget_cost(newn));
	return np;
}

void
kcp_arr_free(struct kcp *k, void *p, size_t n)
{
	if (p == NULL)
		return;
	membudget_uncharge(k->mb, membudget_cost(n));
	free(p);
}

static size_t
ring_bytes(const struct kring *r)
{
	return r->slot ? ((size_t)r->mask + 1) * sizeof(*r->slot) : 0;
}

/*
 * Make room for an entry at base + off. Entries keep their slot sn & mask,
 * so growing rehashes them: O(capacity) per doubling, amortised O(1).
 */
int
kcp_ring_reserve(struct kcp *k, struct kring *r, uint32_t off)
{
	uint32_t cap = r->slot ? r->mask + 1 : 0, ncap, i;
	struct kseg **ns;

	if (off < cap)
		return 0;
	ncap = cap ? cap : KCP_RING_MIN;
	while (ncap <= off)
		ncap <<= 1;
	ns = kcp_arr_realloc(k, NULL, 0, (size_t)ncap * sizeof(*ns));
	if (ns == NULL)
		return -1;
	memset(ns, 0, (size_t)ncap * sizeof(*ns));
	for (i = 0; i < cap; i++)
		if (r->slot[i] != NULL)
			ns[r->slot[i]->sn & (ncap - 1)] = r->slot[i];
	kcp_arr_free(k, r->slot, ring_bytes(r));
	r->slot = ns;
	r->mask = ncap - 1;
	return 0;
}

void
kcp_ring_trim(struct kcp *k, struct kring *r)
{
	kcp_arr_free(k, r->slot, ring_bytes(r));
	r->slot = NULL;
	r->mask = 0;
}

/* --- lifecycle and settings --------------------------------------------- */

struct kcp *
kcp_new(uint32_t conv, kcp_output_fn out, void *arg)
{
	struct kcp *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->conv = conv;
	k->output = out;
	k->arg = arg;
	k->mtu = KCP_MTU_DEFAULT;
	k->mss = k->mtu - KCP_OVERHEAD;
	k->stream = 1;
	k->snd_wnd = KCP_WND_DEFAULT;
	k->rcv_wnd = KCP_WND_DEFAULT;
	k->sendcap = 2 * k->snd_wnd;
	k->budget = UINT32_MAX;
	k->rmt_wnd = KCP_RMT_WND_INIT;
	k->cwnd = 1;
	k->ssthresh = KCP_THRESH_INIT;
	k->rx_rto = KCP_RTO_DEF;
	k->rx_minrto = KCP_RTO_MIN;
	k->interval = KCP_INTERVAL_MIN;
	k->nocwnd = 1;
	k->dead_link = KCP_DEADLINK_DEFAULT;
	return k;
}

static void
free_chain(struct kcp *k, struct kseg *s)
{
	struct kseg *next;

	for (; s != NULL; s = next) {
		next = s->next;
		kcp_seg_free(k, s);
	}
}

static void
free_ring(struct kcp *k, struct kring *r)
{
	uint32_t i;

	if (r->slot == NULL)
		return;
	for (i = 0; i <= r->mask; i++)
		if (r->slot[i] != NULL)
			kcp_seg_free(k, r->slot[i]);
	kcp_ring_trim(k, r);
}

void
kcp_free(struct kcp *k)
{
	if (k == NULL)
		return;
	free_chain(k, k->sq_head);
	free_chain(k, k->rq_head);
	free_ring(k, &k->sbuf);
	free_ring(k, &k->rbuf);
	kcp_cache_trim(k);
	kcp_heap_trim(k);
	kcp_arr_free(k, k->acks, (size_t)k->ackcap * sizeof(*k->acks));
	free(k);
}

void
kcp_nodelay(struct kcp *k, int nodelay, int interval, int resend, int nc)
{
	if (nodelay >= 0) {
		k->nodelay = nodelay;
		k->rx_minrto = nodelay ? KCP_RTO_NDL : KCP_RTO_MIN;
		if (k->rx_rto < k->rx_minrto)
			k->rx_rto = k->rx_minrto;
	}
	if (interval >= 0) {
		if (interval < KCP_INTERVAL_MIN)
			interval = KCP_INTERVAL_MIN;
		if (interval > KCP_INTERVAL_MAX)
			interval = KCP_INTERVAL_MAX;
		k->interval = (uint32_t)interval;
	}
	if (resend >= 0)
		k->fastresend = (uint32_t)resend;
	if (nc >= 0)
		k->nocwnd = nc != 0;
}

void
kcp_wndsize(struct kcp *k, unsigned snd, unsigned rcv)
{
	if (snd > 0) {
		k->snd_wnd = snd > KCP_WND_MAX ? KCP_WND_MAX : snd;
		k->sendcap = 2 * k->snd_wnd;
	}
	if (rcv > 0) {
		if (rcv > KCP_WND_MAX)
			rcv = KCP_WND_MAX;
		k->rcv_wnd = rcv < KCP_RCV_WND_MIN ? KCP_RCV_WND_MIN : rcv;
	}
}

static int
quiescent(const struct kcp *k)
{
	return k->sq_head == NULL && k->snd_una == k->snd_nxt;
}

int
kcp_setmtu(struct kcp *k, unsigned mtu)
{
	if (mtu < KCP_MTU_MIN || mtu > KCP_MTU_MAX || !quiescent(k))
		return -1;
	kcp_cache_trim(k); /* sized for the old MSS */
	k->mtu = mtu;
	k->mss = mtu - KCP_OVERHEAD;
	return 0;
}

int
kcp_stream(struct kcp *k, int on)
{
	if (!quiescent(k) || k->rq_head != NULL)
		return -1;
	k->stream = on != 0;
	return 0;
}

int
kcp_set_membudget(struct kcp *k, struct membudget *mb)
{
	if (kcp_memory(k) != sizeof(*k))
		return -1;
	k->mb = mb;
	return 0;
}

void
kcp_set_ooo_spare(struct kcp *k, size_t bytes)
{
	k->ooo_spare = bytes;
}

void
kcp_setbudget(struct kcp *k, uint32_t segments)
{
	k->budget = segments;
}

size_t
kcp_queued(const struct kcp *k)
{
	return k->nsnd_que;
}

void
kcp_setsendcap(struct kcp *k, unsigned segments)
{
	k->sendcap = segments > 0 ? segments : 1;
}

void
kcp_setdeadlink(struct kcp *k, unsigned n)
{
	k->dead_link = n < 2 ? 2 : n;
}

uint32_t
kcp_conv(const struct kcp *k)
{
	return k->conv;
}

void
kcp_tell(struct kcp *k)
{
	k->probe |= KCP_ASK_TELL;
}

int
kcp_dead(const struct kcp *k)
{
	return k->dead;
}

size_t
kcp_pending(const struct kcp *k)
{
	return k->nsnd_que + (k->snd_nxt - k->snd_una);
}

void
kcp_stats(const struct kcp *k, struct kcp_stats *st)
{
	*st = k->st;
	st->srtt = k->rx_srtt;
	st->rto = k->rx_rto;
	st->rmt_wnd = k->rmt_wnd;
}

size_t
kcp_memory(const struct kcp *k)
{
	size_t m = sizeof(*k) + k->segmem;

	if (k->sbuf.slot)
		m += ((size_t)k->sbuf.mask + 1) * sizeof(struct kseg *);
	if (k->rbuf.slot)
		m += ((size_t)k->rbuf.mask + 1) * sizeof(struct kseg *);
	m += (size_t)k->heapcap * sizeof(struct kheap_ent);
	m += (size_t)k->ackcap * sizeof(*k->acks);
	return m;
}

uint32_t
kcp_wnd_unused(const struct kcp *k)
{
	return k->nready < k->rcv_wnd ? k->rcv_wnd - k->nready : 0;
}

/*
 * The window we tell the peer: also no more full segments than the
 * budget has room for, past those already held, so an honest sender does
 * not send what would be dropped (and retransmitted until the link is
 * declared dead). Never 0 for memory alone: the peer would then wait for
 * a probe, while room comes back with ACKs and reads at any time.
 */
uint32_t
kcp_wnd_advertise(const struct kcp *k)
{
	uint32_t wnd = kcp_wnd_unused(k);
	size_t room = membudget_room(k->mb), seg = kcp_seg_cost(k->mss), fit;
	size_t reserve = KCP_OOO_RESERVE * seg;

	if (wnd == 0 || room == SIZE_MAX)
		return wnd;
	room += (size_t)k->ncache * seg;
	fit = (room > reserve ? (room - reserve) / seg : 0) + k->nrcv_buf + 1;
	return fit < wnd ? (uint32_t)fit : wnd;
}

/* --- application side ----------------------------------------------------- */

static size_t
send_reserve(const struct kcp *k)
{
	return KCP_SEND_RESERVE * kcp_seg_cost(k->mss);
}

static uint32_t
send_slots(const struct kcp *k)
{
	uint32_t used = kcp_pending(k) > UINT32_MAX ? UINT32_MAX : (uint32_t)kcp_pending(k);

	return used < k->sendcap ? k->sendcap - used : 0;
}

size_t
kcp_send_room(const struct kcp *k)
{
	size_t room = (size_t)send_slots(k) * k->mss;

	if (k->stream && k->sq_tail != NULL)
		room += k->sq_tail->cap - k->sq_tail->len;
	return room;
}

static void
sq_append(struct kcp *k, struct kseg *s)
{
	if (k->sq_tail)
		k->sq_tail->next = s;
	else
		k->sq_head = s;
	k->sq_tail = s;
	k->nsnd_que++;
}

/* Message mode: all fragments are allocated before any is queued. */
static ssize_t
send_message(struct kcp *k, const uint8_t *p, size_t n)
{
	struct kseg *head = NULL, *tail = NULL, *s;
	size_t count, i, left = n;

	if (n == 0)
		return -1;
	count = (n + k->mss - 1) / k->mss;
	if (count > KCP_MSG_FRAGS_MAX)
		return -1;
	if (count > send_slots(k))
		return 0;
	for (i = 0; i < count; i++) {
		size_t len = left < k->mss ? left : k->mss;

		if ((s = kcp_seg_new(k, (uint32_t)len, send_reserve(k))) == NULL) {
			free_chain(k, head);
			return -1;
		}
		memcpy(s->data, p, len);
		s->len = (uint32_t)len;
		s->frg = (uint8_t)(count - i - 1);
		if (tail)
			tail->next = s;
		else
			head = s;
		tail = s;
		p += len;
		left -= len;
	}
	if (k->sq_tail)
		k->sq_tail->next = head;
	else
		k->sq_head = head;
	k->sq_tail = tail;
	k->nsnd_que += (uint32_t)count;
	return (ssize_t)n;
}

ssize_t
kcp_send(struct kcp *k, const uint8_t *p, size_t n)
{
	size_t done = 0;

	if (!k->stream)
		return send_message(k, p, n);
	/* Top up the last unsent segment first: that is what keeps small
	 * writes from turning into small segments. */
	if (k->sq_tail != NULL && k->sq_tail->len < k->sq_tail->cap) {
		struct kseg *t = k->sq_tail;
		size_t len = t->cap - t->len;

		if (len > n)
			len = n;
		memcpy(t->data + t->len, p, len);
		t->len += (uint32_t)len;
		done = len;
	}
	while (done < n && send_slots(k) > 0) {
		size_t len = n - done < k->mss ? n - done : k->mss;
		struct kseg *s = kcp_seg_new(k, k->mss, send_reserve(k));

		if (s == NULL)
			break;
		memcpy(s->data, p + done, len);
		s->len = (uint32_t)len;
		sq_append(k, s);
		done += len;
	}
	return (ssize_t)done;
}

/* The window reopened after we advertised 0: tell the peer at the next flush. */
static void
maybe_tell_window(struct kcp *k)
{
	if (k->adv_zero && kcp_wnd_unused(k) > 0) {
		k->probe |= KCP_ASK_TELL;
		k->adv_zero = 0;
	}
}

static void
rq_pop(struct kcp *k)
{
	struct kseg *s = k->rq_head;

	k->rq_head = s->next;
	if (k->rq_head == NULL)
		k->rq_tail = NULL;
	k->nready--;
	k->ready_bytes -= s->len;
	k->rq_off = 0;
	kcp_seg_free(k, s);
}

/*
 * Message mode: the next message is the run of ready segments up to the
 * first with frg 0, at most head->frg + 1 of them (a peer that numbers
 * fragments wrongly gets its messages cut there, not an unbounded scan).
 * Return the number of segments (0: not complete yet) and the byte size.
 */
static uint32_t
next_message(const struct kcp *k, size_t *size)
{
	const struct kseg *s = k->rq_head;
	uint32_t want, i;

	*size = 0;
	if (s == NULL)
		return 0;
	want = (uint32_t)s->frg + 1;
	if (k->nready < want && s->frg != 0) {
		/* Not all there unless the run ends early. */
		for (i = 0; s != NULL; s = s->next, i++) {
			*size += s->len;
			if (s->frg == 0)
				return i + 1;
		}
		*size = 0;
		return 0;
	}
	for (i = 0; i < want; s = s->next) {
		*size += s->len;
		i++;
		if (s->frg == 0)
			break;
	}
	return i;
}

size_t
kcp_readable(const struct kcp *k)
{
	size_t size;

	if (k->stream)
		return k->ready_bytes - k->rq_off;
	next_message(k, &size);
	return size;
}

ssize_t
kcp_recv(struct kcp *k, uint8_t *buf, size_t n)
{
	size_t done = 0, size;
	uint32_t nseg;

	if (k->stream) {
		while (done < n && k->rq_head != NULL) {
			struct kseg *s = k->rq_head;
			size_t len = s->len - k->rq_off;

			if (len > n - done)
				len = n - done;
			memcpy(buf + done, s->data + k->rq_off, len);
			done += len;
			k->rq_off += (uint32_t)len;
			if (k->rq_off == s->len)
				rq_pop(k);
		}
		maybe_tell_window(k);
		return (ssize_t)done;
	}
	for (;;) {
		if ((nseg = next_message(k, &size)) == 0)
			return 0;
		if (size > n)
			return -1;
		while (nseg-- > 0) {
			memcpy(buf + done, k->rq_head->data, k->rq_head->len);
			done += k->rq_head->len;
			rq_pop(k);
		}
		maybe_tell_window(k);
		if (size > 0)
			return (ssize_t)size;
	}
}
