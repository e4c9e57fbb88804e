/* SPDX-License-Identifier: MIT */
/*
 * Where event lines go (--events): stdout ("-"), a UNIX stream socket
 * a reader listens on ("unix:/path"), or a file opened for appending
 * (any other string). Writing never blocks the relays: lines wait in
 * one queue of EVSINK_QUEUE_MAX bytes and leave through non-blocking
 * writes; a line that does not fit is dropped whole and counted, and
 * drops are logged at most once per EVSINK_LOG_INTERVAL. A UNIX reader
 * that goes away is reconnected with capped exponential backoff; a line
 * cut in half by the disconnect is not resent to the next reader.
 */
#ifndef PW_EGRESS_EVSINK_H
#define PW_EGRESS_EVSINK_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#define EVSINK_QUEUE_MAX (1024 * 1024)
#define EVSINK_LOG_INTERVAL 10.0 /* seconds between drop warnings */
#define EVSINK_BACKOFF_MIN 0.25  /* seconds before the first reconnect */
#define EVSINK_BACKOFF_MAX 5.0   /* a restarted peerconn-watch waits at most this long */

struct evsink;

/* Classify spec and open it; NULL with a reason in err. Never blocks. */
struct evsink *evsink_open(struct ev_loop *loop, const char *spec, char *err, size_t errlen);

/* Queue one whole line (ending in '\n'), or drop it. */
void evsink_write(struct evsink *s, const char *line, size_t n);

/* Reopen a file sink (log rotation); a no-op for the other kinds. */
void evsink_reopen(struct evsink *s);

uint64_t evsink_dropped(const struct evsink *s);

/* Flush what can go within timeout seconds, then close and free. */
void evsink_close(struct evsink *s, double timeout);

#endif
