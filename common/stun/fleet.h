/* SPDX-License-Identifier: MIT */
/*
 * A fleet of TURN servers (lanturn-client's --turn list) (the upstream phase-3 selector, done
 * as described in reference/lantern.md §1.12): an endpoint is unhealthy
 * after FLEET_FAILS consecutive failures and heals FLEET_HEAL_MS
 * later with its count reset; a success resets the count. A pick is
 * uniform among the healthy endpoints, leaving out the last one used
 * whenever another is healthy. Pure: the time and the random number come
 * from the caller.
 */
#ifndef PW_FLEET_H
#define PW_FLEET_H

#include <stddef.h>
#include <stdint.h>

#define FLEET_MAX 32           /* endpoints (--turn groups) */
#define FLEET_FAILS 3          /* consecutive failures that make one unhealthy */
#define FLEET_HEAL_MS 300000   /* 5 min */

struct fleet_ep {
	unsigned fails;          /* consecutive */
	uint64_t sick_until_ms;  /* unhealthy while now < this */
	uint64_t picks, failures;
};

struct fleet {
	size_t n;
	int last; /* index of the last pick, -1 before the first */
	struct fleet_ep ep[FLEET_MAX];
};

void fleet_init(struct fleet *f, size_t n);
/* 1 when endpoint i is healthy at now_ms (a healed one has its count reset). */
int fleet_healthy(struct fleet *f, size_t i, uint64_t now_ms);
size_t fleet_nhealthy(struct fleet *f, uint64_t now_ms);
/* The endpoint to use, from rnd (any 32-bit random number), or -1 when none is healthy. */
int fleet_pick(struct fleet *f, uint64_t now_ms, uint32_t rnd);
/* A failure of endpoint i; with fatal set (refused credentials) it is unhealthy at once. */
void fleet_fail(struct fleet *f, size_t i, uint64_t now_ms, int fatal);
void fleet_ok(struct fleet *f, size_t i);

#endif
