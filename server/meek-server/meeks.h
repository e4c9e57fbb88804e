/* SPDX-License-Identifier: MIT */
/*
 * State shared by meek-server's modules: the configuration after option
 * parsing and the live objects main creates and tears down. There are no
 * globals; connections and sessions find this through their pointer.
 *
 *   meek_conn.c     HTTP/1.1 connections: heads, bodies, answers, timeouts
 *   meek_session.c  meek sessions: the table, upstream pipes, holdoff, replay
 *   meek_pipeline.c sessions that negotiated X-Meek-Pipeline: reordering,
 *                   answers in sequence order, long-poll, retries by seq
 *   meek_admin.c    the --admin listener's /healthz and /metrics, and the
 *                   refusal counters and their rate-limited log lines
 *   meek_limit.c    pure per-address new-session limits (token bucket, cap)
 *   meek_req.c      pure request classification and canned answers
 */
#ifndef PW_MEEKS_H
#define PW_MEEKS_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/endpoint.h"
#include "meek_limit.h"
#include "meek_req.h"
#include "net/net.h"

#define MEEKS_MAX_SESSIONS_DEFAULT 10000
#define MEEKS_MAX_SESSIONS_MAX 1000000
#define MEEKS_MAX_CONNS_DEFAULT 4096
#define MEEKS_MAX_CONNS_MAX 1000000
#define MEEKS_READ_TIMEOUT_DEFAULT 10.0  /* a request head, from its first byte */
#define MEEKS_BODY_TIMEOUT_FACTOR 6      /* a body gets this many read timeouts in all */
                                         /* ... and one read timeout without a byte */
#define MEEKS_WRITE_TIMEOUT 60.0         /* one answer to a client that does not read */
#define MEEKS_KEEPALIVE_TIMEOUT 120.0    /* an idle keep-alive connection */
#define MEEKS_CONNECT_TIMEOUT 10.0       /* upstream dial */
#define MEEKS_DRAIN_TIMEOUT 10.0         /* SIGTERM: in-flight requests get this long */
#define MEEKS_LINGER_TIME 1.0            /* after a refusal: drop client bytes this long */
#define MEEKS_LINGER_MAX (4u << 20)      /* ... or this many bytes */
#define MEEKS_HOLDOFF_MAX_MS 60000
#define MEEKS_IDLE_TIMEOUT_MAX_S 86400
#define MEEKS_CONN_BUF (2 * HTTP_HEAD_MAX) /* per-connection read buffer, while a head is read */
/* The admin listener's own limit, so the operator gets in while the public one is full. */
#define MEEKS_ADMIN_CONNS_MAX 8
#define MEEKS_MAX_MEMORY_DEFAULT (256u << 20) /* --max-memory: bodies and read buffers */
#define MEEKS_MAX_MEMORY_MIN (1u << 20)
#define MEEKS_MAX_MEMORY_MAX ((uint64_t)1 << 40)
#define MEEKS_TRUSTED_HOPS_MAX 16
#define MEEKS_REFUSAL_LOG_EVERY 10.0     /* one log line per refusal reason at most this often */
#define MEEKS_UP_READ 65536              /* upstream bytes read per callback at most */
#define MEEKS_DOWN_FACTOR 4              /* downstream buffer: 4 x --max-body */
#define MEEKS_UP_FACTOR 2                /* pending upstream bytes: 2 x --max-body */
#define MEEKS_WAITERS_MAX 8              /* requests queued behind one on a session */

enum meeks_stat {
	MS_200, MS_400, MS_403, MS_404, MS_405, MS_410, MS_411, MS_413, MS_429, MS_431, MS_502,
	MS_503,
	MS_OTHER, MS_NSTAT
};

/* Why work was refused or cut off for a limit: counted and logged by reason. */
enum meeks_refusal {
	MR_SESSION_RATE,   /* 429: the address opens new sessions too fast */
	MR_ADDR_SESSIONS,  /* 503: the address holds --max-sessions-per-addr */
	MR_SESSIONS,       /* 503: --max-sessions reached */
	MR_MEMORY,         /* 503 or close: --max-memory reached */
	MR_CONNS,          /* connection refused: --max-conns, none idle to close */
	MR_IDLE_EVICTED,   /* idle keep-alive connection closed for a new one */
	MR_WAITERS,        /* 503: too many requests queued on one session */
	MR_HEAD_TIMEOUT,   /* a head not complete within --read-timeout */
	MR_BODY_TIMEOUT,   /* a body stalled, or not complete in time */
	MR_NREASON
};

struct meeks_stats {
	uint64_t conns_accepted, conns_refused;
	uint64_t sessions_created, sessions_reaped, sessions_closed;
	uint64_t bytes_up, bytes_down, replays;
	uint64_t pipe_sessions, pipe_inflight_max, pipe_reordered, pipe_gaps;
	uint64_t status[MS_NSTAT];
	uint64_t refused[MR_NREASON];
	ev_tstamp refused_logged[MR_NREASON];
	uint64_t refused_unlogged[MR_NREASON];
};

struct mconn;
struct msess;

struct meeks {
	struct ev_loop *loop;

