/* SPDX-License-Identifier: MIT */
/*
 * A bounded FIFO of packets (copies), used where packets cross between a
 * session and a carrier: the server-side per-client send queue and the
 * client-side carrier queues. Push never blocks: a full queue drops the
 * packet and counts it, which is what a datagram network would do and
 * what KCP repairs (tor.md §1.5). Storage grows on demand up to the cap
 * and shrinks back when the queue drains, so an idle queue costs only
 * the struct itself.
 */
#ifndef PW_PKTQ_H
#define PW_PKTQ_H

#include <stddef.h>
#include <stdint.h>

#define PKTQ_PKT_MAX 1400 /* Snowflake truncates to the KCP MTU as well */
#define PKTQ_CAP_DEFAULT 512

struct pktq_pkt;

struct pktq {
	struct pktq_pkt **ring; /* NULL while empty and shrunk */
	size_t size;            /* allocated slots, a power of two, ≤ cap rounded up */
	size_t cap;             /* maximum queued packets */
	size_t head, len;
	uint64_t dropped;   /* pushes refused because the queue was full */
	uint64_t truncated; /* packets cut to PKTQ_PKT_MAX */
};

void pktq_init(struct pktq *q, size_t cap);
void pktq_free(struct pktq *q);

/* Copy p in. 0 queued, -1 dropped (full or out of memory). */
int pktq_push(struct pktq *q, const uint8_t *p, size_t n);

/* The oldest packet without removing it; NULL when empty. */
const uint8_t *pktq_peek(const struct pktq *q, size_t *n);
void pktq_pop(struct pktq *q);

static inline size_t pktq_len(const struct pktq *q) { return q->len; }

struct buf;
/*
 * Move queued packets, each encapsulated as a data chunk (frame.h), into
 * b while whole ones fit: the carrier writers' one step between the
 * session's queue and the socket.
 */
void pktq_drain_framed(struct pktq *q, struct buf *b);

#endif
