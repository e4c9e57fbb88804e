/* SPDX-License-Identifier: MIT */
#include "addrtab.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

static void
lru_init(struct addrtab *t)
{
	t->lru.lprev = t->lru.lnext = &t->lru;
}

static void
lru_del(struct addr_ent *e)
{
	if (e->lnext == NULL)
		return;
	e->lprev->lnext = e->lnext;
	e->lnext->lprev = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
lru_append(struct addrtab *t, struct addr_ent *e)
{
	e->lprev = t->lru.lprev;
	e->lnext = &t->lru;
	t->lru.lprev->lnext = e;
	t->lru.lprev = e;
}

int
addrtab_init(struct addrtab *t, size_t max)
{
	size_t nb = 64;

	memset(t, 0, sizeof(*t));
	while (nb < max)
		nb <<= 1;
	if ((t->buckets = calloc(nb, sizeof(*t->buckets))) == NULL)
		return -1;
	t->nbuckets = nb;
	t->max = max;
	lru_init(t);
	return 0;
}

void
addrtab_free(struct addrtab *t)
{
	size_t i;

	for (i = 0; i < t->nbuckets; i++) {
		struct addr_ent *e = t->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->hnext;
			free(e);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
}

static void
make_key(const struct sockaddr_storage *ss, uint8_t key[17])
{
	memset(key, 0, 17);
	if (ss->ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
	}
}

static size_t
key_hash(const struct addrtab *t, const uint8_t key[17])
{
	uint64_t a, b;

	memcpy(&a, key + 1, 8);
	memcpy(&b, key + 9, 8);
	return (size_t)(hash_mix64(a ^ hash_mix64(b ^ key[0])) & (t->nbuckets - 1));
}

static void
unlink_hash(struct addrtab *t, struct addr_ent *e)
{
	struct addr_ent **pp = &t->buckets[key_hash(t, e->key)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
}

struct addr_ent *
addrtab_get(struct addrtab *t, const struct sockaddr_storage *ss, double burst, uint64_t now_ms)
{
	uint8_t key[17];
	struct addr_ent *e;
	size_t h;

	make_key(ss, key);
	h = key_hash(t, key);
	for (e = t->buckets[h]; e != NULL; e = e->hnext) {
		if (memcmp(e->key, key, 17) == 0) {
			addrtab_ref(t, e);
			return e;
		}
	}
	if (t->n < t->max) {
		if ((e = malloc(sizeof(*e))) == NULL)
			return NULL;
		t->n++;
	} else if (t->lru.lnext != &t->lru) {
		e = t->lru.lnext;
		lru_del(e);
		unlink_hash(t, e);
		t->reused++;
	} else {
		t->full++;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, 17);
	e->tokens = burst;
	e->refill_ms = now_ms;
	e->hnext = t->buckets[h];
	t->buckets[h] = e;
	e->refs = 1;
	return e;
}

void
addrtab_ref(struct addrtab *t, struct addr_ent *e)
{
	(void)t;
	if (e->refs++ == 0)
		lru_del(e);
}

void
addrtab_unref(struct addrtab *t, struct addr_ent *e)
{
	if (e == NULL || e->refs == 0)
		return;
	if (--e->refs == 0)
		lru_append(t, e);
}

int
addrtab_take(struct addr_ent *e, double rate, double burst, uint64_t now_ms)
{
	if (now_ms > e->refill_ms) {
		e->tokens += rate * (double)(now_ms - e->refill_ms) / 1000.0;
		if (e->tokens > burst)
			e->tokens = burst;
		e->refill_ms = now_ms;
	}
	if (e->tokens < 1.0)
		return 0;
	e->tokens -= 1.0;
	return 1;
}

void
addrtab_outcome(struct addr_ent *e, int ok)
{
	e->success += ok ? 10 : -25;
	if (e->success > 100)
		e->success = 100;
	if (e->success < -100)
		e->success = -100;
}
