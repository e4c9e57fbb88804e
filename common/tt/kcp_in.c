/* SPDX-License-Identifier: MIT */
/*
 * KCP input side: the segment codec and kcp_input(). A datagram is
 * checked whole (sizes, cmd, conv) before any of it is applied, so a
 * rejected datagram leaves the engine exactly as it was. Then, per
 * segment and in order, as ikcp does: the peer's window, the cumulative
 * una, and the command (ACK: RTT sample and release; PUSH: store, deliver
 * and owe an ACK; WASK: owe a WINS). Costs per segment: una release and
 * ACK lookup O(1) amortised through the sn-indexed send ring (plus the
 * O(log w) heap removal), PUSH O(1) through the sn-indexed receive ring;
 * after the datagram, one walk of the transmission-order list for fast
 * retransmit, amortised O(1) (kcp_out.c).
 */
#include "tt/kcp.h"

#include <stdlib.h>
#include <string.h>

#include "tt/kcp_int.h"

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

ssize_t
kcp_seg_decode(const uint8_t *p, size_t n, struct kcp_seghdr *h)
{
	if (n < KCP_OVERHEAD)
		return 0;
	if (p[4] < KCP_CMD_PUSH || p[4] > KCP_CMD_WINS)
		return -1;
	h->conv = get32(p);
	h->cmd = p[4];
	h->frg = p[5];
	h->wnd = (uint16_t)(p[6] | p[7] << 8);
	h->ts = get32(p + 8);
	h->sn = get32(p + 12);
	h->una = get32(p + 16);
	h->len = get32(p + 20);
	if (h->len > n - KCP_OVERHEAD)
		return 0;
	return (ssize_t)(KCP_OVERHEAD + h->len);
}

ssize_t
kcp_seg_encode(const struct kcp_seghdr *h, uint8_t *out, size_t outlen)
{
	if (outlen < KCP_OVERHEAD)
		return -1;
	put32(out, h->conv);
	out[4] = h->cmd;
	out[5] = h->frg;
	out[6] = (uint8_t)h->wnd;
	out[7] = (uint8_t)(h->wnd >> 8);
	put32(out + 8, h->ts);
	put32(out + 12, h->sn);
	put32(out + 16, h->una);
	put32(out + 20, h->len);
	return KCP_OVERHEAD;
}

int
kcp_peek_conv(const uint8_t *p, size_t n, uint32_t *conv)
{
	struct kcp_seghdr h;

	if (n > KCP_MTU_MAX || kcp_seg_decode(p, n, &h) <= 0)
		return -1;
	*conv = h.conv;
	return 0;
}

