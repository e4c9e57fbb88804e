/* SPDX-License-Identifier: MIT */
/*
 * A bidirectional byte relay between two connected fds on a libev loop.
 * Each direction has one bounded buffer: reading from the source stops
 * while the buffer is full and resumes once the sink drains it below the
 * low watermark, so a slow peer costs at most RELAY_BUF_DEFAULT bytes per
 * direction. EOF in one direction is passed on as shutdown(SHUT_WR) once
 * the buffer is flushed (half-close); the relay ends when both directions
 * are done, on an error, or after the idle timeout. The relay owns both
 * fds from relay_new() on and closes them exactly once.
 */
#ifndef PW_RELAY_H
#define PW_RELAY_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_BUF_DEFAULT (128 * 1024)
#define RELAY_BUF_MAX (16 * 1024 * 1024)

enum relay_end {
	RELAY_END_DONE = 0, /* both directions reached EOF and were flushed */
	RELAY_END_ERROR,    /* read/write error on either side (see err) */
	RELAY_END_IDLE,     /* idle timeout */
	RELAY_END_ABORT,    /* relay_abort() */
};

struct relay_stats {
	uint64_t a_to_b; /* bytes written to b */
	uint64_t b_to_a; /* bytes written to a */
	enum relay_end end;
	int err; /* errno for RELAY_END_ERROR */
};

struct relay;
typedef void (*relay_done_cb)(struct relay *r, const struct relay_stats *st, void *arg);

struct relay_opts {
	size_t bufsize;       /* per direction; 0 → RELAY_BUF_DEFAULT */
	double idle_timeout;  /* seconds without traffic; 0 → none */
};

/*
 * Start relaying. Returns NULL on allocation failure (the fds are then
 * still the caller's). done is called once, after both fds are closed;
 * the relay is freed when done returns.
 */
struct relay *relay_new(struct ev_loop *loop, int fd_a, int fd_b, const struct relay_opts *opts,
                        relay_done_cb done, void *arg);

/*
 * Queue bytes already read from a (to go to b) or from b (to go to a),
 * e.g. early data after a SOCKS request. Call right after relay_new().
 * Return 0, or -1 if they do not fit in the buffer.
 */
int relay_preload_a_to_b(struct relay *r, const void *p, size_t n);
int relay_preload_b_to_a(struct relay *r, const void *p, size_t n);

/* Tear down now: close both fds, report RELAY_END_ABORT. */
void relay_abort(struct relay *r);

#endif