	/* configuration */
	struct meek_cfg cfg;
	char path[MEEK_PATH_MAX + 1];
	char token[1024];
	struct endpoint listen_ep, upstream_ep, admin_ep;
	int has_admin;
	struct sockaddr_storage upstream_sa; /* tcp upstream, resolved once at start */
	socklen_t upstream_salen;
	double holdoff, idle_timeout, read_timeout, drain_timeout;
	size_t max_sessions, max_conns;
	int proxy_protocol;
	uint64_t max_memory;                 /* --max-memory */
	double session_rate, session_burst;  /* per address */
	size_t max_sessions_per_addr;
	unsigned pipe_window;                /* --pipeline: 0 serves every client serially */
	double hold;                         /* --hold: a pipelined poll with nothing, seconds */
	struct meek_pipe pipe_answer;        /* what the answers offer */

	/* live objects */
	struct listener pub, admin;
	char pub_name[ENDPOINT_STR_MAX], admin_name[ENDPOINT_STR_MAX];
	struct mconn *conns;
	size_t nconns;  /* public connections: --max-conns */
	size_t nadmin;  /* admin connections: MEEKS_ADMIN_CONNS_MAX, apart */
	struct msess **buckets;
	size_t nbuckets;
	uint64_t hkey;
	struct msess *sessions;
	size_t nsessions;
	ev_timer reaper;
	int draining;
	struct meeks_stats st;
	struct mlimit limit;
	uint64_t mem_used; /* reserved request bodies + connection read buffers */
	char date[MEEK_DATE_MAX];
	ev_tstamp date_at;
};

/* meek_conn.c */
void mconn_accept(struct meeks *m, int fd, const struct sockaddr_storage *peer, socklen_t len,
                  int admin);
/* The session's answer to the request c is waiting on; body may be NULL. */
void mconn_respond(struct mconn *c, int status, const char *msg, const uint8_t *body, size_t len);
/* Run c again from the loop (its session became free or took bytes). */
void mconn_kick(struct mconn *c);
/* The request c waits with: its parsed head, and the session it is queued on. */
const struct meek_req *mconn_req(const struct mconn *c);
void mconn_set_sess(struct mconn *c, struct msess *s);
struct mconn *mconn_next_waiter(struct mconn *c);
void mconn_set_next_waiter(struct mconn *c, struct mconn *next);
/* The session is serial: c's answer does not offer the pipelining extension. */
void mconn_clear_pipe(struct mconn *c);
/* SIGTERM: close idle connections, let the others finish one answer. */
void mconn_drain(struct meeks *m);
void mconn_abort_all(struct meeks *m);
const char *meeks_date(struct meeks *m);
void meeks_count(struct meeks *m, int status);

/* meek_session.c */
int msess_init(struct meeks *m);
void msess_free_all(struct meeks *m);
struct msess *msess_find(struct meeks *m, const char *id, size_t len);
/*
 * New session from client address src (the forwarded one or the peer),
 * without an upstream yet: that is dialled when its first non-empty body
 * is complete. NULL when a limit refuses it (*why set) or out of memory
 * (*why = MR_NREASON).
 */
struct msess *msess_new(struct meeks *m, const struct meek_req *r,
                        const struct sockaddr_storage *src, const struct sockaddr *local,
                        enum meeks_refusal *why);
/*
 * Queue c on s: MSESS_ACTIVE (read its body now), MSESS_WAIT (kicked
 * when its turn comes), MSESS_RETRY (a pipelined retry: drop its body,
 * then msess_body_done on the session found again by id), MSESS_FULL
 * (503) or MSESS_BAD (a sequence the session cannot take: 400).
 */
enum { MSESS_BAD = -2, MSESS_FULL = -1, MSESS_WAIT = 0, MSESS_ACTIVE = 1, MSESS_RETRY = 2 };
int msess_enqueue(struct msess *s, struct mconn *c);
/* c leaves s (closed, or answered). */
void msess_detach(struct msess *s, struct mconn *c);
/* For the active request: 1 when its body is to be discarded (a replay). */
int msess_replaying(const struct msess *s);
/* Take up to n body bytes of the active request; returns how many. */
size_t msess_body(struct msess *s, const uint8_t *p, size_t n);
/*
 * Where up to want body bytes of the active request can be read straight
 * from the socket (*room of them, 0 when the session is full), so a body
 * is held once; msess_body_commit then takes n of them. NULL for a replay
 * (its body is read and dropped).
 */
uint8_t *msess_body_wptr(struct msess *s, size_t want, size_t *room);
void msess_body_commit(struct msess *s, size_t n);
/* c's body is complete (or dropped, for a retry): answer when the session can. */
void msess_body_done(struct msess *s, struct mconn *c);

/* meek_admin.c */
/* Count a refusal for reason r; log it, at most once per reason per MEEKS_REFUSAL_LOG_EVERY. */
void meeks_refuse(struct meeks *m, enum meeks_refusal r);
/* Answer an admin request: fills body, returns the status. */
int meeks_admin_answer(struct meeks *m, const struct http_head *h, char *body, size_t cap,
                       size_t *len);

#endif
