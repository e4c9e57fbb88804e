/* SPDX-License-Identifier: MIT */
/*
 * KCP engine internals shared by kcp.c (configuration, send, receive,
 * input) and kcp_out.c (flush, timers, retransmission queues). Not for
 * other modules: they use kcp.h.
 */
#ifndef PW_KCP_INT_H
#define PW_KCP_INT_H

#include "base/membudget.h"
#include "tt/kcp.h"

#define KCP_RTO_NDL 30        /* min RTO with nodelay */
#define KCP_RTO_MIN 100       /* min RTO otherwise */
#define KCP_RTO_DEF 200
#define KCP_RTO_MAX 60000
#define KCP_RMT_WND_INIT 128  /* assumed peer window until it tells us */
#define KCP_RCV_WND_MIN 128   /* a whole message of KCP_MSG_FRAGS_MAX must fit */
#define KCP_MSG_FRAGS_MAX 128 /* as ikcp: a message never needs more than the minimum window */
#define KCP_THRESH_INIT 2
#define KCP_THRESH_MIN 2
#define KCP_PROBE_INIT 7000   /* first zero-window probe after 7 s */
#define KCP_PROBE_LIMIT 120000
#define KCP_FASTACK_LIMIT 5   /* fast retransmits per segment; RTO handles the rest */
#define KCP_ACK_MAX 2048      /* pending ACKs before they are flushed from kcp_input */
#ifndef KCP_SEGCACHE_MAX
#define KCP_SEGCACHE_MAX 1024 /* freed MSS segments kept for reuse while busy */
#endif
#define KCP_RING_MIN 16
/*
 * Out-of-order segments are admitted only while this many full segments
 * would still fit the memory budget, so the segment rcv_nxt waits for
 * always fits and the ones further out are dropped first.
 */
#define KCP_OOO_RESERVE 8
/* How many receive windows back a duplicate PUSH may be and still be sane. */
#define KCP_SANE_BACK 2
/*
 * Sends leave twice that, so that two engines whose budgets are full of
 * their own unacknowledged data still take each other's segments (and so
 * ACK them) instead of waiting for each other forever.
 */
#define KCP_SEND_RESERVE (2 * KCP_OOO_RESERVE)
#define KCP_TRIM_MS 1000      /* idle this long: give back rings, heap, ACK list */
#define KCP_CHECK_IDLE 10000  /* kcp_check horizon when nothing is pending */

#define KCP_ASK_SEND 1        /* send WASK */
#define KCP_ASK_TELL 2        /* send WINS */

/* Where an in-flight segment sits besides the ring and the RTO heap. */
enum kseg_list { KSEG_NONE, KSEG_XMIT, KSEG_FAST };

struct kseg {
	struct kseg *next;          /* send queue, ready queue */
	struct kseg *xprev, *xnext; /* in flight: transmission-order list or fast list */
	uint64_t xseq;              /* order of the last transmission (local) */
	uint32_t sn, ts, resendts, rto, xmit, fastack;
	uint32_t len, cap;
	uint32_t heapi;             /* index in the RTO heap */
	uint8_t frg;
	uint8_t list;               /* enum kseg_list */
	uint8_t data[];
};

/* Segment pointers indexed by sn & mask; slot is NULL until first use. */
struct kring {
	struct kseg **slot;
	uint32_t mask;
};

struct kheap_ent {
	uint32_t key; /* resendts */
	struct kseg *s;
};

struct kdlist {
	struct kseg *head, *tail;
};

struct kcp {
	uint32_t conv, mtu, mss;
	int stream, nodelay, nocwnd, updated, dead;
	uint32_t interval, fastresend, dead_link, sendcap;
	uint32_t budget;         /* new segments kcp_flush may still send (UINT32_MAX: any) */
	uint32_t current, ts_flush, last_busy;

	/* send side */
	uint32_t snd_una, snd_nxt;
	uint32_t snd_wnd, rmt_wnd, cwnd, ssthresh, cwnd_acc;
	struct kseg *sq_head, *sq_tail;   /* not yet sent; no sn yet */
	uint32_t nsnd_que;
	struct kring sbuf;                /* in flight, sn in [snd_una, snd_nxt) */
	struct kheap_ent *heap;           /* in flight, min-heap on resendts */
	uint32_t nheap, heapcap;
	struct kdlist xq;                 /* in flight, by last transmission */
	struct kdlist fq;                 /* fast retransmit due at next flush */
	uint64_t xseq;

	/* RTT (RFC 6298 shape, in ms) */
	uint32_t rx_srtt, rx_rttval, rx_rto, rx_minrto;

	/* window probing */
	uint32_t ts_probe, probe_wait;
	int probe;
	int adv_zero;                     /* last flush told the peer our window is 0 */

	/* receive side */
	uint32_t rcv_nxt, rcv_wnd;
	struct kring rbuf;                /* out of order, sn in (rcv_nxt, rcv_nxt + rcv_wnd) */
	uint32_t nrcv_buf;
	struct kseg *rq_head, *rq_tail;   /* in order, for kcp_recv */
	uint32_t nready, rq_off;
	size_t ready_bytes;

	/* ACKs owed, (sn, ts) pairs */
	uint32_t (*acks)[2];
	uint32_t nack, ackcap;

	/* Freed MSS-sized segments, reused before malloc: without them a
	 * window's worth of segments freed by one ACK datagram is handed
	 * back to the kernel and faulted in again on the next write. */
	struct kseg *cache;
	uint32_t ncache;

	kcp_output_fn output;
	void *arg;
	struct membudget *mb;             /* charged for every allocation; may be NULL */
	size_t ooo_spare;                 /* out of order only while the top budget keeps this free */
	size_t segmem;                    /* bytes in segments, cached ones included */
	struct kcp_stats st;
};

static inline int32_t
kcp_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/*
 * A segment with room for cap data bytes; NULL when out of memory or when
 * its cost plus reserve bytes would pass the memory budget.
 */
struct kseg *kcp_seg_new(struct kcp *k, uint32_t cap, size_t reserve);
/* Arrays (rings, heap, ACK list): realloc charged to the budget; NULL keeps p. */
void *kcp_arr_realloc(struct kcp *k, void *p, size_t oldn, size_t newn);
void kcp_arr_free(struct kcp *k, void *p, size_t n);
void kcp_seg_free(struct kcp *k, struct kseg *s);
void kcp_cache_trim(struct kcp *k);
uint32_t kcp_wnd_unused(const struct kcp *k);
uint32_t kcp_wnd_advertise(const struct kcp *k);
void kcp_flush_acks(struct kcp *k);
void kcp_inflight_remove(struct kcp *k, struct kseg *s);
void kcp_fast_mark(struct kcp *k, uint64_t xmax);
int kcp_ring_reserve(struct kcp *k, struct kring *r, uint32_t off);
void kcp_ring_trim(struct kcp *k, struct kring *r);
void kcp_heap_trim(struct kcp *k);

#endif
