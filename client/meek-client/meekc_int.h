/* SPDX-License-Identifier: MIT */
/*
 * meek-client's engine internals, shared by the poll scheduler (meekc.c)
 * and the HTTP/1.1 transport (meekc_h1.c). Nothing outside this folder
 * includes it.
 *
 * A request lives in a slot from its creation until its answer's body
 * has been written to stdout; slot i holds the seq with seq % SLOTS == i.
 * The transport carries a slot's request (head and body, formatted once,
 * resent unchanged on every retry) and hands back one answer or one
 * failure; the scheduler decides what to send next, retries, and writes
 * answers out strictly in seq order.
 */
#ifndef PW_MEEKC_INT_H
#define PW_MEEKC_INT_H

#include <ev.h>

#include "base/buf.h"
#include "base/stdio_carrier.h"
#include "meekc.h"
#include "proto/meek.h"
#include "proto/meekpipe.h"

#define MEEKC_SLOTS MEEK_PIPE_WINDOW_MAX

enum slot_state {
	SL_FREE,   /* unused */
	SL_WAIT,   /* formatted, waiting for a connection */
	SL_SENT,   /* on a connection */
	SL_BACKOFF, /* failed; its retry timer runs */
	SL_DONE,   /* answered; its body waits to be written out */
};

struct meekc;

struct meekc_slot {
	struct meekc *m;
	enum slot_state st;
	uint64_t seq;
	uint8_t *req; /* head + body */
	size_t req_len, req_body;
	uint8_t *rsp; /* the transport reads the answer here; the body is decoded in place */
	size_t rsp_len;
	size_t down_off, down_len;
	int attempt, stale_retried;
	ev_timer retry, deadline;
	void *conn; /* the transport's, while SL_SENT */
};

struct meekc_h1;
struct meekc_h2;
struct tls_conn;
struct nssfd;

/* One connection to the front (meekc_sock.c). */
struct meekc_sock {
	int fd;              /* -1 when closed */
	struct tls_conn *tc; /* wolfSSL; NULL for plain http:// and --tls firefox */
	struct nssfd *nf;    /* NSS as Firefox (--tls firefox), or NULL */
	int want_write;      /* TLS asked for writability */
	size_t addr;         /* index of the front in use */
};

struct meekc {
	struct ev_loop *loop;
	struct meekc_config *cfg;
	struct tls_ctx *tls;
	struct meekc_h1 *h1;
	struct meekc_h2 *h2; /* NULL: HTTP/1.1 only (http://, --http1) */

	struct stdio_carrier io;
	int in_eof;
	struct buf up;
	size_t req_cap, rsp_cap;

	struct meekc_slot slots[MEEKC_SLOTS];
	uint64_t seq_next; /* the next request's seq */
	uint64_t seq_out;  /* the next answer to write out */
	char sid[MEEK_SESSION_ID_HEX + 1];

	/* pipelining: off until an answer offers it */
	int pipe;
	unsigned pipe_max, window;
	size_t body_size;  /* this request's body cap: grows to max_body while the backlog lasts */
	int down_busy;     /* the last answer was full: the server has more */

	unsigned interval_ms;
	int poll_due;
	ev_timer poll_timer;
	int finished, status;
	int drained; /* stdin ended and a round trip moved nothing: exit once written out */
	int gone;          /* a poll was answered 410: no new polls; exit once the earlier answers are out */
	uint64_t gone_seq; /* the lowest seq answered 410 */
	uint64_t bytes_up, bytes_down, polls, answers;
	unsigned inflight_max;
};

/* meekc.c, called by the transport. */
struct meekc_answer {
	int status;
	const char *ctype;    /* Content-Type value, or NULL */
	const char *location; /* Location value, or NULL */
	const char *pipe;     /* X-Meek-Pipeline value, or NULL */
	const uint8_t *body;  /* inside the slot's rsp */
	size_t len;
};
void meekc_answered(struct meekc *m, struct meekc_slot *sl, const struct meekc_answer *a);
/* The attempt failed; reused: on a kept-alive connection before any answer byte. */
void meekc_failed(struct meekc *m, struct meekc_slot *sl, const char *why, int reused);
/* A permanent failure (certificate, wrong far end): exit with status and a line. */
void meekc_fatal(struct meekc *m, int status, const char *why);
void meekc_update(struct meekc *m);

/* meekc_sock.c */
int meekc_sock_open(struct meekc *m, struct meekc_sock *k);
/* Start TLS on k (alpn a comma-separated list). 0, or -1 with why. */
int meekc_sock_tls(struct meekc *m, struct meekc_sock *k, const char *alpn, char *why, size_t len);
/* 1 done, 0 in progress, -1 failed (retry), -2 the certificate did not verify (fatal). */
int meekc_sock_handshake(struct meekc *m, struct meekc_sock *k, char *why, size_t len);
void meekc_sock_close(struct meekc_sock *k);
/* A TLS session exists on k (after meekc_sock_tls). */
int meekc_sock_secure(const struct meekc_sock *k);
/* After the handshake: the ALPN protocol chosen ("" for none) and the TLS version. */
const char *meekc_sock_alpn(const struct meekc_sock *k);
const char *meekc_sock_version(const struct meekc_sock *k);
ssize_t meekc_sock_read(struct meekc_sock *k, void *p, size_t n);
ssize_t meekc_sock_write(struct meekc_sock *k, const void *p, size_t n);
const char *meekc_sock_why(const struct meekc_sock *k, ssize_t r, const char *what);

/* meekc_h1.c: HTTP/1.1 keep-alive connections, one request each at a time. */
struct meekc_h1 *meekc_h1_new(struct meekc *m);
void meekc_h1_free(struct meekc_h1 *h);
/* Carry sl's request on an idle or new connection (or when one frees up). */
void meekc_h1_submit(struct meekc_h1 *h, struct meekc_slot *sl);
/* Give up sl's attempt (its deadline passed): its connection is closed. */
void meekc_h1_abort(struct meekc_h1 *h, struct meekc_slot *sl);
/* Connections open, for the log. */
unsigned meekc_h1_conns(const struct meekc_h1 *h);

/*
 * meekc_h2.c: one HTTP/2 connection (ALPN h2), every request a stream.
 * When the front picks HTTP/1.1 instead, everything from then on goes to
 * the HTTP/1.1 transport.
 */
struct meekc_h2 *meekc_h2_new(struct meekc *m);
void meekc_h2_free(struct meekc_h2 *x);
void meekc_h2_submit(struct meekc_h2 *x, struct meekc_slot *sl);
void meekc_h2_abort(struct meekc_h2 *x, struct meekc_slot *sl);

#endif
