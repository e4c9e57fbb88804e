/* SPDX-License-Identifier: MIT */
/*
 * The application side of socks-client: one struct conn per accepted
 * application connection, from the first byte (SOCKS5 or HTTP CONNECT)
 * to the relay: through a carrier of its own and a SOCKS5 handshake with
 * the far end (per-connection mode), or as a stream on the session
 * (session mode). The insides are in proxy_int.h.
 */
#ifndef PW_PROXY_H
#define PW_PROXY_H

#include <ev.h>
#include <stddef.h>
#include <sys/socket.h>

#include "carrier.h"
#include "csession.h"

struct proxy {
	struct ev_loop *loop;
	const struct carrier *carriers;
	size_t ncarriers;
	size_t max_conns;
	double handshake_timeout; /* application must finish its request */
	double connect_timeout;   /* far end must answer CONNECT */
	double idle_timeout;      /* relay idle timeout; 0 = none */
	struct csession *sess; /* session mode; NULL: one carrier per connection */
	int optimistic;        /* session mode: answer before the egress does */
	size_t nconns;
	struct conn *conns; /* list, for shutdown */
	void (*on_idle)(struct proxy *px); /* nconns dropped to 0 */
};

/* Take over an accepted application connection. */
void proxy_accept(struct proxy *px, int fd, const struct sockaddr_storage *peer);

/* Abort every connection (second signal, drain timeout). */
void proxy_abort_all(struct proxy *px);

/* csession callbacks: fail every stream riding on t; pass stream events on. */
void proxy_session_lost(void *arg, struct tunnel *t);
void proxy_session_stalled(void *arg, struct tunnel *t);
void proxy_stream_readable(void *arg, struct tunnel *t, uint32_t sid);
void proxy_stream_writable(void *arg, struct tunnel *t, uint32_t sid);

#endif
