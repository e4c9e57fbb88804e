/* SPDX-License-Identifier: MIT */
/* See fleet.h. */
#include "stun/fleet.h"

#include <string.h>

void
fleet_init(struct fleet *f, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->n = n < FLEET_MAX ? n : FLEET_MAX;
	f->last = -1;
}

int
fleet_healthy(struct fleet *f, size_t i, uint64_t now_ms)
{
	struct fleet_ep *e = &f->ep[i];

	if (e->sick_until_ms == 0)
		return 1;
	if (now_ms < e->sick_until_ms)
		return 0;
	e->sick_until_ms = 0;
	e->fails = 0;
	return 1;
}

size_t
fleet_nhealthy(struct fleet *f, uint64_t now_ms)
{
	size_t i, k = 0;

	for (i = 0; i < f->n; i++)
		k += (size_t)fleet_healthy(f, i, now_ms);
	return k;
}

int
fleet_pick(struct fleet *f, uint64_t now_ms, uint32_t rnd)
{
	size_t i, k = fleet_nhealthy(f, now_ms), skip_last;

	if (k == 0)
		return -1;
	skip_last = k >= 2 && f->last >= 0 && fleet_healthy(f, (size_t)f->last, now_ms);
	k -= skip_last;
	k = rnd % k;
	for (i = 0; i < f->n; i++) {
		if (!fleet_healthy(f, i, now_ms) || (skip_last && (int)i == f->last))
			continue;
		if (k-- == 0)
			break;
	}
	f->last = (int)i;
	f->ep[i].picks++;
	return (int)i;
}

void
fleet_fail(struct fleet *f, size_t i, uint64_t now_ms, int fatal)
{
	struct fleet_ep *e = &f->ep[i];

	e->failures++;
	if (e->sick_until_ms != 0)
		return;
	e->fails = fatal ? FLEET_FAILS : e->fails + 1;
	if (e->fails >= FLEET_FAILS)
		e->sick_until_ms = now_ms + FLEET_HEAL_MS + (now_ms == 0 ? 1 : 0);
}

void
fleet_ok(struct fleet *f, size_t i)
{
	f->ep[i].fails = 0;
}
