/* SPDX-License-Identifier: MIT */
/*
 * Line splitting (see watch_lines.h). Invariant: len > 0 only while a
 * line is incomplete, and then len <= WATCH_LINE_MAX; skipping and
 * len > 0 never hold together.
 */
#include "watch_lines.h"

#include <string.h>

void
watch_lines_init(struct watch_lines *l)
{
	l->len = 0;
	l->skipping = 0;
}

void
watch_lines_feed(struct watch_lines *l, const char *p, size_t n, watch_line_cb cb, void *arg)
{
	const char *end = p + n, *nl;
	size_t seg;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		seg = (size_t)((nl ? nl : end) - p);
		if (l->skipping) {
			if (nl != NULL) {
				l->skipping = 0;
				cb(arg, NULL, 0);
			}
		} else if (nl != NULL && l->len == 0) {
			/* The common case: a whole line inside the chunk, no copy. */
			if (seg > WATCH_LINE_MAX)
				cb(arg, NULL, 0);
			else
				cb(arg, p, seg);
		} else if (seg > WATCH_LINE_MAX - l->len) {
			l->len = 0;
			l->skipping = 1;
			continue;
		} else {
			memcpy(l->buf + l->len, p, seg);
			l->len += seg;
			if (nl != NULL) {
				cb(arg, l->buf, l->len);
				l->len = 0;
			}
		}
		p = nl ? nl + 1 : end;
	}
}

void
watch_lines_finish(struct watch_lines *l, watch_line_cb cb, void *arg)
{
	if (l->skipping)
		cb(arg, NULL, 0);
	else if (l->len > 0)
		cb(arg, l->buf, l->len);
	watch_lines_init(l);
}
