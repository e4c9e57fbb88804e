/* SPDX-License-Identifier: MIT */
#include "tt/clientmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/hash.h"

static size_t
clientmap_slot(const struct clientmap *m, const uint8_t *id)
{
	uint64_t v;

	memcpy(&v, id, sizeof(v));
	return (size_t)(hash_mix64(hash_mix64(v ^ m->key[0]) + m->key[1]) & (m->nbuckets - 1));
}

int
clientmap_init(struct clientmap *m, size_t max, size_t sendq_cap, uint64_t timeout_ms,
               clientmap_expire_cb expire, void *arg)
{
	size_t nb = 16;

	memset(m, 0, sizeof(*m));
	while (nb < max && nb < ((size_t)1 << 20))
		nb <<= 1;
	m->buckets = calloc(nb, sizeof(*m->buckets));
	if (m->buckets == NULL)
		return -1;
	m->nbuckets = nb;
	m->max = max;
	m->sendq_cap = sendq_cap;
	m->timeout_ms = timeout_ms;
	m->expire = expire;
	m->arg = arg;
	if (getrandom(m->key, sizeof(m->key), GRND_NONBLOCK) != (ssize_t)sizeof(m->key)) {
		/* Only collision resistance suffers; the map still works. */
		m->key[0] = (uint64_t)(uintptr_t)m;
		m->key[1] = (uint64_t)(uintptr_t)m->buckets;
	}
	return 0;
}

static void
list_unlink(struct clientmap *m, struct clientmap_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		m->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		m->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
list_push_front(struct clientmap *m, struct clientmap_entry *e)
{
	e->prev = NULL;
	e->next = m->head;
	if (m->head)
		m->head->prev = e;
	else
		m->tail = e;
	m->head = e;
}

static void
clientmap_touch(struct clientmap *m, struct clientmap_entry *e, uint64_t now)
{
	if (now > e->last_seen)
		e->last_seen = now;
	if (m->head != e) {
		list_unlink(m, e);
		list_push_front(m, e);
	}
}

struct clientmap_entry *
clientmap_get(struct clientmap *m, const uint8_t *id, uint64_t now, int create)
{
	size_t slot = clientmap_slot(m, id);
	struct clientmap_entry *e;

	for (e = m->buckets[slot]; e; e = e->hnext)
		if (memcmp(e->id, id, CLIENTID_LEN) == 0) {
			clientmap_touch(m, e, now);
			return e;
		}
	if (!create)
		return NULL;
	if (m->count >= m->max) {
		m->refused++;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	memcpy(e->id, id, CLIENTID_LEN);
	e->last_seen = now;
	pktq_init(&e->sendq, m->sendq_cap);
	e->hnext = m->buckets[slot];
	m->buckets[slot] = e;
	list_push_front(m, e);
	m->count++;
	return e;
}

void
clientmap_attach(struct clientmap *m, struct clientmap_entry *e, uint64_t now)
{
	e->ncarriers++;
	clientmap_touch(m, e, now);
}

void
clientmap_prove(struct clientmap_entry *e, void *carrier)
{
	e->carrier = carrier;
}

void
clientmap_detach(struct clientmap *m, struct clientmap_entry *e, void *carrier, uint64_t now)
{
	if (e->ncarriers > 0)
		e->ncarriers--;
	if (e->carrier == carrier)
		e->carrier = NULL;
	/* The idle clock starts when the last carrier leaves. */
	clientmap_touch(m, e, now);
}

void
clientmap_remove(struct clientmap *m, struct clientmap_entry *e)
{
	struct clientmap_entry **pp = &m->buckets[clientmap_slot(m, e->id)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	list_unlink(m, e);
	m->count--;
	if (m->expire)
		m->expire(e, m->arg);
	pktq_free(&e->sendq);
	free(e);
}

size_t
clientmap_sweep(struct clientmap *m, uint64_t now)
{
	struct clientmap_entry *e;
	size_t n = 0, guard = m->count;

	/* Each entry is looked at most once: warm ones move to the front. */
	while ((e = m->tail) != NULL && guard-- > 0) {
		if (now < e->last_seen || now - e->last_seen < m->timeout_ms)
			break;
		if (e->ncarriers > 0) {
			clientmap_touch(m, e, now);
			continue;
		}
		clientmap_remove(m, e);
		m->expired++;
		n++;
	}
	return n;
}

void
clientmap_free(struct clientmap *m)
{
	while (m->tail)
		clientmap_remove(m, m->tail);
	free(m->buckets);
	m->buckets = NULL;
}
