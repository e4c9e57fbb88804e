/* SPDX-License-Identifier: MIT */
/*
 * rendezvous: the broker's state, shared by its modules. rdv_conn.c owns
 * the HTTP connections (reading heads and bodies, writing answers,
 * keep-alive, timers, limits); rdv_sf.c speaks Snowflake's broker wire on
 * them over the matchmaking core (match.h); rdv_admin.c writes the
 * metrics; rendezvous.c is options and wiring.
 *
 * A connection is in one state at a time: reading a request, held (a
 * proxy's poll waiting for a client, a client waiting for a volunteer or
 * for its answer), or writing an answer. A held connection keeps no
 * buffers, only its struct, so a parked proxy costs about
 * sizeof(struct rconn) of memory. Every state has a timer.
 */
#ifndef RDV_H
#define RDV_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addrtab.h"
#include "base/buf.h"
#include "base/membudget.h"
#include "match.h"
#include "net/admin.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "proto/http.h"
#include "redis/redisc.h"
#include "relays.h"
#include "rmsg.h"
#include "sfmsg.h"

#define RDV_LISTEN_MAX 8
#define RDV_REQ_MAX (HTTP_HEAD_MAX + SF_BODY_MAX + 64) /* one request, head and body */
#define RDV_CONNS_DEFAULT 20000
#define RDV_CONNS_MAX 1000000
#define RDV_PER_ADDR_DEFAULT 64
#define RDV_PROXIES_DEFAULT 16384
#define RDV_CLIENTS_DEFAULT 4096
#define RDV_MEMORY_DEFAULT ((size_t)256 << 20)
#define RDV_MEMORY_MIN ((size_t)1 << 20)
#define RDV_MEMORY_MAX ((size_t)1 << 40)
#define RDV_ADDRS_MAX 65536
#define RDV_CLIENT_TIMEOUT 10.0 /* Snowflake 2.5.1's ClientTimeout */
#define RDV_PROXY_TIMEOUT 10.0  /* its ProxyTimeout */
#define RDV_READ_TIMEOUT 10.0   /* a whole request, as Snowflake's server ReadTimeout */
#define RDV_IDLE_TIMEOUT 60.0   /* keep-alive between requests */
#define RDV_POLL_RATE 2.0       /* polls per second per address, sustained */
#define RDV_POLL_BURST 20.0
#define RDV_NONTLS_BAN_MS (3600 * 1000)
#define RDV_PENDING_BUCKETS 4096
#define FR_CONSUMER_TTL 20.0  /* freddie's consumerTTL: one genesis stream */
#define FR_OFFER_TTL 15.0     /* remoteICEGatheringTTL: replies to offers and answers */
#define FR_DEFAULT_TTL 5.0    /* defaultMsgTTL: replies to geneses and the rest */
#define FR_STREAM_MAX 65536   /* bytes queued on one genesis stream before it is cut */
#define FR_GENESIS_MAX 16384  /* one genesis line; freddie's are a few hundred bytes */
#define FR_ID_LEN 36          /* a UUID */

enum rconn_state {
	RC_READ,
	RC_PROXY_HELD,
	RC_CLIENT_QUEUED,
	RC_CLIENT_WAIT,
	RC_FR_HELD, /* freddie: a POST waiting for the reply addressed to it */
	RC_STREAM,  /* freddie: a consumer's genesis stream */
	RC_REDIS,   /* waiting for redis-server (a remote claim or an answer's owner) */
	RC_WRITE,
};

