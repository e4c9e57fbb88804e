/* SPDX-License-Identifier: MIT */
/*
 * State shared by meek-server's modules: the configuration after option
 * parsing and the live objects main creates and tears down. There are no
 * globals; connections and sessions find this through their pointer.
 *
 *   meek_conn.c     HTTP/1.1 connections: heads, bodies, answers, timeouts
 *   meek_session.c  meek sessions: the table, upstream pipes, holdoff, replay
 *   meek_admin.c    the --admin listener's /healthz and /metrics
 *   meek_req.c      pure request classification and canned answers
 */
#ifndef PW_MEEKS_H
#define PW_MEEKS_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/endpoint.h"
#include "meek_req.h"
#include "net/net.h"

#define MEEKS_MAX_SESSIONS_DEFAULT 10000
#define MEEKS_MAX_SESSIONS_MAX 1000000
#define MEEKS_MAX_CONNS_DEFAULT 4096
#define MEEKS_MAX_CONNS_MAX 1000000
#define MEEKS_READ_TIMEOUT_DEFAULT 10.0  /* a request head, from its first byte */
#define MEEKS_BODY_TIMEOUT_FACTOR 6      /* a body gets this many read timeouts */
#define MEEKS_WRITE_TIMEOUT 60.0         /* one answer to a client that does not read */
#define MEEKS_KEEPALIVE_TIMEOUT 120.0    /* an idle keep-alive connection */
#define MEEKS_CONNECT_TIMEOUT 10.0       /* upstream dial */
#define MEEKS_DRAIN_TIMEOUT 10.0         /* SIGTERM: in-flight requests get this long */
#define MEEKS_LINGER_TIME 1.0            /* after a refusal: drop client bytes this long */
#define MEEKS_LINGER_MAX (4u << 20)      /* ... or this many bytes */
#define MEEKS_HOLDOFF_MAX_MS 60000
#define MEEKS_IDLE_TIMEOUT_MAX_S 86400
#define MEEKS_CONN_BUF 65536             /* per-connection read buffer, while a request is read */
#define MEEKS_UP_READ 65536              /* upstream bytes read per callback at most */
#define MEEKS_DOWN_FACTOR 4              /* downstream buffer: 4 x --max-body */
#define MEEKS_UP_FACTOR 2                /* pending upstream bytes: 2 x --max-body */
#define MEEKS_WAITERS_MAX 8              /* requests queued behind one on a session */

enum meeks_stat {
	MS_200, MS_400, MS_403, MS_404, MS_405, MS_410, MS_411, MS_413, MS_431, MS_502, MS_503,
	MS_OTHER, MS_NSTAT
};

struct meeks_stats {
	uint64_t conns_accepted, conns_refused;
	uint64_t sessions_created, sessions_reaped, sessions_closed;
	uint64_t bytes_up, bytes_down, replays;
	uint64_t status[MS_NSTAT];
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

	/* live objects */
	struct listener pub, admin;
	char pub_name[ENDPOINT_STR_MAX], admin_name[ENDPOINT_STR_MAX];
	struct mconn *conns;
	size_t nconns;
	struct msess **buckets;
	size_t nbuckets;
	uint64_t hkey;
	struct msess *sessions;
	size_t nsessions;
	ev_timer reaper;
	int draining;
	struct meeks_stats st;
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
/* SIGTERM: close idle connections, let the others finish one answer. */
void mconn_drain(struct meeks *m);
void mconn_abort_all(struct meeks *m);
const char *meeks_date(struct meeks *m);
void meeks_count(struct meeks *m, int status);

/* meek_session.c */
int msess_init(struct meeks *m);
void msess_free_all(struct meeks *m);
struct msess *msess_find(struct meeks *m, const char *id, size_t len);
/* New session, dialling the upstream; NULL with errno on failure. */
struct msess *msess_new(struct meeks *m, const struct meek_req *r, const struct sockaddr *peer,
                        const struct sockaddr *local);
/* Queue c on s, or make it the active request. -1 when the queue is full. */
int msess_enqueue(struct msess *s, struct mconn *c);
/* c leaves s (closed, or answered). */
void msess_detach(struct msess *s, struct mconn *c);
/* For the active request: 1 when its body is to be discarded (a replay). */
int msess_replaying(const struct msess *s);
/* Take up to n body bytes of the active request; returns how many. */
size_t msess_body(struct msess *s, const uint8_t *p, size_t n);
/* The active request's body is complete: answer when the session can. */
void msess_body_done(struct msess *s);

/* meek_admin.c */
/* Answer an admin request: fills body, returns the status. */
int meeks_admin_answer(struct meeks *m, const struct http_head *h, char *body, size_t cap,
                       size_t *len);

#endif
