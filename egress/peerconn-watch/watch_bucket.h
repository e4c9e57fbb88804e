/* SPDX-License-Identifier: MIT */
/*
 * Per-source buckets of peerconn-watch: a hash table of at most cap
 * buckets, allocated once, with least-recently-seen eviction. Each
 * bucket holds a sliding window of WATCH_SLOTS slots of window/SLOTS
 * seconds each; a slot is cleared when event time moves past it, so a
 * window's figures are the sums of the slots it covers. Time is the
 * events' own time, never the clock.
 *
 * Distinct destination hosts and ports are counted with linear counting
 * (Whang et al. 1990): each slot sets one bit per item in a 256-bit map
 * (64 bits for the hosts of short HTTPS streams), a window ORs its
 * slots' maps, and n = m ln(m / zero bits), rounded down. Up to about
 * 10 items the estimate is usually exact and within one of the truth;
 * from 10 to 160 items it is within 20 % (typically 5 %); it saturates
 * at m ln m (1419 for 256 bits, 266 for 64).
 * The estimate depends only on the input, so replays are reproducible.
 *
 * Memory: sizeof(struct watch_bucket) (about 1 KiB) per bucket, plus 4
 * bytes per chain head, all allocated up front (pages are touched only
 * as buckets fill).
 */
#ifndef PW_EGRESS_WATCH_BUCKET_H
#define PW_EGRESS_WATCH_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#include "watch_event.h"
#include "watch_rules.h"

#define WATCH_SLOTS 8
#define WATCH_MAP_WORDS 4  /* 256-bit maps */
#define WATCH_BUCKETS_MAX 10000000

struct watch_slot {
	uint32_t accepts, closes, short_streams, smtp, dns_streams, short_https;
	uint64_t bytes, dns_bytes;
	uint64_t hosts[WATCH_MAP_WORDS];
	uint64_t ports[WATCH_MAP_WORDS];
	uint64_t https_hosts;
};

struct watch_bucket {
	struct watch_key key;
	uint32_t chain;      /* next index in the hash chain */
	uint32_t prev, next; /* recency list, head = most recently seen */
	int64_t cur;         /* absolute number of the newest slot */
	uint64_t total_accepts, total_events;
	uint32_t findings;
	int64_t last_report[WATCH_RULE_COUNT]; /* time_us, or INT64_MIN */
	struct watch_slot slot[WATCH_SLOTS];
};

struct watch_table {
	struct watch_bucket *b;
	uint32_t *head;
	uint32_t mask; /* chain heads - 1 */
	uint32_t cap, n;
	uint32_t lru_head, lru_tail;
	uint64_t evicted;
	uint64_t seed;
	int64_t slot_us;
};

/* cap buckets, windows of window_us. 0, or -1 when out of memory. */
int watch_table_init(struct watch_table *t, uint32_t cap, int64_t window_us, uint64_t seed);
void watch_table_free(struct watch_table *t);

/* The bucket for k, created (evicting the least recently seen when full) and marked most recent. */
struct watch_bucket *watch_table_get(struct watch_table *t, const struct watch_key *k);

/*
 * Count ev into b. A short stream is one under short_us. Return 0, or -1
 * when ev is older than b's window (a late event, not counted).
 */
int watch_bucket_add(const struct watch_table *t, struct watch_bucket *b,
                     const struct watch_event *ev, int64_t short_us);

/* b's figures for the window that ends with the slot of now_us. */
void watch_bucket_agg(const struct watch_table *t, const struct watch_bucket *b, int64_t now_us,
                      struct watch_agg *a);

#endif