struct rconn {
	struct rconn *prev, *next;
	struct rconn *snext; /* serial chain, while in_serial */
	uint64_t serial;
	int in_serial;
	struct rdv *r;
	ev_io rd, wr;
	ev_timer tm;
	int fd;
	enum rconn_state state;
	struct addr_ent *addr;
	struct buf in, out;
	size_t charged;    /* bytes charged to the budget for the buffers */
	size_t head_len;   /* parsed head of the current request, 0 before */
	uint64_t body_len; /* its Content-Length */
	int chunked, keep_alive, close_after, route, method, reading_stopped;
	char nat_hdr[16];  /* Snowflake-NAT-Type of a legacy client */
	char bf_version[16]; /* X-BF-Version of a freddie request */
	int has_bf_version;
	union {
		struct {
			struct mproxy mp;
			struct rconn *hnext; /* held-by-sid chain */
			int held;
			char sid[SF_SID_MAX + 1];
		} proxy;
		struct {
			struct mclient mc;
			struct rconn *hnext;     /* pending-answer chain */
			char *offer;             /* while queued */
			size_t offer_len;
			int legacy, pending, relay;
			char sid[SF_SID_MAX + 1]; /* the proxy's, once matched */
			struct addr_ent *proxy_addr;
			ev_tstamp arrived;
			int remote_pool; /* next redis pool to claim from; -1 when not claiming */
			int remote_tries;
		} client;
		struct {
			char sid[SF_SID_MAX + 1];
			char *answer;
			size_t answer_len;
		} ans; /* an /answer whose client is in another process */
		struct {
			struct mproxy mp;         /* a genesis poster, while pooled */
			struct mclient mc;        /* a consumer stream with no genesis yet */
			struct rconn *hnext;      /* slot chain */
			char id[FR_ID_LEN + 1];   /* the reqID its reply is addressed to */
			char *genesis;            /* the genesis line, for consumers to come */
			size_t genesis_len;
			int slot, stream, volunteer;
		} fr;
	} u;
};

struct rdv_metrics {
	uint64_t conns, requests, matches, client_no_match, client_timeouts, client_gone_answers;
	uint64_t proxy_polls[SF_NAT_N], proxy_idle, client_polls[SF_NAT_N], matches_nat[SF_NAT_N];
	uint64_t answers, dead_proxies, bad_requests, oversize, bad_version, relay_pattern;
	uint64_t refused_conns, refused_per_addr, refused_rate, refused_proxies, refused_clients;
	uint64_t refused_memory, unknown_bridge, timeouts_read, sid_clash;
	uint64_t fr_genesis, fr_matches, fr_delivered, fr_not_found, fr_bad_version, fr_streams;
	uint64_t fr_stream_cut, fr_no_reply;
	uint64_t remote_claims, remote_matches, remote_served, remote_naks, remote_answers, redis_errors;
};

struct rdv_cfg {
	double client_timeout, proxy_timeout, read_timeout, idle_timeout, client_wait;
	double poll_rate, poll_burst;
	size_t max_conns, max_per_addr, max_proxies, max_clients, max_memory;
	int trust_forwarded;
};

struct rdv {
	struct ev_loop *loop;
	struct rdv_cfg cfg;
	struct listener pub[RDV_LISTEN_MAX];
	struct endpoint pub_ep[RDV_LISTEN_MAX];
	char pub_name[RDV_LISTEN_MAX][ENDPOINT_STR_MAX];
	size_t npub;
	struct admin admin;
	int has_admin;
	struct relays relays;
	struct match match;
	struct addrtab addrs;
	struct rconn *pending[RDV_PENDING_BUCKETS]; /* clients awaiting an answer, by proxy sid */
	struct match fmatch;                        /* freddie's volunteers and idle consumers */
	struct rconn *fslots[RDV_PENDING_BUCKETS];  /* freddie POSTs awaiting a reply, by reqID */
	size_t nfslots, nvolunteers, nconsumers;
	struct rconn *held[RDV_PENDING_BUCKETS];    /* parked proxy polls, by sid */
	struct rconn *serials[RDV_PENDING_BUCKETS]; /* connections waiting for redis, by serial */
	uint64_t next_serial;
	struct redisc *rcmd, *rsub; /* --redis: commands, and our channel's subscription */
	char proc[RMSG_PROC_LEN + 1];
	struct membudget mem;
	struct rconn *conns;
	size_t nconns, nproxies, nclients;
	struct rdv_metrics m;
};

