/* SPDX-License-Identifier: MIT */
/*
 * socks-client's application connections, inside (see proxy.h for the
 * outside). One struct conn per accepted connection, in three files:
 *
 *   proxy.c          the front, shared by both modes: read the SOCKS5
 *                    greeting+request or HTTP CONNECT head (the first
 *                    byte tells: 0x05 or a letter), answer the
 *                    application, the timers and the one close path
 *   proxy_perconn.c  per-connection mode: a carrier of its own and a
 *                    SOCKS5 handshake with the far end, then the relay
 *   proxy_session.c  session mode: a stream on the Turbo Tunnel
 *                    session (csession), relayed by a tstream
 *
 * A conn is closed by conn_close until the relay (per-connection) or the
 * tstream (session) owns its fds; from then on their done callbacks
 * unlink it. Limits: CONN_IN_MAX bytes of application head plus early
 * data, CONN_FAR_MAX bytes of far-end reply.
 */
#ifndef PW_PROXY_INT_H
#define PW_PROXY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/net.h"
#include "proto/http.h"
#include "proto/socksaddr.h"
#include "proxy.h"

/* Application head: SOCKS5 greeting + request, or an HTTP head, plus early data. */
#define CONN_IN_MAX (HTTP_HEAD_MAX + 4096)
#define CONN_FAR_MAX 1024

/* The far side, which runs concurrently with the application's HEAD. */
enum far_state {
	FAR_DIAL,   /* carrier connecting (or child starting) */
	FAR_METHOD, /* greeting sent, waiting for the method choice */
	FAR_READY,  /* no-auth accepted; waiting for the application's request */
	FAR_REPLY,  /* CONNECT sent, waiting for the reply */
	FAR_FAILED, /* every carrier failed; answer once the request is in */
};
enum conn_kind { KIND_UNKNOWN, KIND_SOCKS5, KIND_HTTP };

struct conn {
	struct proxy *px;
	struct conn *next, **prevp;
	int head_done; /* the application's request is parsed */
	int answered;  /* session mode: the application has its reply */
	enum far_state far_st;
	enum conn_kind kind;
	int app_fd;
	int car_fd;
	pid_t pid;
	size_t carrier_idx;
	ev_io app_io;
	ev_io car_io;
	ev_timer timer;
	ev_child child;
	struct relay *relay; /* set once relaying; then the relay owns the fds */
	struct tstream *ts;  /* session mode: set once the stream is open; it owns app_fd */
	struct tunnel *tun;
	int retries;         /* session mode: reopened on a new session after a loss */
	int greeted;         /* SOCKS5 method reply sent */
	size_t head_len; /* bytes of in[] that are the request */
	struct socksaddr dst;
	char peer[NET_ADDRSTR_MAX];
	size_t inlen, farlen;
	uint8_t in[CONN_IN_MAX];
	uint8_t far[CONN_FAR_MAX];
};

/* proxy.c: the front */
void conn_arm_timer(struct conn *c, double after);
/* Forget c (its fds are closed or owned elsewhere) and free it. */
void conn_unlink(struct conn *c);
/* The one close path before the relay or the tstream takes over. */
void conn_close(struct conn *c, const char *why);
/* Answer the application: a SOCKS5 reply or an HTTP status line. 0 or -1. */
int conn_answer(struct conn *c, uint8_t rep);
/* Answer with rep, then close. */
void conn_fail(struct conn *c, uint8_t rep, const char *why);

/* proxy_perconn.c: per-connection mode */
/* Open the first carrier that opens; started at accept, overlapping the head. */
void conn_carrier_dial(struct conn *c);
/* The application's request is in: send it on, or answer a failure. */
void conn_carrier_request(struct conn *c);
/* The far end did not answer within the connect timeout. */
void conn_carrier_timeout(struct conn *c);
/* Close the carrier, if any, and end its child. */
void conn_carrier_stop(struct conn *c);

/* proxy_session.c: session mode */
/* The application's request is in: open a stream on the session. */
void conn_stream_open(struct conn *c);
/* The connect timeout: answer and abort, or retry after a lost session. */
void conn_stream_timeout(struct conn *c);

#endif
