/* SPDX-License-Identifier: MIT */
/*
 * What rendezvous processes exchange through redis: advertisements and
 * channel messages decode to n or -1, never past n; an advertisement that
 * decodes encodes back to the same bytes when it was written canonically.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rendezvous/rmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct rmsg_ad ad, again;
	struct rmsg m;
	char out[256];
	ssize_t r, n;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	r = rmsg_ad_decode(copy, size, &ad);
	if (r != -1 && r != (ssize_t)size)
		abort();
	if (r > 0) {
		n = rmsg_ad_encode(out, sizeof(out), &ad);
		if (n < 0 || rmsg_ad_decode((const uint8_t *)out, (size_t)n, &again) != n ||
		    memcmp(&ad, &again, sizeof(ad)) != 0)
			abort();
	}
	r = rmsg_decode(copy, size, &m);
	if (r != -1 && r != (ssize_t)size)
		abort();
	if (r > 0) {
		if (m.op == RMSG_OFFER && (m.offer == NULL || m.relay == NULL))
			abort();
		rmsg_free(&m);
	}
	free(copy);
	return 0;
}
