/* SPDX-License-Identifier: MIT */
/*
 * One Turbo Tunnel carrier stream (tor.md §1.2–1.4, DESIGN.md §3): the
 * client end writes the preamble (proto/preamble.h), then both ends
 * exchange encapsulated datagrams (proto/frame.h). Every carrier half
 * speaks it the same way: socks-client and the egress today; a datagram
 * carrier that rebuilds a carrier stream, or a volunteer relaying to the
 * egress, tomorrow.
 *
 * Two layers. struct carrier_codec is pure: the read side takes bytes
 * and yields the preamble (server role) and datagrams, each cut to
 * PKTQ_PKT_MAX; the write side frames datagrams from a pktq into a
 * bounded output buffer, whole ones only, behind the preamble (client
 * role). struct carrier_io adds a non-blocking fd on a libev loop: it
 * reads up to CARRIER_IO_BUF bytes at a time, writes the output buffer
 * and refills it from the owner's queue, and derives its write interest
 * from that state. Output goes out from an ev_prepare watcher before the
 * loop blocks, after one more turn that does not block (an ev_idle watcher
 * keeps that turn's poll from waiting), so that what became ready
 * meanwhile (a connect that completed) goes in the same send; write
 * interest on the fd is armed only after a send met a full socket. No
 * epoll_ctl per packet. Bounds: CARRIER_IO_BUF read at a time, the output
 * buffer's capacity (given at init), one datagram held by the reader;
 * the owner's pktq bounds the rest, and a full output buffer leaves
 * packets in the queue, which is the backpressure toward the tunnel.
 */
#ifndef PW_CARRIER_IO_H
#define PW_CARRIER_IO_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "proto/frame.h"
#include "proto/preamble.h"
#include "tt/pktq.h"

#define CARRIER_IO_BUF 65536 /* bytes read from the fd at a time */

enum carrier_role {
	CARRIER_CLIENT, /* writes the preamble */
	CARRIER_SERVER, /* reads the preamble */
};

/* What carrier_codec_read found. Errors are negative. */
#define CARRIER_MORE 0       /* all input consumed, nothing complete */
#define CARRIER_PREAMBLE 1   /* the preamble is in: carrier_codec_id() */
#define CARRIER_PKT 2        /* one datagram is in */
#define CARRIER_EPREAMBLE -1 /* wrong token */
#define CARRIER_EFRAME -2    /* bad encapsulation: chunk boundaries are lost */

struct carrier_codec {
	enum carrier_role role;
	int secure;    /* the secure-session token: set by a client before reset, read by a server */
	int err;       /* the first error, returned from then on; 0 */
	size_t prelen; /* preamble bytes read (server role) */
	uint8_t pre[PREAMBLE_LEN];
	uint8_t id[CLIENTID_LEN];
	struct frame_reader fr;
	uint8_t pkt[PKTQ_PKT_MAX]; /* the datagram being read */
	struct buf out;            /* encapsulated bytes not yet written */
};

/* 0, or -1 when out of memory. outcap bounds the output buffer. */
int carrier_codec_init(struct carrier_codec *k, size_t outcap);
void carrier_codec_free(struct carrier_codec *k);

/*
 * Start a new carrier stream: the reader at a chunk boundary (and
 * before the preamble, server role), the output empty but for the
 * preamble for id (client role; id is ignored otherwise).
 */
void carrier_codec_reset(struct carrier_codec *k, enum carrier_role role,
                         const uint8_t id[CLIENTID_LEN]);

/*
 * Consume bytes from p; *used says how many. Stops after the preamble
 * and after each datagram, leaving what follows unconsumed. For
 * CARRIER_PKT the datagram is *pkt (inside k, valid until the next
 * call), *len bytes. An error is final: every later call fails too.
 */
int carrier_codec_read(struct carrier_codec *k, const uint8_t *p, size_t n, size_t *used,
                       const uint8_t **pkt, size_t *len);

