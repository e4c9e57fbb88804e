/* SPDX-License-Identifier: MIT */
/*
 * What each source address holds, and every refusal (DESIGN.md §8).
 *
 * A source is an IPv4 address or an IPv6 /64 (one subscriber usually
 * holds a whole /64, so counting single v6 addresses would count
 * nothing). Connections without an IP source (a UNIX socket without a
 * PROXY header: a local front such as meek-server) are not limited per
 * source; the global limits still hold them.
 *
 * The table holds one entry per source that holds something, so it is
 * bounded by the global connection limit it is sized from; entries go
 * when their count reaches zero. Keys are mixed with a per-table random
 * value, so a peer cannot choose colliding addresses.
 *
 * Every refusal or forced close for a limit is counted by reason and
 * logged at most once per reason every LIMITS_LOG_INTERVAL seconds, so
 * a flood is visible without flooding the log. Pure: no I/O but that
 * log line, no clock of its own.
 */
#ifndef PW_EGRESS_LIMITS_H
#define PW_EGRESS_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LIMITS_LOG_INTERVAL 10.0

enum limit_reason {
	LIMIT_CONNS,       /* --max-conns: every inbound connection */
	LIMIT_SOURCE,      /* --max-per-source: one source's connections */
	LIMIT_SESSIONS,    /* --max-sessions: Turbo Tunnel clients */
	LIMIT_STREAMS,     /* --max-streams: session streams in all */
	LIMIT_SESSION_STREAMS, /* --max-session-streams: one session's streams */
	LIMIT_SOURCE_STREAMS,  /* --max-source-streams: the streams of one source's sessions */
	LIMIT_MEMORY,      /* --max-memory: bytes held by sessions */
	LIMIT_HANDSHAKE,   /* no request or preamble within --handshake-timeout */
	LIMIT_DESTINATION, /* a stream sent no destination within --connect-timeout */
	LIMIT_IDLE,        /* a carrier without an accepted datagram for TT_CARRIER_IDLE */
	LIMIT_FOREIGN,     /* a carrier whose packets failed its session's checks */
	LIMIT_PLAINTEXT,   /* a plaintext session where only secure ones are served */
	LIMIT_CREDENTIALS, /* a secure session with unknown or wrong credentials */
	LIMIT_AUTH_RATE,   /* a source over its credential failures for the window */
	LIMIT_SOCKS,       /* plain SOCKS5 with --users, on a listener without ,socks */
	LIMIT_SOURCE_SESSIONS, /* --max-source-sessions: sessions one source started */
	LIMIT_NREASONS
};

struct limit_key {
	uint8_t a[8]; /* IPv4 in the first 4 bytes, or an IPv6 /64 */
	uint8_t v6;
};

struct limit_src {
	struct limit_key k;
	uint32_t n; /* 0: free slot */
};

struct limits {
	size_t per_source;  /* 0: no per-source limit */
	struct limit_src *tab;
	size_t cap;         /* power of two */
	size_t used;
	uint64_t seed;
	uint64_t refused[LIMIT_NREASONS];
	double last_log[LIMIT_NREASONS];
};

/* Size for at most max_sources sources at once. -1 when out of memory. */
int limits_init(struct limits *l, size_t per_source, size_t max_sources);
void limits_free(struct limits *l);

/* The source key of a peer address; -1 when it has none (not IP). */
int limits_key(const struct sockaddr_storage *ss, struct limit_key *k);

/*
 * Count one more connection for k: 0, or -1 when k already holds
 * per_source (or the table is full) and nothing was counted.
 */
int limits_take(struct limits *l, const struct limit_key *k);
/* Forget every source's count (a new window); refusal counters stay. */
void limits_clear(struct limits *l);
/* Give back what one limits_take counted. */
void limits_give(struct limits *l, const struct limit_key *k);
/* How many connections k holds now. */
uint32_t limits_held(const struct limits *l, const struct limit_key *k);

/* Count a refusal; logs one line per reason per interval. */
void limits_refuse(struct limits *l, enum limit_reason r, double now);

/* Prometheus text lines "egress_refused_total{reason="…"} N". */
int limits_metrics(const struct limits *l, char *out, size_t cap);
const char *limits_reason_name(enum limit_reason r);

#endif
