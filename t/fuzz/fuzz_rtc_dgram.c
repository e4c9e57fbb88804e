/* SPDX-License-Identifier: MIT */
/*
 * DTLS record boundaries in a UDP_GRO buffer, cut as rtc_ice_recv cuts
 * it: every record found lies inside the input and is at least a header
 * long, one byte less of it asks for more, and the walk always ends.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rtc/rtc_dgram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, take;
	ssize_t k;

	while (off < size) {
		k = rtc_dtls_record(data + off, size - off);
		if (k > (ssize_t)(size - off) || (k > 0 && k < 4))
			abort();
		if (k > 0 && rtc_dtls_record(data + off, (size_t)k - 1) != 0)
			abort();
		take = k > 0 ? (size_t)k : size - off;
		off += take;
	}
	return 0;
}