/* The ClientID, once CARRIER_PREAMBLE was returned. */
const uint8_t *carrier_codec_id(const struct carrier_codec *k);

/*
 * Frame packets from q into the output while whole ones fit. Return how
 * many left q (the tunnel may have room again when > 0).
 */
size_t carrier_codec_fill(struct carrier_codec *k, struct pktq *q);

/* --- the fd on a libev loop ---------------------------------------------- */

/*
 * The owner's side. Each callback that can end the carrier returns -1
 * when it did (carrier_io_close, or freeing the struct that holds the
 * carrier_io): carrier_io then returns without touching it again.
 */
struct carrier_io_cb {
	/* Server role: the preamble is in. (NULL in the client role.) */
	int (*preamble)(void *arg, const uint8_t id[CLIENTID_LEN]);
	/* One datagram from the peer. */
	int (*packet)(void *arg, const uint8_t *pkt, size_t len);
	/* A read was consumed; any: it brought datagrams. */
	int (*read_done)(void *arg, int any);
	/*
	 * The queue to take packets from now, or NULL (this carrier is not
	 * the one that carries the session's packets at the moment).
	 */
	struct pktq *(*queue)(void *arg);
	/* Packets left that queue: the tunnel may write again. (May be NULL.) */
	void (*room)(void *arg);
	/*
	 * Connect-in-progress is over (carrier_io_open with connecting set):
	 * check it and return 0 to start reading, or end and return -1.
	 * (NULL when the owner never opens with connecting set.)
	 */
	int (*connected)(void *arg);
	/*
	 * The carrier cannot go on: EOF, an fd error, a bad preamble or bad
	 * encapsulation. The owner ends it; carrier_io touches nothing after.
	 */
	void (*failed)(void *arg, const char *why);
};

struct carrier_io {
	struct ev_loop *loop;
	const struct carrier_io_cb *cb;
	void *arg;
	int fd;         /* -1 while closed */
	int connecting; /* waiting for writability before reading */
	int blocked;    /* the last send met a full socket: wait for EV_WRITE */
	ev_io rd, wr;
	ev_prepare flush; /* writes what is pending before the loop blocks ... */
	ev_idle idle;     /* ... after one more look that does not block */
	int grace;        /* the flush watcher has not yet let the loop look again */
	struct carrier_codec k;
};

/* 0, or -1 when out of memory. Closed until carrier_io_open. */
int carrier_io_init(struct carrier_io *io, struct ev_loop *loop, size_t outcap,
                    const struct carrier_io_cb *cb, void *arg);
/* Close, and release the output buffer. */
void carrier_io_free(struct carrier_io *io);

/*
 * Take over fd (non-blocking) for a new carrier stream in role (id: see
 * carrier_codec_reset). With connecting set, nothing is read until the
 * fd is writable and cb->connected agreed. Watchers start at the next
 * carrier_io_update (or carrier_io_input) call, so the owner can finish
 * its own bookkeeping first.
 */
void carrier_io_open(struct carrier_io *io, int fd, enum carrier_role role,
                     const uint8_t id[CLIENTID_LEN], int connecting);

/* Stop the watchers, close the fd, drop unsent output. Idempotent. */
void carrier_io_close(struct carrier_io *io);

static inline int carrier_io_is_open(const struct carrier_io *io) { return io->fd != -1; }

/*
 * Bytes the owner already read from the fd (a listener that sniffed the
 * preamble's token): read as if from the fd. 0, or -1 after the owner
 * ended the carrier.
 */
int carrier_io_input(struct carrier_io *io, const uint8_t *p, size_t n);

/*
 * Derive watcher interest from state: read once connected; write while
 * connecting, while output is pending, or while the owner's queue holds
 * packets (from the flush watcher before the loop blocks, or from EV_WRITE
 * once a send met a full socket). Call after anything that may have
 * changed those.
 */
void carrier_io_update(struct carrier_io *io);

#endif