int
kcp_probe_only(const uint8_t *p, size_t n)
{
	struct kcp_seghdr h;
	ssize_t r;

	if (n == 0 || n > KCP_MTU_MAX)
		return 0;
	while (n > 0) {
		if ((r = kcp_seg_decode(p, n, &h)) <= 0)
			return 0;
		if (h.cmd != KCP_CMD_WASK && h.cmd != KCP_CMD_WINS)
			return 0;
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

/* --- input ---------------------------------------------------------------- */

/* RFC 6298 with G = the flush interval, in integer ms. */
static void
rtt_sample(struct kcp *k, uint32_t rtt)
{
	uint32_t rto;

	if (rtt > KCP_RTO_MAX)
		rtt = KCP_RTO_MAX;
	if (k->rx_srtt == 0) {
		k->rx_srtt = rtt > 0 ? rtt : 1;
		k->rx_rttval = rtt / 2;
	} else {
		uint32_t delta = rtt > k->rx_srtt ? rtt - k->rx_srtt : k->rx_srtt - rtt;

		k->rx_rttval = (3 * k->rx_rttval + delta) / 4;
		k->rx_srtt = (7 * k->rx_srtt + rtt) / 8;
		if (k->rx_srtt < 1)
			k->rx_srtt = 1;
	}
	rto = k->rx_srtt + (k->interval > 4 * k->rx_rttval ? k->interval : 4 * k->rx_rttval);
	if (rto < k->rx_minrto)
		rto = k->rx_minrto;
	k->rx_rto = rto > KCP_RTO_MAX ? KCP_RTO_MAX : rto;
}

/* Drop acknowledged slots off the front of the send ring. */
static void
una_skip(struct kcp *k)
{
	while (k->snd_una != k->snd_nxt && k->sbuf.slot[k->snd_una & k->sbuf.mask] == NULL)
		k->snd_una++;
}

static void
ack_one(struct kcp *k, struct kseg **slot)
{
	struct kseg *s = *slot;

	*slot = NULL;
	kcp_inflight_remove(k, s);
	kcp_seg_free(k, s);
}

/* Cumulative ACK: every segment below una arrived. Each sn is visited once. */
static void
parse_una(struct kcp *k, uint32_t una)
{
	if (kcp_diff(una, k->snd_una) <= 0)
		return;
	if (kcp_diff(una, k->snd_nxt) > 0)
		una = k->snd_nxt; /* the peer cannot have what we never sent */
	for (; k->snd_una != una; k->snd_una++) {
		struct kseg **slot = &k->sbuf.slot[k->snd_una & k->sbuf.mask];

		if (*slot != NULL)
			ack_one(k, slot);
	}
	una_skip(k);
}

static void
parse_ack(struct kcp *k, const struct kcp_seghdr *h, uint64_t *xmax)
{
	struct kseg **slot, *s;

	if (kcp_diff(k->current, h->ts) >= 0)
		rtt_sample(k, k->current - h->ts);
	if (kcp_diff(h->sn, k->snd_una) < 0 || kcp_diff(h->sn, k->snd_nxt) >= 0)
		return;
	slot = &k->sbuf.slot[h->sn & k->sbuf.mask];
	if ((s = *slot) == NULL)
		return;
	/* The ts echo tells which transmission arrived; only that one says
	 * anything about the segments sent before it. */
	if (s->ts == h->ts && s->xseq > *xmax)
		*xmax = s->xseq;
	ack_one(k, slot);
	una_skip(k);
}

static int
ack_push(struct kcp *k, uint32_t sn, uint32_t ts)
{
	if (k->nack == k->ackcap) {
		if (k->ackcap < KCP_ACK_MAX) {
			uint32_t ncap = k->ackcap ? 2 * k->ackcap : 64;
			void *na = kcp_arr_realloc(k, k->acks, (size_t)k->ackcap * sizeof(*k->acks),
			                           (size_t)ncap * sizeof(*k->acks));

			if (na == NULL)
				return -1;
			k->acks = na;
			k->ackcap = ncap;
		} else
			kcp_flush_acks(k);
	}
	k->acks[k->nack][0] = sn;
	k->acks[k->nack][1] = ts;
	k->nack++;
	return 0;
}

static void
rq_append(struct kcp *k, struct kseg *s)
{
	/* A zero-length stream segment carries nothing for the reader. */
	if (k->stream && s->len == 0) {
		kcp_seg_free(k, s);
		return;
	}
	s->next = NULL;
	if (k->rq_tail)
		k->rq_tail->next = s;
	else
		k->rq_head = s;
	k->rq_tail = s;
	k->nready++;
	k->ready_bytes += s->len;
}

static void
parse_push(struct kcp *k, const struct kcp_seghdr *h, const uint8_t *data)
{
	uint32_t off = h->sn - k->rcv_nxt;
	struct kseg *s, **slot = NULL;
	size_t reserve;

	if (kcp_diff(h->sn, k->rcv_nxt) < 0) {
		k->st.dup_segs++; /* our ACK was lost: ACK again */
		ack_push(k, h->sn, h->ts);
		return;
	}
	if (off >= kcp_wnd_unused(k)) {
		k->st.win_drops++;
		return;
	}
	/* A duplicate can only sit in a ring already big enough for it. */
	if (off > 0 && k->rbuf.slot != NULL && off <= k->rbuf.mask &&
	    k->rbuf.slot[h->sn & k->rbuf.mask] != NULL) {
		k->st.dup_segs++;
		ack_push(k, h->sn, h->ts);
		return;
	}
	/*
	 * The budget decides before the ring grows for a far-out segment,
	 * and out-of-order data never takes the process's last ooo_spare
	 * bytes: a flood of holes costs its sessions, not everyone's
	 * in-order traffic.
	 */
	reserve = off > 0 ? KCP_OOO_RESERVE * kcp_seg_cost(k->mss) : 0;
	if (off > 0 && k->ooo_spare > 0 &&
	    membudget_would_exceed(membudget_top(k->mb), k->ooo_spare + kcp_seg_cost(h->len))) {
		k->st.mem_drops++;
		return;
	}
	if ((s = kcp_seg_new(k, h->len, reserve)) == NULL) {
		k->st.mem_drops++;
		return; /* not ACKed: the peer will send it again */
	}
	if (off > 0) {
		if (kcp_ring_reserve(k, &k->rbuf, off) < 0) {
			kcp_seg_free(k, s);
			return;
		}
		slot = &k->rbuf.slot[h->sn & k->rbuf.mask];
	}
	if (ack_push(k, h->sn, h->ts) < 0) {
		kcp_seg_free(k, s);
		return;
	}
	memcpy(s->data, data, h->len);
	s->len = h->len;
	s->sn = h->sn;
	s->frg = h->frg;
	if (slot != NULL) {
		*slot = s;
		k->nrcv_buf++;
		return;
	}
	rq_append(k, s);
	k->rcv_nxt++;
	while (k->nrcv_buf > 0) {
		slot = &k->rbuf.slot[k->rcv_nxt & k->rbuf.mask];
		if (*slot == NULL)
			break;
		rq_append(k, *slot);
		*slot = NULL;
		k->nrcv_buf--;
		k->rcv_nxt++;
	}
}

/* Congestion window growth per newly acknowledged segment (nc = 0 only). */
static void
cwnd_grow(struct kcp *k, uint32_t acked)
{
	if (k->nocwnd || k->cwnd >= k->rmt_wnd)
		return;
	while (acked-- > 0 && k->cwnd < k->rmt_wnd) {
		if (k->cwnd < k->ssthresh)
			k->cwnd++;
		else if (++k->cwnd_acc >= k->cwnd) {
			k->cwnd_acc = 0;
			k->cwnd++;
		}
	}
}

/* Whole-datagram check, so that a bad datagram changes nothing. */
static int
validate(const struct kcp *k, const uint8_t *p, size_t n)
{
	struct kcp_seghdr h;
	size_t off = 0;
	ssize_t r;

	if (n < KCP_OVERHEAD || n > KCP_MTU_MAX)
		return -1;
	while (off < n) {
		if ((r = kcp_seg_decode(p + off, n - off, &h)) <= 0)
			return -1;
		if (h.conv != k->conv)
			return -1;
		/*
		 * Sane sequence numbers: a peer never acknowledges what was
		 * not sent, and never sends beyond our receive window or
		 * further back than one window (KCP_SANE_BACK of them) before
		 * what we have. A datagram that fails proves it is not from
		 * this session's peer (egress: the carrier is not the owner's).
		 */
		if (kcp_diff(h.una, k->snd_nxt) > 0)
			return -1;
		if (h.cmd == KCP_CMD_ACK && kcp_diff(h.sn, k->snd_nxt) >= 0)
			return -1;
		if (h.cmd == KCP_CMD_PUSH &&
		    (kcp_diff(h.sn, k->rcv_nxt + k->rcv_wnd) >= 0 ||
		     kcp_diff(k->rcv_nxt, h.sn) > (int32_t)(KCP_SANE_BACK * k->rcv_wnd)))
			return -1;
		/* A message we could never reassemble would wedge the queue. */
		if (!k->stream && h.cmd == KCP_CMD_PUSH && h.frg >= k->rcv_wnd)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

int
kcp_input(struct kcp *k, const uint8_t *p, size_t n)
{
	uint32_t prev_una = k->snd_una;
	uint64_t xmax = 0;
	size_t off = 0;

	if (validate(k, p, n) < 0) {
		k->st.in_bad++;
		return -1;
	}
	k->st.in_pkts++;
	k->last_busy = k->current; /* a pure receiver is never busy after its flush */
	while (off < n) {
		struct kcp_seghdr h;
		ssize_t r = kcp_seg_decode(p + off, n - off, &h);

		k->rmt_wnd = h.wnd;
		parse_una(k, h.una);
		switch (h.cmd) {
		case KCP_CMD_ACK:
			parse_ack(k, &h, &xmax);
			break;
		case KCP_CMD_PUSH:
			parse_push(k, &h, p + off + KCP_OVERHEAD);
			break;
		case KCP_CMD_WASK:
			k->probe |= KCP_ASK_TELL;
			break;
		case KCP_CMD_WINS:
			break; /* the window was taken from the header above */
		}
		off += (size_t)r;
	}
	if (k->snd_una != prev_una)
		cwnd_grow(k, k->snd_una - prev_una);
	if (xmax > 0 && k->fastresend > 0)
		kcp_fast_mark(k, xmax);
	return 0;
}
