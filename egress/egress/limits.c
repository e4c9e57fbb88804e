/* SPDX-License-Identifier: MIT */
/*
 * Per-source counts in an open-addressed table (linear probing, deletion
 * by backward shift, so no tombstones pile up under churn) and refusal
 * counters. See limits.h.
 */
#include "limits.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/hash.h"
#include "base/log.h"

static const char *const reason_names[LIMIT_NREASONS] = {
	"max_conns", "max_per_source", "max_sessions", "max_streams", "max_session_streams",
	"max_source_streams", "max_memory", "handshake_timeout", "destination_timeout", "idle_timeout",
	"foreign_carrier", "plaintext_session", "bad_credentials", "auth_failures", "plain_socks",
	"max_source_sessions",
};

static const char *const reason_text[LIMIT_NREASONS] = {
	"connection limit (--max-conns) reached: refusing new connections",
	"a source reached --max-per-source: refusing its new connections",
	"session limit (--max-sessions) reached: refusing new clients",
	"stream limit (--max-streams) reached: refusing new streams",
	"a session reached --max-session-streams: refusing its new streams",
	"a source's sessions reached --max-source-streams: refusing their new streams",
	"memory budget (--max-memory) reached: refusing new work",
	"connections closed by the handshake timer",
	"streams closed without a destination (--connect-timeout)",
	"carriers closed after 60 s without an accepted datagram",
	"carriers closed for packets that failed their session's checks",
	"plaintext sessions refused (secure sessions only without --upstream)",
	"sessions refused for unknown or wrong credentials",
	"sessions refused: their source failed credentials too often",
	"plain SOCKS5 refused: --users is set and the listener has no ,socks",
	"a source reached --max-source-sessions: closing carriers of its new sessions",
};

const char *
limits_reason_name(enum limit_reason r)
{
	return (unsigned)r < LIMIT_NREASONS ? reason_names[r] : "?";
}

int
limits_init(struct limits *l, size_t per_source, size_t max_sources)
{
	size_t cap = 16;

	memset(l, 0, sizeof(*l));
	/* Load at most one half, so probes stay short. */
	while (cap < 2 * max_sources && cap < ((size_t)1 << 24))
		cap <<= 1;
	if ((l->tab = calloc(cap, sizeof(*l->tab))) == NULL)
		return -1;
	if (getrandom(&l->seed, sizeof(l->seed), 0) != (ssize_t)sizeof(l->seed))
		l->seed = (uint64_t)(uintptr_t)l ^ 0x9e3779b97f4a7c15ULL;
	l->cap = cap;
	l->per_source = per_source;
	return 0;
}

void
limits_free(struct limits *l)
{
	free(l->tab);
	l->tab = NULL;
	l->cap = l->used = 0;
}

int
limits_key(const struct sockaddr_storage *ss, struct limit_key *k)
{
	memset(k, 0, sizeof(*k));
	if (ss->ss_family == AF_INET) {
		memcpy(k->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		/* An IPv4-mapped peer is the IPv4 source it carries. */
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memcpy(k->a, a + 12, 4);
			return 0;
		}
		memcpy(k->a, a, 8);
		k->v6 = 1;
		return 0;
	}
	return -1;
}

static size_t
slot_of(const struct limits *l, const struct limit_key *k)
{
	uint64_t x;

	memcpy(&x, k->a, sizeof(x));
	return (size_t)hash_mix64(x ^ l->seed ^ k->v6) & (l->cap - 1);
}

static int
key_eq(const struct limit_key *a, const struct limit_key *b)
{
	return a->v6 == b->v6 && memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

/* The slot holding k, or the free slot where it would go. */
static size_t
find(const struct limits *l, const struct limit_key *k)
{
	size_t i = slot_of(l, k);

	while (l->tab[i].n != 0 && !key_eq(&l->tab[i].k, k))
		i = (i + 1) & (l->cap - 1);
	return i;
}

int
limits_take(struct limits *l, const struct limit_key *k)
{
	size_t i = find(l, k);

	if (l->tab[i].n == 0) {
		if (2 * (l->used + 1) > l->cap)
			return -1;
		l->tab[i].k = *k;
		l->used++;
	} else if (l->per_source != 0 && l->tab[i].n >= l->per_source) {
		return -1;
	}
	l->tab[i].n++;
	return 0;
}

uint32_t
limits_held(const struct limits *l, const struct limit_key *k)
{
	return l->tab[find(l, k)].n;
}

/* Empty slot i, shifting later members of its probe run back into it. */
static void
erase(struct limits *l, size_t i)
{
	size_t mask = l->cap - 1, j = i, home;

	for (;;) {
		l->tab[i].n = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (l->tab[j].n == 0)
				return;
			home = slot_of(l, &l->tab[j].k);
			/* Move j back only if its home is not in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		l->tab[i] = l->tab[j];
		i = j;
	}
}

void
limits_give(struct limits *l, const struct limit_key *k)
{
	size_t i = find(l, k);

	if (l->tab[i].n == 0)
		return;
	if (--l->tab[i].n == 0) {
		erase(l, i);
		l->used--;
	}
}

void
limits_refuse(struct limits *l, enum limit_reason r, double now)
{
	if ((unsigned)r >= LIMIT_NREASONS)
		return;
	l->refused[r]++;
	if (l->refused[r] == 1 || now - l->last_log[r] >= LIMITS_LOG_INTERVAL) {
		log_warnx("%s (%llu so far)", reason_text[r], (unsigned long long)l->refused[r]);
		l->last_log[r] = now;
	}
}

int
limits_metrics(const struct limits *l, char *out, size_t cap)
{
	size_t off = 0;
	int i, n;

	for (i = 0; i < LIMIT_NREASONS; i++) {
		n = snprintf(out + off, cap - off, "egress_refused_total{reason=\"%s\"} %llu\n",
		             reason_names[i], (unsigned long long)l->refused[i]);
		if (n < 0 || (size_t)n >= cap - off)
			return -1;
		off += (size_t)n;
	}
	n = snprintf(out + off, cap - off, "egress_sources %zu\n", l->used);
	if (n < 0 || (size_t)n >= cap - off)
		return -1;
	return (int)(off + (size_t)n);
}

void
limits_clear(struct limits *l)
{
	if (l->tab != NULL)
		memset(l->tab, 0, l->cap * sizeof(*l->tab));
	l->used = 0;
}
