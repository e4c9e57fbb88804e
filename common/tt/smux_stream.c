/* SPDX-License-Identifier: MIT */
/*
 * smux streams: the per-session stream table and receive buffers.
 *
 * The table is open addressing with linear probing over a power-of-two
 * array of pointers, at most half full, shrunk at an eighth and freed
 * when empty, so 1,000+ streams cost O(1) per lookup and an idle session
 * holds no table at all. Removal shifts the following entries back
 * instead of leaving tombstones.
 *
 * Received data is a list of chunks. A chunk is allocated as data
 * arrives, sized for the rest of the frame (at least SMUX_CHUNK_MIN), and
 * filled before the next one is made; a drained chunk is freed at once.
 * So a stream costs its unread bytes plus one partly used chunk, and a
 * peer sending 1-byte frames costs about a byte per byte, not a chunk.
 */
#include "tt/smux.h"

#include "base/membudget.h"

#include <stdlib.h>
#include <string.h>

#include "tt/smux_impl.h"

static inline uint32_t
slot_of(const struct smux *s, uint32_t sid)
{
	return (uint32_t)(sid * 2654435761u) >> (32 - s->tbits);
}

struct stream *
smux_lookup(const struct smux *s, uint32_t sid)
{
	uint32_t i, mask;

	if (s->tab == NULL)
		return NULL;
	mask = (1u << s->tbits) - 1;
	for (i = slot_of(s, sid); s->tab[i] != NULL; i = (i + 1) & mask)
		if (s->tab[i]->sid == sid)
			return s->tab[i];
	return NULL;
}

static void
tab_place(struct smux *s, struct stream *st)
{
	uint32_t i, mask = (1u << s->tbits) - 1;

	for (i = slot_of(s, st->sid); s->tab[i] != NULL; i = (i + 1) & mask)
		;
	s->tab[i] = st;
}

static int
tab_resize(struct smux *s, uint32_t bits)
{
	struct stream **old = s->tab;
	uint32_t i, oldn = old ? 1u << s->tbits : 0;

	s->tab = calloc((size_t)1 << bits, sizeof(*s->tab));
	if (s->tab == NULL) {
		s->tab = old;
		return -1;
	}
	s->tbits = bits;
	for (i = 0; i < oldn; i++)
		if (old[i] != NULL)
			tab_place(s, old[i]);
	free(old);
	return 0;
}

static int
tab_insert(struct smux *s, struct stream *st)
{
	if (s->tab == NULL || (s->tcount + 1) * 2 > 1u << s->tbits)
		if (tab_resize(s, s->tab ? s->tbits + 1 : SMUX_TAB_BITS_MIN) < 0)
			return -1;
	tab_place(s, st);
	s->tcount++;
	return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void
tab_remove(struct smux *s, struct stream *st)
{
	uint32_t i, j, k, mask = (1u << s->tbits) - 1;

	for (i = slot_of(s, st->sid); s->tab[i] != st; i = (i + 1) & mask)
		;
	s->tab[i] = NULL;
	for (j = (i + 1) & mask; s->tab[j] != NULL; j = (j + 1) & mask) {
		k = slot_of(s, s->tab[j]->sid);
		/* Move tab[j] into the hole unless its home lies in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			s->tab[i] = s->tab[j];
			s->tab[j] = NULL;
			i = j;
		}
	}
	s->tcount--;
	if (s->tcount == 0) {
		free(s->tab);
		s->tab = NULL;
		s->tbits = 0;
	} else if (s->tbits > SMUX_TAB_BITS_MIN && s->tcount * 8 < 1u << s->tbits)
		(void)tab_resize(s, s->tbits - 1); /* failing to shrink is harmless */
}

struct stream *
smux_stream_new(struct smux *s, uint32_t sid)
{
	struct stream *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->sid = sid;
	st->peer_window = SMUX_INITIAL_PEER_WINDOW;
	if (tab_insert(s, st) < 0) {
		free(st);
		return NULL;
	}
	membudget_force(s->cfg.mb, membudget_cost(sizeof(*st)));
	s->nlive++;
	return st;
}

static void
chunk_free(struct smux *s, struct chunk *c)
{
	membudget_uncharge(s->cfg.mb, membudget_cost(sizeof(*c) + c->cap));
	free(c);
}

static void
chunks_free(struct smux *s, struct stream *st)
{
	struct chunk *c, *next;

	for (c = st->head; c != NULL; c = next) {
		next = c->next;
		chunk_free(s, c);
	}
	st->head = st->tail = NULL;
}

void
smux_stream_drop(struct smux *s, struct stream *st)
{
	chunks_free(s, st);
	s->bucket += st->rbytes;
	st->rbytes = 0;
	if (s->rx_st == st)
		s->rx_st = NULL; /* the rest of the frame being received is skipped */
}

void
smux_stream_free(struct smux *s, struct stream *st)
{
	smux_stream_drop(s, st);
	tab_remove(s, st);
	membudget_uncharge(s->cfg.mb, membudget_cost(sizeof(*st)));
	free(st);
}

void
smux_streams_free_all(struct smux *s)
{
	uint32_t i;

	if (s->tab == NULL)
		return;
	for (i = 0; i < 1u << s->tbits; i++) {
		if (s->tab[i] != NULL) {
			chunks_free(s, s->tab[i]);
			membudget_uncharge(s->cfg.mb, membudget_cost(sizeof(*s->tab[i])));
			free(s->tab[i]);
		}
	}
	free(s->tab);
	s->tab = NULL;
}

int
smux_stream_append(struct smux *s, struct stream *st, const uint8_t *p, size_t n, uint32_t due)
{
	while (n > 0) {
		struct chunk *c = st->tail;
		size_t k;

		if (c == NULL || c->fill == c->cap) {
			uint32_t cap = due > SMUX_CHUNK_MIN ? due : SMUX_CHUNK_MIN;

			c = malloc(sizeof(*c) + cap);
			if (c == NULL)
				return -1;
			membudget_force(s->cfg.mb, membudget_cost(sizeof(*c) + cap));
			c->next = NULL;
			c->cap = cap;
			c->fill = c->off = 0;
			if (st->tail != NULL)
				st->tail->next = c;
			else
				st->head = c;
			st->tail = c;
		}
		k = c->cap - c->fill;
		if (k > n)
			k = n;
		memcpy(c->data + c->fill, p, k);
		c->fill += (uint32_t)k;
		p += k;
		n -= k;
		due -= (uint32_t)k;
	}
	return 0;
}

size_t
smux_stream_take(struct smux *s, struct stream *st, uint8_t *buf, size_t n)
{
	size_t got = 0, k;

	while (got < n && st->head != NULL) {
		struct chunk *c = st->head;

		k = c->fill - c->off;
		if (k > n - got)
			k = n - got;
		memcpy(buf + got, c->data + c->off, k);
		c->off += (uint32_t)k;
		got += k;
		if (c->off == c->fill) {
			/* Freed even if the frame being received would fill it more: idle streams hold nothing. */
			st->head = c->next;
			if (st->head == NULL)
				st->tail = NULL;
			chunk_free(s, c);
		}
	}
	return got;
}
