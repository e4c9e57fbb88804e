/* SPDX-License-Identifier: MIT */
/*
 * STUN client transactions on libev (RFC 8489 §6.2). One struct stunc is
 * one transport:
 *
 *   - a UDP socket, unconnected, that may talk to many servers at once
 *     (stun-prober keeps one for every probe): a response is matched by
 *     transaction id AND by the address it came from (unless the request
 *     asked for a reply from elsewhere, RFC 5780 CHANGE-REQUEST). Requests
 *     are retransmitted: RTO 500 ms doubling, Rc 7 sends, then Rm x RTO
 *     (16 x 500 ms) for the last wait: 39.5 s in all. ICMP errors reach us
 *     through IP_RECVERR and fail the transactions sent to that address.
 *   - a TCP (or TLS, when the adapter is there) stream to one server: one
 *     send per transaction and a 39.5 s timeout. The byte stream is split
 *     into frames in a bounded read buffer; writes go through a bounded
 *     buffer; when it is full a send fails instead of growing.
 *
 * A caller's timeout shorter than the schedule cuts it. Responses with an
 * unknown transaction id, from the wrong address, malformed, or failing
 * MESSAGE-INTEGRITY when the transaction has a key are dropped and
 * counted, never accepted; a drop that can be blamed on a transaction
 * (same source address) is remembered in it so a later timeout can say
 * why. ChannelData frames and indications go to the transport callbacks.
 */
#ifndef PW_STUNC_H
#define PW_STUNC_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/stun.h"

#define STUNC_RTO_MS 500          /* initial RTO */
#define STUNC_RC 7                /* sends per UDP transaction */
#define STUNC_RM 16               /* last wait, in RTOs */
#define STUNC_STREAM_TIMEOUT_MS 39500
#define STUNC_REQ_MAX 2048        /* a request we build and keep for resending */
#define STUNC_KEY_MAX 64          /* integrity key kept per transaction */
#define STUNC_DGRAM_MAX 65536     /* one received datagram */
#define STUNC_RBUF (TURN_CHANNELDATA_MAX + 16) /* stream read buffer: one whole frame fits */
#define STUNC_WBUF (256 * 1024)   /* stream write buffer */
#define STUNC_WHY_MAX 192         /* text of why a stream closed */

enum stunc_kind { STUNC_UDP = 0, STUNC_TCP, STUNC_TLS };

enum stunc_result {
	STUNC_RESPONSE = 0, /* success or error response; look at the message */
	STUNC_TIMEOUT,
	STUNC_REFUSED,      /* ICMP unreachable / ECONNREFUSED */
	STUNC_FAILED,       /* transport error or closed stream */
};

/* Why a response was dropped (the last one blamed on a transaction). */
enum stunc_drop {
	STUNC_DROP_NONE = 0,
	STUNC_DROP_MALFORMED,
	STUNC_DROP_UNKNOWN_TID,
	STUNC_DROP_INTEGRITY,
	STUNC_DROP_UNKNOWN_ATTR,
	STUNC_DROP_SOURCE,
};

struct stunc_stats {
	uint64_t sent, resent, responses;
	uint64_t malformed, unknown_tid, bad_integrity, unknown_attr, wrong_source;
};

struct stunc;
struct stunc_tx;

struct stunc_cbs {
	/* A ChannelData frame. */
	void (*channel)(void *arg, uint16_t chan, const uint8_t *p, size_t n);
	/* A STUN indication (Data indications, keepalives). */
	void (*indication)(void *arg, const struct stun_msg *m, const struct sockaddr *from);
	/* The stream is gone (EOF, error, garbage); err is an errno or 0. */
	void (*closed)(void *arg, int err, const char *why);
};

/*
 * Result of a transaction. m is the decoded response (res ==
 * STUNC_RESPONSE) and valid only during the call; rtt_ms counts from the
 * first send. After the callback the transaction is gone.
 */
typedef void (*stunc_tx_cb)(void *arg, enum stunc_result res, const struct stun_msg *m,
                            const struct sockaddr *from, double rtt_ms, enum stunc_drop drop);

struct stunc_opts {
	uint64_t timeout_ms;   /* 0: the RFC schedule (39.5 s) */
	const uint8_t *key;    /* integrity key (NULL: none checked) */
	size_t keylen;
	int any_source;        /* accept the response from any address (CHANGE-REQUEST) */
};

/*
 * UDP transport bound to bind_sa (NULL: the wildcard of family, port 0).
 * NULL with errno on failure.
 */
struct stunc *stunc_udp_new(struct ev_loop *loop, int family, const struct sockaddr *bind_sa,
                            socklen_t bind_len, const struct stunc_cbs *cbs, void *arg);
struct tls_ctx;
struct tls_conn_opts;

/*
 * Stream transport over fd, connected or with a non-blocking connect in
 * progress; the stunc owns fd from now on (closed on failure too). kind
 * STUNC_TLS needs ctx and tlso (see tls.h); the handshake runs before
 * the first request goes out. NULL with a reason in err.
 */
struct stunc *stunc_stream_new(struct ev_loop *loop, int fd, enum stunc_kind kind,
                               struct tls_ctx *ctx, const struct tls_conn_opts *tlso,
                               const struct stunc_cbs *cbs, void *arg, char *err, size_t errlen);
/* Cancels every transaction without calling back, closes the socket. */
void stunc_free(struct stunc *c);

enum stunc_kind stunc_kind(const struct stunc *c);
/* Why a stream closed ("connect: Connection refused", a TLS error), or "". */
const char *stunc_close_reason(const struct stunc *c);
const struct stunc_stats *stunc_stats(const struct stunc *c);
/* The local address of the socket. */
int stunc_local(const struct stunc *c, struct sockaddr_storage *ss, socklen_t *len);
/*
 * Ask for socket buffers of this many bytes each way (the kernel caps
 * them at net.core.rmem_max/wmem_max): a relayed media flow arrives in
 * bursts that the default UDP receive buffer drops. 0 or -1 (errno).
 */
int stunc_set_buffers(struct stunc *c, int bytes);

/*
 * Start a transaction: msg (a request whose tid is bytes 8..19) to `to`
 * (ignored on streams). Returns NULL with errno (EMSGSIZE, ENOMEM,
 * ENOBUFS when a stream's write buffer is full). The callback never runs
 * inside this call.
 */
struct stunc_tx *stunc_request(struct stunc *c, const struct sockaddr *to, socklen_t tolen,
                               const uint8_t *msg, size_t len, const struct stunc_opts *o,
                               stunc_tx_cb cb, void *arg);
void stunc_cancel(struct stunc_tx *tx);

/* Send without a transaction (indications, ChannelData): 0, or -1 with errno. */
int stunc_send(struct stunc *c, const struct sockaddr *to, socklen_t tolen, const void *p,
               size_t n);

/*
 * The UDP schedule, pure so it can be tested: when send number i
 * (0-based) goes out, in ms after the first, and when the transaction
 * gives up. rto doubles after each send; the last wait is rm x rto0.
 */
uint64_t stunc_send_at_ms(unsigned i, uint64_t rto0);
uint64_t stunc_give_up_ms(unsigned rc, unsigned rm, uint64_t rto0);

const char *stunc_result_name(enum stunc_result r);
const char *stunc_drop_name(enum stunc_drop d);

#endif
