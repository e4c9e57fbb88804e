/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by stunc.c (transactions, UDP) and stunc_stream.c
 * (TCP/TLS). Nothing outside those two files includes this.
 */
#ifndef PW_STUNC_INT_H
#define PW_STUNC_INT_H

#include <ev.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "stun/stunc.h"

struct tls_conn;

struct stunc_tx {
	struct stunc *c;
	struct stunc_tx *prev, *next;
	uint8_t msg[STUNC_REQ_MAX];
	size_t len;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint8_t key[STUNC_KEY_MAX];
	size_t keylen;
	int any_source;
	unsigned sends;
	ev_tstamp t0;       /* ev_time() of the first send */
	ev_tstamp start;    /* ev_now() of the first send: the timer base */
	uint64_t give_up_ms;
	enum stunc_result fail; /* reported by a zero-delay timer when set */
	enum stunc_drop drop;
	ev_timer timer;
	stunc_tx_cb cb;
	void *arg;
};

struct stunc {
	struct ev_loop *loop;
	enum stunc_kind kind;
	int fd;
	int family;
	ev_io rd, wr;
	struct stunc_cbs cbs;
	void *arg;
	struct stunc_stats stats;
	struct stunc_tx *txs;
	uint8_t *rbuf;
	size_t rlen;
	struct buf wbuf;
	struct tls_conn *tls;
	int connecting, handshaking, dead;
	int busy, doomed;
	char why[STUNC_WHY_MAX];
};

void stunc_enter(struct stunc *c);
/* Leaving the outermost callback frees a transport doomed meanwhile. */
void stunc_leave(struct stunc *c);
void stunc_destroy(struct stunc *c);
/* Complete tx (unlinked first, freed after its callback). */
void stunc_tx_finish(struct stunc_tx *tx, enum stunc_result res, const struct stun_msg *m,
                     const struct sockaddr *from);
/* One datagram or one frame cut from a stream. */
void stunc_dispatch(struct stunc *c, const uint8_t *p, size_t n, const struct sockaddr *from);
/* Derive stream I/O interest from the buffers. */
void stunc_update(struct stunc *c);
void stunc_stream_close(struct stunc *c, int err, const char *why);

#endif
