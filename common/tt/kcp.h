/* SPDX-License-Identifier: MIT */
/*
 * KCP (reference/tor.md §1.9), written from the protocol description and
 * byte-compatible with ikcp and with kcp-go 5.x as Snowflake runs it (no
 * crypto, no FEC: kcp-go then adds nothing around the KCP datagram, its
 * headerSize is 0). A datagram is one or more segments back to back, each
 * a 24-byte little-endian header
 *
 *   conv u32 | cmd u8 | frg u8 | wnd u16 | ts u32 | sn u32 | una u32 | len u32
 *
 * followed by len data bytes; cmd is 81 PUSH, 82 ACK, 83 WASK (window
 * probe), 84 WINS (window tell). A datagram never exceeds the MTU.
 *
 * The engine does no I/O and reads no clock: the caller feeds datagrams to
 * kcp_input(), drives time with kcp_update(now_ms) at the time kcp_check()
 * asks for, and receives datagrams through the output callback, which is
 * only ever called from kcp_update(), kcp_flush() and kcp_input() (the
 * latter only when the bounded ACK list fills up). Same inputs, same
 * outputs: tests run on a simulated clock.
 *
 * Defaults are Snowflake's: MTU 1400, stream mode, windows 65535/65535,
 * nodelay(0, 10, 0, 1). Sender-only policies that the wire cannot see
 * (fast retransmit threshold, send-buffer cap, dead-link count) are ours
 * to choose; see kcp.c for the algorithms and their costs.
 */
#ifndef PW_KCP_H
#define PW_KCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KCP_OVERHEAD 24       /* segment header */
#define KCP_CMD_PUSH 81
#define KCP_CMD_ACK 82
#define KCP_CMD_WASK 83
#define KCP_CMD_WINS 84

#define KCP_MTU_DEFAULT 1400  /* MSS 1376 */
#define KCP_MTU_MIN 50
#define KCP_MTU_MAX 1500      /* kcp-go reads at most 1500 bytes; bigger input is refused */
#define KCP_WND_MAX 65535     /* wnd is a u16 on the wire */
#define KCP_WND_DEFAULT 65535 /* Snowflake, since issue 40026 */
#define KCP_INTERVAL_MIN 10   /* ikcp and kcp-go clamp below this */
#define KCP_INTERVAL_MAX 5000
#define KCP_DEADLINK_DEFAULT 20
#define KCP_FRG_MAX 255       /* message mode: fragments per message */

/* One segment header, host order. */
struct kcp_seghdr {
	uint32_t conv;
	uint8_t cmd;
	uint8_t frg;
	uint16_t wnd;
	uint32_t ts;
	uint32_t sn;
	uint32_t una;
	uint32_t len;
};

/*
 * Decode the segment at p. Return its whole size (KCP_OVERHEAD + len) with
 * *h set (the data is at p + KCP_OVERHEAD), 0 when p holds less than the
 * header or than the data it announces, -1 when cmd is not 81..84.
 */
ssize_t kcp_seg_decode(const uint8_t *p, size_t n, struct kcp_seghdr *h);

/* Write the 24-byte header for h. Return KCP_OVERHEAD, or -1 if outlen is short. */
ssize_t kcp_seg_encode(const struct kcp_seghdr *h, uint8_t *out, size_t outlen);

/*
 * The conv of a datagram, for a server that creates one kcp per client
 * from its first datagram. 0 with *conv set when p starts with a whole,
 * valid segment; -1 otherwise.
 */
int kcp_peek_conv(const uint8_t *p, size_t n, uint32_t *conv);

/*
 * Is the datagram at p made of window probes and their answers only
 * (WASK, WINS), whole segments and at least one? Such a datagram proves
 * nothing about its sender: besides the conv, its header fields pass
 * kcp_input's checks whatever their values.
 */
int kcp_probe_only(const uint8_t *p, size_t n);

