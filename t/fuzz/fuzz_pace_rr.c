/* SPDX-License-Identifier: MIT */
/*
 * The bulk pacer's receiver report (call/pace.h). The input is one
 * decrypted SRTCP packet: a report parses within the input, rebuilds to
 * a report that parses to the same fields, and drives the controller
 * without leaving its bounds; after packets in flight and two reports,
 * the window stays within its bounds and round trips are not negative.
 */
#include <stdint.h>
#include <stdlib.h>

#include "call/pace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pace_rr rr, again;
	struct pace p, q;
	uint8_t out[PACE_RR_LEN];
	ssize_t k;
	unsigned i;

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
	pace_init(&q, 0);
	for (i = 0; i < 64; i++)
		pace_sent_seq(&q, (uint16_t)(rr.ext_seq - 32 + i), 0.5 + i * 1e-4);
	pace_on_report(&q, &rr, 1);
	again.ext_seq = rr.ext_seq + 16;
	pace_on_report(&q, &again, 1.03);
	(void)pace_window_open(&q, 1.04);
	if (pace_wnd(&q) < PACE_WND_PKTS || pace_wnd(&q) > PACE_WND_MAX || q.rtt_min < 0 ||
	    pace_in_flight(&q) > 64 || q.wnd_closed < 0)
		abort();
	return 0;
}
