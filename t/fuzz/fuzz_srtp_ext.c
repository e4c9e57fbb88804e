/* SPDX-License-Identifier: MIT */
/*
 * The use_srtp extension body (common/nss/persona.c), as a client's list
 * and as a server's single answer. A body accepted must choose one of
 * our profiles or none; a client's list that holds one of ours must
 * choose; what we write must parse back to our first profile.
 */
#include <stdint.h>
#include <stdlib.h>

#include "nss/persona.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint16_t *ours = persona_firefox_webrtc.srtp;
	size_t n = persona_firefox_webrtc.nsrtp, i, w;
	uint8_t out[32];
	uint16_t chosen;
	int one, found;

	for (one = 0; one < 2; one++) {
		if (persona_srtp_pick(data, size, ours, n, one, &chosen) < 0)
			continue;
		found = chosen == 0;
		for (i = 0; i < n; i++)
			found |= chosen == ours[i];
		if (!found)
			abort();
	}
	w = persona_srtp_write(ours, n, out, sizeof(out));
	if (w == 0 || persona_srtp_pick(out, w, ours, n, 0, &chosen) < 0 || chosen != ours[0])
		abort();
	return 0;
}
