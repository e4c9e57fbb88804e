/* SPDX-License-Identifier: MIT */
#include "tt/pktq.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "proto/frame.h"

struct pktq_pkt {
	uint16_t len;
	uint8_t data[];
};

#define PKTQ_MIN_SIZE 8

void
pktq_init(struct pktq *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->cap = cap ? cap : PKTQ_CAP_DEFAULT;
}

void
pktq_free(struct pktq *q)
{
	while (q->len)
		pktq_pop(q);
	free(q->ring);
	q->ring = NULL;
	q->size = 0;
}

/* Double the ring, unwrapping the queued packets to the front. */
static int
pktq_grow(struct pktq *q)
{
	size_t nsize = q->size ? q->size * 2 : PKTQ_MIN_SIZE, i;
	struct pktq_pkt **nr;

	nr = malloc(nsize * sizeof(*nr));
	if (nr == NULL)
		return -1;
	for (i = 0; i < q->len; i++)
		nr[i] = q->ring[(q->head + i) & (q->size - 1)];
	free(q->ring);
	q->ring = nr;
	q->size = nsize;
	q->head = 0;
	return 0;
}

int
pktq_push(struct pktq *q, const uint8_t *p, size_t n)
{
	struct pktq_pkt *pkt;

	if (q->len >= q->cap) {
		q->dropped++;
		return -1;
	}
	if (q->len == q->size && pktq_grow(q) == -1) {
		q->dropped++;
		return -1;
	}
	if (n > PKTQ_PKT_MAX) {
		n = PKTQ_PKT_MAX;
		q->truncated++;
	}
	pkt = malloc(sizeof(*pkt) + n);
	if (pkt == NULL) {
		q->dropped++;
		return -1;
	}
	pkt->len = (uint16_t)n;
	if (n)
		memcpy(pkt->data, p, n);
	q->ring[(q->head + q->len) & (q->size - 1)] = pkt;
	q->len++;
	return 0;
}

const uint8_t *
pktq_peek(const struct pktq *q, size_t *n)
{
	struct pktq_pkt *pkt;

	if (q->len == 0)
		return NULL;
	pkt = q->ring[q->head];
	*n = pkt->len;
	return pkt->data;
}

void
pktq_pop(struct pktq *q)
{
	if (q->len == 0)
		return;
	free(q->ring[q->head]);
	q->head = (q->head + 1) & (q->size - 1);
	q->len--;
	/* Give the ring back once drained, so idle clients cost nothing. */
	if (q->len == 0 && q->size > PKTQ_MIN_SIZE) {
		free(q->ring);
		q->ring = NULL;
		q->size = 0;
		q->head = 0;
	}
}

void
pktq_drain_framed(struct pktq *q, struct buf *b)
{
	const uint8_t *p;
	size_t n, room;
	uint8_t *out;
	ssize_t w;

	while ((p = pktq_peek(q, &n)) != NULL) {
		out = buf_wptr(b, &room);
		if (room < n + FRAME_PREFIX_MAX || (w = frame_encode_data(p, n, out, room)) < 0)
			return;
		buf_commit(b, (size_t)w);
		pktq_pop(q);
	}
}
