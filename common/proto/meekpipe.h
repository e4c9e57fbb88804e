/* SPDX-License-Identifier: MIT */
/*
 * The meek pipelining extension header, X-Meek-Pipeline (see
 * pipeworks-protocol(5)): a client that announces it may keep several
 * requests of one session in flight; a server that supports it says so
 * in its answers. Peers that never send it (lantern-box meek-v1, Tor
 * meek, meek_lite) are served one request at a time, as before.
 *
 * The value is a comma-separated list of NAME=DECIMAL parameters:
 *   v=1        version, required; any other version is not understood
 *   window=N   requests in flight the sender accepts (1..MEEK_PIPE_WINDOW_MAX)
 *   base=S     client: every answer below sequence S has been received
 *   hold=MS    server: how long it may hold a poll it has nothing for
 * Unknown names are ignored (later versions add parameters); a repeated
 * name, a missing '=', a value that is not 1..18 decimal digits or a
 * value out of range is an error, and the header is then ignored whole.
 * Pure functions, no allocation.
 */
#ifndef PW_MEEKPIPE_H
#define PW_MEEKPIPE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/meek.h"

#define MEEK_PIPE_VALUE_MAX 128 /* longest header value either side formats or accepts */

struct meek_pipe {
	unsigned window;  /* 1..MEEK_PIPE_WINDOW_MAX; 1 when absent */
	uint64_t base;    /* 0 when absent */
	int has_base;
	unsigned hold_ms; /* 0..MEEK_HOLD_MAX_MS; 0 when absent */
};

/* Parse n bytes of a header value. 0 and *p filled, or -1. */
int meek_pipe_parse(const char *v, size_t n, struct meek_pipe *p);

/* Format a value (with base= when has_base, hold= when hold_ms > 0). Its length or -1. */
int meek_pipe_format(const struct meek_pipe *p, char *out, size_t cap);

#endif