struct kcp;
struct membudget;

/*
 * Called with one datagram of 1..mtu bytes; the buffer is reused
 * afterwards. It must not call back into the same engine (queue the
 * datagram instead): it runs in the middle of a flush or an input.
 */
typedef void (*kcp_output_fn)(const uint8_t *pkt, size_t len, void *arg);

/* A new engine with Snowflake's defaults; NULL when out of memory. */
struct kcp *kcp_new(uint32_t conv, kcp_output_fn out, void *arg);
void kcp_free(struct kcp *k);

/*
 * Take one datagram. 0 when it was accepted (which includes data that is
 * outside the window or already delivered: the protocol ignores those);
 * -1 when it is malformed (empty, longer than KCP_MTU_MAX, a bad cmd, a
 * segment cut short, trailing bytes) or carries another conv. A rejected
 * datagram changes no state: it is checked whole before anything is
 * applied.
 */
int kcp_input(struct kcp *k, const uint8_t *pkt, size_t n);

/*
 * Queue bytes for sending. Stream mode: return how many were taken, which
 * is less than n when the send cap is reached (0 when full); kcp_send_room()
 * says how much would be taken. Message mode: p is one message, taken
 * whole (return n) or not at all (0 when there is no room for it now, -1
 * when it is empty or could never fit: more than KCP_FRG_MAX fragments or
 * more than the receive window the peer can reassemble).
 */
ssize_t kcp_send(struct kcp *k, const uint8_t *p, size_t n);

/*
 * Take received data. Stream mode: up to n bytes of the in-order stream,
 * 0 when none is ready. Message mode: one whole message; 0 when none is
 * complete, -1 when the next one is longer than n (kcp_readable() gives
 * its size).
 */
ssize_t kcp_recv(struct kcp *k, uint8_t *buf, size_t n);

/* Stream: bytes kcp_recv() can return now. Message: size of the next whole message, or 0. */
size_t kcp_readable(const struct kcp *k);

/* Bytes kcp_send() would take now (stream mode; in message mode, an upper bound). */
size_t kcp_send_room(const struct kcp *k);

/* Segments queued or in flight: 0 when everything sent has been acknowledged. */
size_t kcp_pending(const struct kcp *k);

/* Advance the clock; flushes (ACKs, new data, retransmissions, probes) when one is due. */
void kcp_update(struct kcp *k, uint32_t now_ms);

/*
 * When kcp_update() next has work to do (absolute ms, never before now_ms
 * unless overdue, then now_ms). Idle engines answer up to 10 s ahead, so
 * call it again after kcp_input(), kcp_send() and kcp_recv().
 */
uint32_t kcp_check(const struct kcp *k, uint32_t now_ms);

/* Flush now at the last kcp_update() time: pending ACKs, window tells and probes, new data, due retransmissions. */
void kcp_flush(struct kcp *k);
/*
 * kcp_flush, unless all it would send is at most max_acks ACKs: those
 * then wait for the next flush that sends data (they ride along) or for
 * the interval (kcp_check says when), as kcp-go's ACKs do by default.
 */
void kcp_flush_lazy(struct kcp *k, uint32_t max_acks);
/*
 * kcp_flush_lazy, except that new data queued by kcp_send waits too
 * (kcp_check then says the interval): for what may ride with the next
 * datagram, e.g. an announcement nobody waits for. Everything else due
 * (more ACKs, tells, probes, retransmissions) still flushes all.
 */
void kcp_flush_due(struct kcp *k, uint32_t max_acks);

/*
 * The path changed (the old carrier died): the oldest max segments in
 * flight, presumed lost with it, go out again at the next flush as
 * repairs; every other one in flight is due one RTO from now, not when
 * its timer, backed off on the dead path, expires. Returns how many
 * were queued at once.
 */
uint32_t kcp_resend_inflight(struct kcp *k, uint32_t max);

