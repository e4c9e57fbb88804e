/* SPDX-License-Identifier: MIT */
/*
 * SDP. What parses must parse the same on its own (a glued description
 * ends where the next begins), ask for more when cut inside its last
 * line, and survive our writer: written and parsed back, the fields a
 * connection uses are equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sdp d, e;
static char out[SDP_MAX * 2];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int k, n;
	size_t i;

	k = sdp_parse(data, size, &d);
	if (k <= 0)
		return 0;
	if ((size_t)k > size || (size_t)k > SDP_MAX || data[k - 1] != '\n')
		abort();
	if (sdp_parse(data, (size_t)k, &e) != k || sdp_parse(data, (size_t)k - 1, &e) != 0)
		abort();
	if (d.ncand > SDP_CANDS_MAX || d.setup == SDP_SETUP_NONE)
		abort();
	n = sdp_write(&d, out, sizeof(out));
	if (n <= 0)
		abort();
	if (sdp_parse((const uint8_t *)out, (size_t)n, &e) != n)
		abort();
	if (strcmp(d.ufrag, e.ufrag) != 0 || strcmp(d.pwd, e.pwd) != 0 ||
	    memcmp(d.fp, e.fp, SDP_FP_LEN) != 0 || d.setup != e.setup || d.sctp_port != e.sctp_port ||
	    d.max_msg != e.max_msg || d.ncand != e.ncand)
		abort();
	for (i = 0; i < d.ncand; i++)
		if (strcmp(d.cand[i], e.cand[i]) != 0)
			abort();
	return 0;
}
