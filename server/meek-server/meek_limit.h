/* SPDX-License-Identifier: MIT */
/*
 * Per-address limits on new meek sessions: a token bucket per client
 * address (rate per second, burst) and a cap on the sessions an address
 * holds at once. The table is bounded (MLIMIT_TABLE_MAX entries at most):
 * when full, the least recently used address without sessions is
 * forgotten, so a flood of distinct addresses costs a fixed
 * amount of memory and an address that is forgotten starts again with a
 * full bucket. IPv6 addresses are counted per /64, which is what one
 * subscriber usually holds. Pure: time comes in as an argument; no I/O,
 * no libev.
 */
#ifndef PW_MEEK_LIMIT_H
#define PW_MEEK_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define MLIMIT_RATE_DEFAULT 20      /* new sessions per second per address */
#define MLIMIT_BURST_DEFAULT 50     /* ... and in one burst */
#define MLIMIT_PER_ADDR_DEFAULT 256 /* sessions one address holds at once */
#define MLIMIT_TABLE_MIN 1024
#define MLIMIT_TABLE_MAX (1u << 20)

enum { MLIMIT_OK, MLIMIT_RATE, MLIMIT_CAP };

struct mlimit_entry;

struct mlimit {
	double rate, burst;
	size_t per_addr;
	struct mlimit_entry *pool, *lru_head, *lru_tail, *free;
	struct mlimit_entry **buckets;
	size_t nbuckets, nentries, size;
	uint64_t hkey;
	uint64_t evicted;
};

/* size entries at most (clamped to MLIMIT_TABLE_MIN..MLIMIT_TABLE_MAX); -1 out of memory. */
int mlimit_init(struct mlimit *l, size_t size, double rate, double burst, size_t per_addr,
                uint64_t hkey);
void mlimit_free(struct mlimit *l);
/* A new session from a: MLIMIT_OK (counted), MLIMIT_RATE or MLIMIT_CAP. */
int mlimit_open(struct mlimit *l, const struct sockaddr_storage *a, double now);
/* A session from a ended (nothing when a was forgotten meanwhile). */
void mlimit_close(struct mlimit *l, const struct sockaddr_storage *a);
/* Sessions counted for a (0 when unknown). */
size_t mlimit_sessions(const struct mlimit *l, const struct sockaddr_storage *a);

#endif