/* 1 once a segment has been sent dead_link times without an ACK: the peer is gone. */
int kcp_dead(const struct kcp *k);

/*
 * nodelay 1 lowers the minimum RTO from 100 to 30 ms and backs off by half
 * an RTO per retransmission instead of a whole one; interval is the flush
 * period in ms (clamped to 10..5000; < 0 keeps it); resend is the fast
 * retransmit threshold (0 off, < 0 keeps it); nc 1 disables congestion
 * control (< 0 keeps it). Snowflake: (0, 10, 0, 1).
 */
void kcp_nodelay(struct kcp *k, int nodelay, int interval, int resend, int nc);

/* Windows in segments: snd 1..65535, rcv 128..65535 (0 keeps). Also resets the send cap to 2 * snd. */
void kcp_wndsize(struct kcp *k, unsigned snd, unsigned rcv);

/* KCP_MTU_MIN..KCP_MTU_MAX, and only while nothing is queued: 0, or -1. */
int kcp_setmtu(struct kcp *k, unsigned mtu);

/* Stream (1, the default) or message (0) mode; only while nothing is queued: 0, or -1. */
int kcp_stream(struct kcp *k, int on);

/* Most segments queued plus in flight before kcp_send() pushes back (default 2 * snd_wnd). */
void kcp_setsendcap(struct kcp *k, unsigned segments);

/*
 * New segments the next flushes may put in flight, counted down as they
 * go (UINT32_MAX, the default: no limit). A caller whose carrier queue
 * is nearly full sets what it can take, so fresh data waits in KCP's
 * queue instead of being dropped in the carrier's; repairs and ACKs are
 * not counted.
 */
void kcp_setbudget(struct kcp *k, uint32_t segments);

/*
 * Charge every allocation of k (segments by their size, rings, heap, ACK
 * list) to mb, which may have parents (base/membudget.h), and refuse what
 * does not fit: kcp_send takes less, a received segment is dropped (not
 * ACKed, so it comes again), out-of-order ones first. Only before any
 * traffic: 0, or -1. mb must outlive k.
 */
int kcp_set_membudget(struct kcp *k, struct membudget *mb);
/*
 * Keep bytes free at the top of the budget's chain from out-of-order
 * segments: one is dropped (and resent by the peer) when taking it would
 * leave less. 0: no such reserve.
 */
void kcp_set_ooo_spare(struct kcp *k, size_t bytes);

/* What one segment with room for cap data bytes costs, header and malloc's included. */
size_t kcp_seg_cost(uint32_t cap);

/* Segments queued and not yet in flight. */
size_t kcp_queued(const struct kcp *k);

/* Transmissions of one segment before kcp_dead() (default 20, min 2). */
void kcp_setdeadlink(struct kcp *k, unsigned n);

uint32_t kcp_conv(const struct kcp *k);
/*
 * Send a window tell (WINS) with the next flush: a datagram of the
 * conversation with no data, for a peer that waits to hear on a new path.
 */
void kcp_tell(struct kcp *k);

/* Counters for logs and tests. */
struct kcp_stats {
	uint64_t in_pkts, in_bad;     /* datagrams accepted / rejected */
	uint64_t out_pkts, out_bytes;
	uint64_t out_segs;            /* PUSH transmissions, retransmissions included */
	uint64_t rto_retrans, fast_retrans;
	uint64_t dup_segs;            /* PUSH already held or delivered */
	uint64_t win_drops;           /* PUSH beyond the receive window, not ACKed */
	uint64_t mem_drops;           /* PUSH refused by the memory budget, not ACKed */
	uint32_t srtt, rto;           /* ms */
	uint32_t rmt_wnd;             /* last window the peer advertised */
};
void kcp_stats(const struct kcp *k, struct kcp_stats *st);

/* Heap bytes held by k now (struct, buffers, segments), for memory tests. */
size_t kcp_memory(const struct kcp *k);

#endif
