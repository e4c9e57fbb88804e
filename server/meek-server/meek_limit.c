/* SPDX-License-Identifier: MIT */
/*
 * The per-address table (see meek_limit.h): entries in one preallocated
 * pool, a hash chain per bucket and a doubly linked LRU list, most
 * recently used first, of the addresses that hold no session: only those
 * can be forgotten, so a per-address count is never lost while sessions
 * exist (the table is sized above --max-sessions). Nothing is allocated
 * after mlimit_init.
 */
#include "meek_limit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

struct mlimit_key {
	uint8_t fam;
	uint8_t a[8]; /* IPv4 address, or the /64 of an IPv6 one */
};

struct mlimit_entry {
	struct mlimit_entry *hnext, *prev, *next;
	struct mlimit_key k;
	double tokens, at;
	size_t nsess;
};

static void
mlimit_key(const struct sockaddr_storage *a, struct mlimit_key *k)
{
	memset(k, 0, sizeof(*k));
	k->fam = (uint8_t)a->ss_family;
	if (a->ss_family == AF_INET)
		memcpy(k->a, &((const struct sockaddr_in *)a)->sin_addr, 4);
	else if (a->ss_family == AF_INET6)
		memcpy(k->a, &((const struct sockaddr_in6 *)a)->sin6_addr, 8);
}

static size_t
mlimit_hash(const struct mlimit *l, const struct mlimit_key *k)
{
	uint64_t h = l->hkey ^ k->fam;
	size_t i;

	for (i = 0; i < sizeof(k->a); i++)
		h = (h ^ k->a[i]) * 0x100000001b3ULL;
	return (size_t)(hash_mix64(h) & (l->nbuckets - 1));
}

int
mlimit_init(struct mlimit *l, size_t size, double rate, double burst, size_t per_addr,
            uint64_t hkey)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	size = size < MLIMIT_TABLE_MIN ? MLIMIT_TABLE_MIN : size > MLIMIT_TABLE_MAX ? MLIMIT_TABLE_MAX : size;
	l->nbuckets = 64;
	while (l->nbuckets < size)
		l->nbuckets *= 2;
	l->pool = calloc(size, sizeof(*l->pool));
	l->buckets = calloc(l->nbuckets, sizeof(*l->buckets));
	if (l->pool == NULL || l->buckets == NULL) {
		mlimit_free(l);
		return -1;
	}
	for (i = 0; i + 1 < size; i++)
		l->pool[i].next = &l->pool[i + 1];
	l->free = &l->pool[0];
	l->size = size;
	l->rate = rate;
	l->burst = burst;
	l->per_addr = per_addr;
	l->hkey = hkey;
	return 0;
}

void
mlimit_free(struct mlimit *l)
{
	free(l->pool);
	free(l->buckets);
	memset(l, 0, sizeof(*l));
}

static struct mlimit_entry *
mlimit_find(const struct mlimit *l, const struct mlimit_key *k)
{
	struct mlimit_entry *e;

	for (e = l->buckets[mlimit_hash(l, k)]; e != NULL; e = e->hnext)
		if (memcmp(&e->k, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

static void
lru_unlink(struct mlimit *l, struct mlimit_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct mlimit *l, struct mlimit_entry *e)
{
	e->prev = NULL;
	e->next = l->lru_head;
	if (e->next)
		e->next->prev = e;
	else
		l->lru_tail = e;
	l->lru_head = e;
}

static void
mlimit_forget(struct mlimit *l, struct mlimit_entry *e)
{
	struct mlimit_entry **pp = &l->buckets[mlimit_hash(l, &e->k)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(l, e);
	l->nentries--;
	l->evicted++;
	e->next = l->free;
	l->free = e;
}

/* A free entry, forgetting the least recently used address without sessions; NULL when none. */
static struct mlimit_entry *
mlimit_take(struct mlimit *l)
{
	struct mlimit_entry *e;

	if (l->free == NULL) {
		if (l->lru_tail == NULL)
			return NULL;
		mlimit_forget(l, l->lru_tail);
	}
	e = l->free;
	l->free = e->next;
	memset(e, 0, sizeof(*e));
	return e;
}

int
mlimit_open(struct mlimit *l, const struct sockaddr_storage *a, double now)
{
	struct mlimit_key k;
	struct mlimit_entry *e;
	size_t b;

	mlimit_key(a, &k);
	if ((e = mlimit_find(l, &k)) == NULL) {
		if ((e = mlimit_take(l)) == NULL)
			return MLIMIT_CAP; /* every address known holds sessions */
		e->k = k;
		e->tokens = l->burst;
		e->at = now;
		b = mlimit_hash(l, &k);
		e->hnext = l->buckets[b];
		l->buckets[b] = e;
		l->nentries++;
	} else if (e->nsess == 0)
		lru_unlink(l, e);
	if (now > e->at) {
		e->tokens += (now - e->at) * l->rate;
		if (e->tokens > l->burst)
			e->tokens = l->burst;
	}
	e->at = now;
	if (e->nsess >= l->per_addr)
		return MLIMIT_CAP;
	if (e->tokens < 1.0) {
		if (e->nsess == 0)
			lru_push(l, e);
		return MLIMIT_RATE;
	}
	e->tokens -= 1.0;
	e->nsess++;
	return MLIMIT_OK;
}

void
mlimit_close(struct mlimit *l, const struct sockaddr_storage *a)
{
	struct mlimit_key k;
	struct mlimit_entry *e;

	mlimit_key(a, &k);
	if ((e = mlimit_find(l, &k)) != NULL && e->nsess > 0 && --e->nsess == 0)
		lru_push(l, e);
}

size_t
mlimit_sessions(const struct mlimit *l, const struct sockaddr_storage *a)
{
	struct mlimit_key k;
	struct mlimit_entry *e;

	mlimit_key(a, &k);
	e = mlimit_find(l, &k);
	return e != NULL ? e->nsess : 0;
}
