/* SPDX-License-Identifier: MIT */
/*
 * Where peerconn-watch reads event lines: standard input, or the
 * connections accepted on a listening UNIX socket (egress --events
 * unix:… connects there, and reconnects after we restart). Each reader
 * has its own bounded line buffer; at most WATCH_READERS_MAX connections
 * at once, more are closed at accept. Reading is bounded per callback so
 * that signals and other readers get their turn.
 */
#ifndef PW_EGRESS_WATCH_INPUT_H
#define PW_EGRESS_WATCH_INPUT_H

#include <ev.h>

#include "watch.h"

#define WATCH_READERS_MAX 64
#define WATCH_CHUNK (64 * 1024)      /* bytes per read() */
#define WATCH_CHUNKS_PER_TURN 16     /* reads per callback from a regular file */

struct watch_input;

/* done(arg) is called when standard input ends (EOF or a read error). */
struct watch_input *watch_input_new(struct ev_loop *loop, struct watch *w, void (*done)(void *),
                                    void *arg);
/* Read lines from fd (standard input). 0, or -1 when out of memory. */
int watch_input_fd(struct watch_input *in, int fd);
/* Accept readers on the listening socket fd. */
void watch_input_listen(struct watch_input *in, int fd);
/* Stop everything, close fds (the listening one too), free. */
void watch_input_free(struct watch_input *in);

#endif
