/* SPDX-License-Identifier: MIT */
/*
 * The matchmaking core under both wires: volunteers (proxies holding a
 * poll open) and clients (offers waiting for a volunteer). It knows no
 * sockets, no clock and no wire: the caller embeds the entries in its
 * own objects, passes the time in, and does the I/O.
 *
 * Compatibility is Snowflake's NAT rule: a restricted or unknown-NAT
 * client only gets an unrestricted volunteer; an unrestricted client may
 * get any volunteer, restricted/unknown ones first (keeping the scarce
 * unrestricted ones for the clients that need them). A volunteer also
 * has to accept one of the relays the client's bridge offers (relay
 * bitmasks, one bit per relay).
 *
 * Choice of a volunteer for a client: the best score among the
 * MATCH_SCAN_MAX freshest volunteers of each usable pool, the score
 * counting NAT preference, free slots (fewer current clients), freshness
 * of the held poll (a poll about to time out is the worst bet) and the
 * recent success of its address, which the caller supplies. Clients that
 * queue for a volunteer are served in arrival order: a new volunteer
 * takes the oldest compatible client among the first MATCH_QUEUE_SCAN.
 * Every operation is O(MATCH_SCAN_MAX) whatever the number of entries.
 */
#ifndef RDV_MATCH_H
#define RDV_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "sfmsg.h"

#define MATCH_SCAN_MAX 32
#define MATCH_QUEUE_SCAN 256

struct match_link {
	struct match_link *prev, *next;
};

struct mproxy {
	struct match_link link;
	enum sf_nat nat;
	uint64_t clients;    /* clients it serves now, as it reports them */
	uint64_t relays;     /* bit i: accepts relay i */
	uint64_t since_ms;   /* when its poll arrived */
	int success;         /* recent success of its address, -100..100 */
	int pooled;
};

struct mclient {
	struct match_link link;
	enum sf_nat nat;
	uint64_t relays; /* relays its bridge has */
	uint64_t since_ms;
	int queued;
};

struct match {
	struct match_link pool[SF_NAT_N]; /* volunteers by NAT type, oldest first */
	struct match_link queue;          /* waiting clients, oldest first */
	size_t npool[SF_NAT_N], nqueue;
	uint64_t scanned; /* entries looked at, for the bench */
};

void match_init(struct match *m);

/* May volunteer p serve client c (NAT and relays)? */
int match_compatible(const struct mproxy *p, enum sf_nat client_nat, uint64_t client_relays);

/* The score of p for a client of that NAT type at now_ms; higher is better. */
long match_score(const struct mproxy *p, enum sf_nat client_nat, uint64_t now_ms);

/* Park a volunteer (p->since_ms set by the caller). */
void match_pool_add(struct match *m, struct mproxy *p);
void match_pool_remove(struct match *m, struct mproxy *p);
size_t match_pool_size(const struct match *m);

/*
 * The best parked volunteer for a client, or NULL; it stays parked: the
 * caller checks it is alive and removes it (or removes a dead one and
 * asks again).
 */
struct mproxy *match_best(struct match *m, enum sf_nat client_nat, uint64_t client_relays,
                          uint64_t now_ms);

/* Queue a client for a volunteer to come. */
void match_queue_add(struct match *m, struct mclient *c);
void match_queue_remove(struct match *m, struct mclient *c);

/* The oldest queued client p may serve, or NULL; it stays queued. */
struct mclient *match_oldest(struct match *m, const struct mproxy *p);

#endif
