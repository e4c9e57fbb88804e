/* SPDX-License-Identifier: MIT */
/*
 * The bucket table (see watch_bucket.h). Buckets live in one array of
 * cap entries; indices, not pointers, link them, so the table is two
 * allocations. Chains hold every bucket in use exactly once, and so
 * does the recency list; NIL ends both. The table key is hashed with a
 * per-process seed so that chosen addresses cannot line up in one chain.
 */
#include "watch_bucket.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

#define NIL UINT32_MAX
#define GOLDEN 0x9e3779b97f4a7c15ULL

static uint64_t
key_hash(const struct watch_key *k, uint64_t seed)
{
	uint64_t w[3] = { 0, 0, 0 }, h = seed;
	size_t i;

	memcpy(w, k, sizeof(*k) < sizeof(w) ? sizeof(*k) : sizeof(w));
	for (i = 0; i < 3; i++) {
		h = (h ^ w[i]) * GOLDEN;
		h ^= h >> 29;
	}
	return h;
}

int
watch_table_init(struct watch_table *t, uint32_t cap, int64_t window_us, uint64_t seed)
{
	uint32_t nhead = 16;

	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > WATCH_BUCKETS_MAX || window_us < WATCH_SLOTS)
		return -1;
	while (nhead < cap)
		nhead <<= 1;
	t->b = calloc(cap, sizeof(*t->b));
	t->head = malloc(nhead * sizeof(*t->head));
	if (t->b == NULL || t->head == NULL) {
		watch_table_free(t);
		return -1;
	}
	memset(t->head, 0xff, nhead * sizeof(*t->head));
	t->mask = nhead - 1;
	t->cap = cap;
	t->lru_head = t->lru_tail = NIL;
	t->seed = seed;
	t->slot_us = window_us / WATCH_SLOTS;
	return 0;
}

void
watch_table_free(struct watch_table *t)
{
	free(t->b);
	free(t->head);
	t->b = NULL;
	t->head = NULL;
}

static void
lru_unlink(struct watch_table *t, uint32_t i)
{
	struct watch_bucket *b = &t->b[i];

	if (b->prev != NIL)
		t->b[b->prev].next = b->next;
	else
		t->lru_head = b->next;
	if (b->next != NIL)
		t->b[b->next].prev = b->prev;
	else
		t->lru_tail = b->prev;
}

static void
lru_push(struct watch_table *t, uint32_t i)
{
	struct watch_bucket *b = &t->b[i];

	b->prev = NIL;
	b->next = t->lru_head;
	if (t->lru_head != NIL)
		t->b[t->lru_head].prev = i;
	else
		t->lru_tail = i;
	t->lru_head = i;
}

static void
chain_unlink(struct watch_table *t, uint32_t i)
{
	uint32_t *pp = &t->head[key_hash(&t->b[i].key, t->seed) & t->mask];

	while (*pp != i)
		pp = &t->b[*pp].chain;
	*pp = t->b[i].chain;
}

struct watch_bucket *
watch_table_get(struct watch_table *t, const struct watch_key *k)
{
	uint32_t h = (uint32_t)(key_hash(k, t->seed) & t->mask), i;
	struct watch_bucket *b;
	int r;

	for (i = t->head[h]; i != NIL; i = t->b[i].chain) {
		if (watch_key_eq(&t->b[i].key, k)) {
			if (t->lru_head != i) {
				lru_unlink(t, i);
				lru_push(t, i);
			}
			return &t->b[i];
		}
	}
	if (t->n < t->cap) {
		i = t->n++;
	} else {
		i = t->lru_tail;
		lru_unlink(t, i);
		chain_unlink(t, i);
		t->evicted++;
	}
	b = &t->b[i];
	memset(b, 0, sizeof(*b));
	b->key = *k;
	b->cur = INT64_MIN;
	for (r = 0; r < WATCH_RULE_COUNT; r++)
		b->last_report[r] = INT64_MIN;
	b->chain = t->head[h];
	t->head[h] = i;
	lru_push(t, i);
	return b;
}