uint64_t rdv_now_ms(const struct rdv *r);

/* rdv_conn.c */
void rconn_accept(struct rdv *r, int fd, const struct sockaddr_storage *peer, socklen_t len);
void rconn_close(struct rconn *c);
void rconn_close_all(struct rdv *r);
/* Answer 200 with body (copied), then keep reading or close. */
void rconn_reply(struct rconn *c, int status, const char *body, size_t len);
/* The same with the given header lines (each ending in CRLF) instead of Snowflake's. */
void rconn_reply_hdrs(struct rconn *c, int status, const char *body, size_t len, const char *hdrs);
/* Park the connection: no buffers, a timer of after seconds, EOF still watched. */
void rconn_hold(struct rconn *c, enum rconn_state st, double after);
/* Is the peer of a held connection still there (no EOF, no RST queued)? */
int rconn_alive(struct rconn *c);
/* A streamed answer (chunked): start it, add a chunk (-1: over FR_STREAM_MAX), end it. */
void rconn_stream_start(struct rconn *c, double after);
int rconn_stream_send(struct rconn *c, const char *p, size_t n);
void rconn_stream_end(struct rconn *c);

/* rdv_sf.c */
enum rdv_route { RT_NONE, RT_CLIENT, RT_PROXY, RT_ANSWER, RT_ROBOTS, RT_FREDDIE };
enum rdv_method { RM_OTHER, RM_GET, RM_POST, RM_OPTIONS, RM_HEAD };
/* The route of a request target (query ignored). */
int sf_route_of(const char *target, size_t len);
/* Handle a complete request; the body is only valid during the call. */
void sf_route(struct rconn *c, const uint8_t *body, size_t len);
void sf_held_timeout(struct rconn *c);
void sf_held_close(struct rconn *c);

/* rdv_sf.c, for rdv_redis.c */
struct rconn *sf_held_proxy(struct rdv *r, const char *sid);
/* Hand a parked proxy an offer from a client in another process. */
void sf_remote_pair(struct rconn *p, const char *offer, size_t len, enum sf_nat nat, const char *relay);
/* The answer for sid to the client waiting here: 1, or 0 when none waits. */
int sf_deliver_answer(struct rdv *r, const char *sid, const char *answer, size_t len);
/* A client of ours was taken by a proxy in another process (sid) with relay. */
void sf_remote_pending(struct rconn *c, const char *sid, int relay);
/* A nak: the remote proxy was gone; take the client back for another try. */
struct rconn *sf_pending_take(struct rdv *r, const char *sid);
/* No proxy anywhere: queue (client_wait) or answer "no proxies". */
void sf_no_proxy(struct rconn *c);
void sf_answer_reply(struct rconn *c, int delivered);

/* rdv_redis.c */
void rdv_redis_open(struct rdv *r, const struct endpoint *ep);
void rdv_redis_close(struct rdv *r);
int rdv_redis_up(const struct rdv *r);
/* Advertise a parked proxy to the other processes. */
void rdv_redis_advertise(struct rconn *p);
/* Look for a proxy in another process: 0 when a claim started (c is held), -1 otherwise. */
int rdv_redis_claim(struct rconn *c);
/* An answer for a sid not waiting here: 0 when the lookup started (c held), -1 otherwise. */
int rdv_redis_answer(struct rconn *c, const char *sid, const char *answer, size_t len);
/* Forget a connection that was waiting for redis. */
void rdv_serial_remove(struct rconn *c);

/* rdv_freddie.c */
void fr_route(struct rconn *c, const uint8_t *body, size_t len);
void fr_timeout(struct rconn *c);
void fr_held_close(struct rconn *c);

/* rdv_admin.c */
int rdv_admin_body(void *arg, int which, char *out, size_t cap);

#endif
