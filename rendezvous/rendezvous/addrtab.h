/* SPDX-License-Identifier: MIT */
/*
 * What the broker remembers per source address (DESIGN.md §8): open
 * connections (for the per-address cap), a token bucket for polls, the
 * recent success of proxies from it (for matchmaking), and whether a
 * proxy there dropped an offer carrying a ws:// relay (then it gets
 * only wss:// relays for a while). The table holds at most max entries;
 * an entry nobody refers to is kept in LRU order and reused for a new
 * address when the table is full, so a sweep of addresses costs a
 * bounded table, never memory.
 */
#ifndef RDV_ADDRTAB_H
#define RDV_ADDRTAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr_ent {
	struct addr_ent *hnext;            /* hash chain */
	struct addr_ent *lprev, *lnext;    /* LRU of unreferenced entries */
	uint8_t key[17];                   /* family byte + address */
	unsigned refs;                     /* connections and pending matches */
	unsigned conns;
	double tokens;
	uint64_t refill_ms;
	int success;                       /* -100..100 */
	uint64_t nontls_ban_until_ms;
};

struct addrtab {
	struct addr_ent **buckets;
	size_t nbuckets, n, max;
	struct addr_ent lru; /* sentinel: lnext is the oldest */
	uint64_t reused, full;
};

int addrtab_init(struct addrtab *t, size_t max);
void addrtab_free(struct addrtab *t);

/*
 * The entry for ss (IPv4, IPv6; anything else shares one entry), created
 * if needed, with a reference taken; NULL when the table is full of
 * referenced entries.
 */
struct addr_ent *addrtab_get(struct addrtab *t, const struct sockaddr_storage *ss, double burst,
                             uint64_t now_ms);
void addrtab_ref(struct addrtab *t, struct addr_ent *e);
void addrtab_unref(struct addrtab *t, struct addr_ent *e);

/* Take one poll token (rate per second, burst): 1, or 0 when none is left. */
int addrtab_take(struct addr_ent *e, double rate, double burst, uint64_t now_ms);

/* A proxy from e answered (ok = 1) or let its client down (ok = 0). */
void addrtab_outcome(struct addr_ent *e, int ok);

#endif
