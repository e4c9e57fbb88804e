/* SPDX-License-Identifier: MIT */
/*
 * Bounded line splitting for peerconn-watch. Bytes arrive in chunks of
 * any size; whole lines are handed to a callback, straight from the
 * chunk when they lie in it and from a fixed WATCH_LINE_MAX buffer when
 * they straddle two reads. A line longer than WATCH_LINE_MAX (the
 * newline not counted) is skipped up to its newline and reported once
 * with line == NULL. Pure: no I/O, no allocation.
 */
#ifndef PW_EGRESS_WATCH_LINES_H
#define PW_EGRESS_WATCH_LINES_H

#include <stddef.h>

#define WATCH_LINE_MAX 4096

/* line == NULL: an overlong line was skipped. The newline is not included. */
typedef void (*watch_line_cb)(void *arg, const char *line, size_t n);

struct watch_lines {
	size_t len;   /* bytes of a partial line in buf */
	int skipping; /* inside an overlong line */
	char buf[WATCH_LINE_MAX];
};

void watch_lines_init(struct watch_lines *l);
void watch_lines_feed(struct watch_lines *l, const char *p, size_t n, watch_line_cb cb, void *arg);
/* At EOF: hand on a last line that had no newline. */
void watch_lines_finish(struct watch_lines *l, watch_line_cb cb, void *arg);

#endif