static void
map_set(uint64_t *map, unsigned bits, uint64_t item)
{
	unsigned bit = (unsigned)(hash_mix64(item) >> 56) % bits;

	map[bit / 64] |= 1ULL << (bit % 64);
}

static int
is_port(uint16_t p, uint16_t a, uint16_t b, uint16_t c)
{
	return p == a || p == b || (c != 0 && p == c);
}

int
watch_bucket_add(const struct watch_table *t, struct watch_bucket *b,
                 const struct watch_event *ev, int64_t short_us)
{
	int64_t s = ev->time_us / t->slot_us, k;
	struct watch_slot *sl;
	uint64_t bytes;

	if (b->cur == INT64_MIN)
		b->cur = s;
	if (s <= b->cur - WATCH_SLOTS)
		return -1;
	if (s > b->cur) {
		for (k = b->cur + 1; k <= s && k <= b->cur + WATCH_SLOTS; k++)
			memset(&b->slot[k % WATCH_SLOTS], 0, sizeof(b->slot[0]));
		b->cur = s;
	}
	sl = &b->slot[s % WATCH_SLOTS];
	b->total_events++;
	if (ev->type == WATCH_EV_ACCEPT) {
		b->total_accepts++;
		sl->accepts++;
		if (ev->has_dest) {
			map_set(sl->hosts, WATCH_MAP_WORDS * 64, ev->dest_hash);
			map_set(sl->ports, WATCH_MAP_WORDS * 64, ev->dest_port);
			sl->smtp += is_port(ev->dest_port, 25, 465, 587);
			sl->dns_streams += is_port(ev->dest_port, 53, 853, 0);
		}
		return 0;
	}
	bytes = ev->bytes_up + ev->bytes_down;
	if (bytes < ev->bytes_up)
		bytes = UINT64_MAX;
	sl->closes++;
	sl->bytes += bytes;
	if (ev->duration_us >= 0 && ev->duration_us < short_us) {
		sl->short_streams++;
		if (ev->has_dest && ev->dest_port == 443) {
			sl->short_https++;
			map_set(&sl->https_hosts, 64, ev->dest_hash);
		}
	}
	if (ev->has_dest && is_port(ev->dest_port, 53, 853, 0))
		sl->dns_bytes += bytes;
	return 0;
}

/* Linear counting over nw words of OR-ed bits. */
static uint64_t
estimate(const uint64_t *map, size_t nw)
{
	unsigned set = 0, m = (unsigned)nw * 64;
	size_t i;

	for (i = 0; i < nw; i++)
		set += (unsigned)__builtin_popcountll(map[i]);
	if (set == 0)
		return 0;
	return (uint64_t)(m * log((double)m / (set == m ? 1 : m - set)));
}

void
watch_bucket_agg(const struct watch_table *t, const struct watch_bucket *b, int64_t now_us,
                 struct watch_agg *a)
{
	uint64_t hosts[WATCH_MAP_WORDS] = { 0 }, ports[WATCH_MAP_WORDS] = { 0 }, https = 0;
	int64_t now = now_us / t->slot_us, abs;
	const struct watch_slot *sl;
	size_t w;
	int k;

	memset(a, 0, sizeof(*a));
	if (b->cur == INT64_MIN)
		return;
	for (k = 0; k < WATCH_SLOTS; k++) {
		abs = b->cur - k;
		if (abs < 0 || abs <= now - WATCH_SLOTS)
			break;
		sl = &b->slot[abs % WATCH_SLOTS];
		a->accepts += sl->accepts;
		a->closes += sl->closes;
		a->bytes += sl->bytes;
		a->short_streams += sl->short_streams;
		a->smtp += sl->smtp;
		a->dns_streams += sl->dns_streams;
		a->dns_bytes += sl->dns_bytes;
		a->short_https += sl->short_https;
		for (w = 0; w < WATCH_MAP_WORDS; w++) {
			hosts[w] |= sl->hosts[w];
			ports[w] |= sl->ports[w];
		}
		https |= sl->https_hosts;
	}
	a->hosts = estimate(hosts, WATCH_MAP_WORDS);
	a->ports = estimate(ports, WATCH_MAP_WORDS);
	a->https_hosts = estimate(&https, 1);
}
