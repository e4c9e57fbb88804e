/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the X-Meek-Pipeline value parser
 * (common/proto/meekpipe.c). Checks: a parsed value is within its
 * limits, and formatting it and parsing that again gives the same value.
 */
#include "proto/meekpipe.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct meek_pipe a, b;
	char out[MEEK_PIPE_VALUE_MAX];
	int w;

	if (meek_pipe_parse((const char *)p, n, &a) == -1)
		return 0;
	if (a.window < 1 || a.window > MEEK_PIPE_WINDOW_MAX || a.hold_ms > MEEK_HOLD_MAX_MS)
		abort();
	w = meek_pipe_format(&a, out, sizeof(out));
	if (w < 0 || meek_pipe_parse(out, (size_t)w, &b) == -1)
		abort();
	if (a.window != b.window || a.has_base != b.has_base || a.base != b.base ||
	    a.hold_ms != b.hold_ms)
		abort();
	return 0;
}
