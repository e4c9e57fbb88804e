/* SPDX-License-Identifier: MIT */
/*
 * The stdin/stdout side of a carrier (DESIGN.md §1: a child process whose
 * stream or packets run on its stdin/stdout). It owns what every carrier
 * needs around those two descriptors and nothing of what it carries:
 * - both are made non-blocking for the loop, and their file status flags
 *   are put back on close, or at exit if the process leaves without
 *   closing: they are shared with the parent (a shell's tty, a pipeline),
 *   which must not be left with O_NONBLOCK;
 * - read and write interest come from the owner's buffers through
 *   stdio_carrier_want; the reads and writes stay with the owner;
 * - when stdout is a pipe and nothing is queued for it, a reader that
 *   goes away is reported at once (Linux wakes a read watcher on a pipe's
 *   write end only with EPOLLERR), not at the next write, which may
 *   never come;
 * - SIGPIPE is ignored (a write then fails with EPIPE instead) and
 *   SIGTERM, SIGINT and SIGHUP arrive through the loop, so the owner
 *   closes cleanly and the flags are restored.
 * One per process: the flags and the signals are per process.
 */
#ifndef PW_STDIO_CARRIER_H
#define PW_STDIO_CARRIER_H

#include <ev.h>

struct stdio_carrier_cbs {
	void (*readable)(void *arg);           /* in_fd is readable */
	void (*writable)(void *arg);           /* out_fd is writable */
	void (*gone)(void *arg);               /* the reader of the out_fd pipe left */
	void (*signal)(void *arg, int signum); /* SIGTERM, SIGINT or SIGHUP */
};

struct stdio_carrier {
	struct ev_loop *loop;
	int in_fd, out_fd;
	int fl_in, fl_out; /* flags to restore, -1 when nothing to restore */
	int out_is_pipe;
	int open;
	ev_io in, out, gone;
	ev_signal sig[3];
	const struct stdio_carrier_cbs *cbs;
	void *arg;
};

/*
 * Make in_fd and out_fd non-blocking, ignore SIGPIPE, start the signal
 * watchers on loop. No I/O watcher runs until stdio_carrier_want. 0, or
 * -1 with errno and nothing changed. sc must live until closed.
 */
int stdio_carrier_open(struct stdio_carrier *sc, struct ev_loop *loop, int in_fd, int out_fd,
                       const struct stdio_carrier_cbs *cbs, void *arg);

/* Watch in_fd while want_read, out_fd while want_write (else its reader). */
void stdio_carrier_want(struct stdio_carrier *sc, int want_read, int want_write);

/*
 * Stop every watcher and restore both descriptors' flags. Call before the
 * loop is destroyed. A zeroed or already closed sc is left alone.
 */
void stdio_carrier_close(struct stdio_carrier *sc);

#endif
