/* SPDX-License-Identifier: MIT */
/*
 * The server-side ClientMap of Turbo Tunnel (tor.md §1.5–1.6): one entry
 * per ClientID, holding that client's bounded send queue (packets leave
 * on whichever carrier most recently delivered the client's packets) and
 * an opaque pointer for the session above it. Entries are found by a
 * keyed hash (the key is random per map, so a client cannot choose IDs
 * that collide) and kept on a list ordered by last activity, so expiry
 * is a walk from the cold end that stops at the first warm entry.
 *
 * An entry expires when no carrier has been attached to it for
 * timeout_ms; the expire callback releases the user's session first.
 * The map holds at most max entries; lookups that would create one more
 * fail. The caller supplies the clock (milliseconds), so tests are exact.
 */
#ifndef PW_CLIENTMAP_H
#define PW_CLIENTMAP_H

#include <stddef.h>
#include <stdint.h>

#include "tt/pktq.h"
#include "proto/preamble.h"

struct clientmap_entry {
	uint8_t id[CLIENTID_LEN];
	uint64_t last_seen;  /* ms; refreshed by lookups and carrier changes */
	unsigned ncarriers;  /* carriers currently attached */
	void *carrier;       /* the carrier that most recently delivered packets */
	struct pktq sendq;   /* packets toward the client */
	void *user;          /* the session above */
	struct clientmap_entry *hnext;
	struct clientmap_entry *prev, *next; /* activity list, most recent first */
};

struct clientmap;
typedef void (*clientmap_expire_cb)(struct clientmap_entry *e, void *arg);

struct clientmap {
	struct clientmap_entry **buckets;
	size_t nbuckets; /* power of two */
	size_t count, max;
	size_t sendq_cap;
	uint64_t timeout_ms;
	uint64_t key[2];
	struct clientmap_entry *head, *tail;
	clientmap_expire_cb expire;
	void *arg;
	uint64_t expired; /* entries removed by clientmap_sweep */
	uint64_t refused; /* creations refused at the cap */
};

/* 0, or -1 when out of memory. */
int clientmap_init(struct clientmap *m, size_t max, size_t sendq_cap, uint64_t timeout_ms,
                   clientmap_expire_cb expire, void *arg);
/* Expire every entry (calling the callback) and release the map. */
void clientmap_free(struct clientmap *m);

/*
 * Find the entry for id and mark it active at now; with create, make
 * one if absent. NULL when absent (and not created), at the cap, or out
 * of memory.
 */
struct clientmap_entry *clientmap_get(struct clientmap *m, const uint8_t *id, uint64_t now,
                                      int create);

/*
 * A carrier starts or stops serving e. Attaching does not give it the
 * downstream: a carrier that only knows the ClientID must not receive
 * the session's packets. The owner hands the downstream over with
 * clientmap_prove once a packet on that carrier passed the session's
 * checks (DESIGN.md §8); detaching the current carrier leaves none.
 */
void clientmap_attach(struct clientmap *m, struct clientmap_entry *e, uint64_t now);
void clientmap_prove(struct clientmap_entry *e, void *carrier);
void clientmap_detach(struct clientmap *m, struct clientmap_entry *e, void *carrier, uint64_t now);

/* Remove every entry idle for timeout_ms with no carrier; return how many. */
size_t clientmap_sweep(struct clientmap *m, uint64_t now);

/* Remove e now (calls the expire callback). */
void clientmap_remove(struct clientmap *m, struct clientmap_entry *e);

#endif
