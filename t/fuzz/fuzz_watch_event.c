/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for egress/watch_event and watch_lines. The input is
 * split into lines as peerconn-watch would split it, and every line is
 * parsed. Checks, beyond "does not crash": a parsed event has a known
 * type, a time in range and a printable bucket; a line parses the same
 * with trailing white space added; splitting the input in two at any
 * point yields the same lines as splitting it whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peerconn-watch/watch_event.h"
#include "peerconn-watch/watch_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
	uint64_t sum;
	size_t lines;
};

static void
one_line(void *arg, const char *line, size_t n)
{
	static char copy[WATCH_LINE_MAX + 2];
	struct tally *t = arg;
	struct watch_event ev, ev2;
	char key[WATCH_KEY_STR_MAX];
	enum watch_parse r, r2;

	t->lines++;
	if (line == NULL)
		return;
	r = watch_event_parse(line, n, &ev);
	t->sum = t->sum * 31 + (uint64_t)(r + 3);
	if (r != WATCH_PARSE_OK)
		return;
	if ((ev.type != WATCH_EV_ACCEPT && ev.type != WATCH_EV_CLOSE) || ev.time_us < 0 ||
	    ev.duration_us < -1 || ev.key.len > WATCH_SESSION_MAX)
		abort();
	watch_key_format(&ev.key, key, sizeof(key));
	if (strlen(key) == 0 || strlen(key) >= sizeof(key))
		abort();
	memcpy(copy, line, n);
	copy[n] = ' ';
	copy[n + 1] = '\t';
	r2 = watch_event_parse(copy, n + 2, &ev2);
	if (r2 != r || memcmp(&ev, &ev2, sizeof(ev)) != 0)
		abort();
	t->sum = t->sum * 31 + (uint64_t)ev.time_us + ev.dest_hash;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct watch_lines l;
	struct tally whole = { 0, 0 }, split = { 0, 0 };
	size_t cut = size ? data[0] % (size + 1) : 0;

	watch_lines_init(&l);
	watch_lines_feed(&l, (const char *)data, size, one_line, &whole);
	watch_lines_finish(&l, one_line, &whole);
	watch_lines_feed(&l, (const char *)data, cut, one_line, &split);
	watch_lines_feed(&l, (const char *)data + cut, size - cut, one_line, &split);
	watch_lines_finish(&l, one_line, &split);
	if (whole.sum != split.sum || whole.lines != split.lines)
		abort();
	return 0;
}
