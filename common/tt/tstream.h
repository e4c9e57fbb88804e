/* SPDX-License-Identifier: MIT */
/*
 * A relay between a connected fd and one stream of a tunnel (tunnel.h),
 * the session-mode twin of relay.h. Each direction has one bounded
 * buffer: the fd is not read while the stream refuses writes, and the
 * stream is not read while the fd will not take bytes, so smux's window
 * (and behind it KCP's) carries the backpressure to the far end. EOF is
 * passed on as a half-close both ways (shutdown(SHUT_WR) / smux FIN).
 *
 * Optionally the first byte from the stream is a status byte (the
 * egress's answer, DESIGN.md §3): it is taken off the stream and handed
 * to status_cb, and until it arrives the fd is read only when
 * TSTREAM_OPTIMISTIC is set.
 *
 * The owner's tunnel callbacks find their object for the stream (the
 * tunnel's user pointer) and call tstream_readable()/tstream_writable().
 * The tstream owns the fd and the stream from tstream_new() on; done_cb
 * runs once, after both are closed (closing the stream also clears its
 * user pointer).
 */
#ifndef PW_TSTREAM_H
#define PW_TSTREAM_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "tt/tunnel.h"

#define TSTREAM_BUF 65536

#define TSTREAM_STATUS 0x01     /* the stream starts with a status byte */
#define TSTREAM_OPTIMISTIC 0x02 /* relay fd bytes before the status arrives */
/*
 * The fd's EOF after the stream's own is a teardown FIN: it may wait for
 * the next datagram (tunnel_shutdown_lazy). For socks-client's streams.
 */
#define TSTREAM_LAZY_FIN 0x04

struct tstream;

struct tstream_stats {
	uint64_t up;   /* fd -> stream */
	uint64_t down; /* stream -> fd */
	int err;       /* errno of a failed fd, 0 otherwise */
	int status;    /* the status byte, or -1 if none arrived */
	int aborted;   /* tstream_abort(), a refused status, or a dead tunnel */
};

struct tstream_cb {
	/*
	 * The status byte arrived (0..255); return 0 to relay, -1 to close.
	 * Also called with -1 when the stream ends before any status came,
	 * while the fd is still open, so the owner can answer its client.
	 */
	int (*status)(struct tstream *ts, int status, void *arg);
	void (*done)(struct tstream *ts, const struct tstream_stats *st, void *arg);
};

/* NULL when out of memory (then fd and stream are still the caller's). */
struct tstream *tstream_new(struct ev_loop *loop, struct tunnel *t, uint32_t sid, int fd,
                            unsigned flags, double idle_timeout, const struct tstream_cb *cb,
                            void *arg);

/*
 * Bytes already read from the fd (to the stream) or from the stream (to
 * the fd), before tstream_start(). 0, or -1 when they do not fit.
 */
int tstream_preload_up(struct tstream *ts, const void *p, size_t n);
int tstream_preload_down(struct tstream *ts, const void *p, size_t n);

/* Move what can move now. May finish ts (done_cb runs): do not touch it after. */
void tstream_start(struct tstream *ts);

/* From the owner's tunnel callbacks. */
void tstream_readable(struct tstream *ts);
void tstream_writable(struct tstream *ts);

/* Close both ends now (the tunnel died, shutdown). */
void tstream_abort(struct tstream *ts);

/*
 * Give the fd back and forget the stream without closing either and
 * without done_cb: for an owner that will retry on another tunnel.
 * Only sensible before anything came from the stream. Return the fd.
 */
int tstream_release(struct tstream *ts);

#endif
