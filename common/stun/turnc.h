/* SPDX-License-Identifier: MIT */
/*
 * A TURN client (RFC 8656) on top of stunc: one allocation on one
 * transport (UDP, TCP or TLS) to one server.
 *
 *   Allocate without credentials, then again with the 401's REALM and
 *   NONCE and the long-term key; a 438 (stale nonce) anywhere is retried
 *   with the new NONCE. The allocation is refreshed before it expires
 *   (lifetime minus TURNC_REFRESH_MARGIN_S, or half the lifetime when it
 *   is short). Peers get a permission (CreatePermission) and, on request,
 *   a channel (ChannelBind), both refreshed before the server's lifetimes
 *   (RFC defaults 300 s and 600 s; a server configured shorter must be
 *   told through turnc_cfg, since TURN does not announce them). Data goes
 *   out as ChannelData once a channel is bound, else as Send indications,
 *   and comes back through the data callback from either form.
 *   turnc_release sends Refresh with LIFETIME 0.
 *
 * Strict: any failed request (error response, timeout, transport closed)
 * fails the whole allocation through the failed callback, once. Limits:
 * TURNC_PEERS_MAX peers. Callbacks never run inside a turnc_* call, and
 * the object may be freed from inside any callback.
 */
#ifndef PW_TURNC_H
#define PW_TURNC_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "stun/stunc.h"

#define TURNC_PEERS_MAX 16
#define TURNC_LIFETIME_S 600        /* requested allocation lifetime */
#define TURNC_PERM_LIFETIME_S 300   /* RFC 8656 permission lifetime */
#define TURNC_CHAN_LIFETIME_S 600   /* RFC 8656 channel binding lifetime */
#define TURNC_REFRESH_MARGIN_S 60
#define TURNC_STALE_RETRIES 2       /* 438 retries per request */
#define TURNC_FIRST_CHANNEL 0x4000

struct tls_ctx;
struct tls_conn_opts;

struct turnc_cfg {
	enum stunc_kind transport;
	const struct sockaddr *server;
	socklen_t server_len;
	const char *username;        /* copied */
	const char *password;        /* copied; wiped once the key is derived */
	uint32_t lifetime_s;         /* 0: TURNC_LIFETIME_S */
	uint32_t perm_lifetime_s;    /* the server's; 0: TURNC_PERM_LIFETIME_S */
	uint32_t chan_lifetime_s;    /* the server's; 0: TURNC_CHAN_LIFETIME_S */
	uint64_t timeout_ms;         /* per transaction; 0: the RFC schedule */
	struct tls_ctx *tls_ctx;     /* STUNC_TLS only */
	const struct tls_conn_opts *tlso;
};

struct turnc_cbs {
	/* The allocation exists (mapped is NULL when the server sent none). */
	void (*allocated)(void *arg, const struct sockaddr *relayed, socklen_t rlen,
	                  const struct sockaddr *mapped, socklen_t mlen, uint32_t lifetime_s);
	/* A peer's channel is bound (first time only); may be NULL. */
	void (*bound)(void *arg, const struct sockaddr *peer, uint16_t chan);
	/* Data from a peer. */
	void (*data)(void *arg, const struct sockaddr *peer, socklen_t plen, const uint8_t *p, size_t n);
	/*
	 * The allocation failed or was lost: res says how (STUNC_RESPONSE for
	 * an error response, whose code is then set; else code is 0).
	 */
	void (*failed)(void *arg, enum stunc_result res, int code, const char *why);
	/* turnc_release finished (the server confirmed, or gave no answer). */
	void (*released)(void *arg);
};

struct turnc_stats {
	uint64_t refreshes, perm_refreshes, chan_refreshes, stale_nonces;
	uint64_t sent_channel, sent_indication, recv_channel, recv_indication;
	double first_rtt_ms;
};

struct turnc;

/* NULL with a reason in err. Nothing is sent before turnc_start. */
struct turnc *turnc_new(struct ev_loop *loop, const struct turnc_cfg *cfg, const struct turnc_cbs *cbs,
                        void *arg, char *err, size_t errlen);
void turnc_free(struct turnc *t);

/* Begin Allocate. 0, or -1 (already started). */
int turnc_start(struct turnc *t);
/* Permission (and with channel set, a channel) for peer; kept refreshed. 0 or -1 (full). */
int turnc_add_peer(struct turnc *t, const struct sockaddr *peer, socklen_t len, int channel);
/* Send to a peer added before: 0, or -1 with errno (ENOENT unknown peer, EAGAIN not allocated). */
int turnc_send(struct turnc *t, const struct sockaddr *peer, socklen_t len, const void *p, size_t n);
/* Refresh with LIFETIME 0, then the released callback. */
void turnc_release(struct turnc *t);

const struct turnc_stats *turnc_stats(const struct turnc *t);
struct stunc *turnc_transport(struct turnc *t);

/* When to refresh something that lives lifetime_s seconds, in ms from now. */
uint64_t turnc_refresh_ms(uint32_t lifetime_s);

#endif
