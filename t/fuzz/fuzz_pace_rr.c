/* SPDX-License-Identifier: MIT */
/*
 * The bulk pacer's receiver report (call/pace.h). The input is one
 * decrypted SRTCP packet: a report parses within the input, rebuilds to
 * a report that parses to the same fields, and drives the controller
 * without leaving its bounds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "call/pace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pace_rr rr, again;
	struct pace p;
	uint8_t out[PACE_RR_LEN];
	ssize_t k;

	k = pace_rr_parse(data, size, &rr);
	if (k <= 0)
		return 0;
	if ((size_t)k > size || k < PACE_RR_LEN)
		abort();
	if (pace_rr_build(&rr, out, sizeof(out)) != PACE_RR_LEN ||
	    pace_rr_parse(out, sizeof(out), &again) != PACE_RR_LEN)
		abort();
	if (again.ssrc != rr.ssrc || again.src != rr.src || again.fraction != rr.fraction ||
	    again.cum_lost != rr.cum_lost || again.ext_seq != rr.ext_seq)
		abort();
	pace_init(&p, 0);
	pace_wait(&p, 1200);
	pace_on_report(&p, &rr, 1);
	if (p.rate < PACE_RATE_MIN || p.rate > PACE_RATE_MAX)
		abort();
	return 0;
}
