/* SPDX-License-Identifier: MIT */
#include "match.h"

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static void
link_init(struct match_link *h)
{
	h->prev = h->next = h;
}

static void
link_append(struct match_link *h, struct match_link *l)
{
	l->prev = h->prev;
	l->next = h;
	h->prev->next = l;
	h->prev = l;
}

static void
link_del(struct match_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

void
match_init(struct match *m)
{
	int i;

	for (i = 0; i < SF_NAT_N; i++) {
		link_init(&m->pool[i]);
		m->npool[i] = 0;
	}
	link_init(&m->queue);
	m->nqueue = 0;
	m->scanned = 0;
}

static int
nat_ok(enum sf_nat proxy, enum sf_nat client)
{
	return client == SF_NAT_UNRESTRICTED || proxy == SF_NAT_UNRESTRICTED;
}

int
match_compatible(const struct mproxy *p, enum sf_nat client_nat, uint64_t client_relays)
{
	return nat_ok(p->nat, client_nat) && (p->relays & client_relays) != 0;
}

long
match_score(const struct mproxy *p, enum sf_nat client_nat, uint64_t now_ms)
{
	long score = 0;
	uint64_t age = now_ms > p->since_ms ? now_ms - p->since_ms : 0;
	uint64_t load = p->clients > 1000 ? 1000 : p->clients;

	/* An unrestricted client uses restricted volunteers first. */
	if (client_nat == SF_NAT_UNRESTRICTED && p->nat != SF_NAT_UNRESTRICTED)
		score += 100000;
	score -= (long)load * 100;           /* free slots: one client costs 100 */
	score -= (long)(age > 60000 ? 60000 : age) / 100; /* freshness: 1 per 100 ms held */
	score += (long)p->success * 20;      /* recent success: up to ±2000 */
	return score;
}

void
match_pool_add(struct match *m, struct mproxy *p)
{
	if (p->pooled)
		return;
	link_append(&m->pool[p->nat], &p->link);
	m->npool[p->nat]++;
	p->pooled = 1;
}

void
match_pool_remove(struct match *m, struct mproxy *p)
{
	if (!p->pooled)
		return;
	link_del(&p->link);
	m->npool[p->nat]--;
	p->pooled = 0;
}

size_t
match_pool_size(const struct match *m)
{
	return m->npool[0] + m->npool[1] + m->npool[2];
}

struct mproxy *
match_best(struct match *m, enum sf_nat client_nat, uint64_t client_relays, uint64_t now_ms)
{
	struct mproxy *best = NULL;
	long best_score = 0;
	int i;

	for (i = 0; i < SF_NAT_N; i++) {
		struct match_link *h = &m->pool[i], *l;
		int n = 0;

		if (!nat_ok((enum sf_nat)i, client_nat))
			continue;
		/* freshest first: the tail */
		for (l = h->prev; l != h && n < MATCH_SCAN_MAX; l = l->prev, n++) {
			struct mproxy *p = container_of(l, struct mproxy, link);
			long s;

			m->scanned++;
			if ((p->relays & client_relays) == 0)
				continue;
			s = match_score(p, client_nat, now_ms);
			if (best == NULL || s > best_score) {
				best = p;
				best_score = s;
			}
		}
	}
	return best;
}

void
match_queue_add(struct match *m, struct mclient *c)
{
	if (c->queued)
		return;
	link_append(&m->queue, &c->link);
	m->nqueue++;
	c->queued = 1;
}

void
match_queue_remove(struct match *m, struct mclient *c)
{
	if (!c->queued)
		return;
	link_del(&c->link);
	m->nqueue--;
	c->queued = 0;
}

struct mclient *
match_oldest(struct match *m, const struct mproxy *p)
{
	struct match_link *l;
	int n = 0;

	for (l = m->queue.next; l != &m->queue && n < MATCH_QUEUE_SCAN; l = l->next, n++) {
		struct mclient *c = container_of(l, struct mclient, link);

		m->scanned++;
		if (match_compatible(p, c->nat, c->relays))
			return c;
	}
	return NULL;
}
