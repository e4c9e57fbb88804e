/* SPDX-License-Identifier: MIT */
/*
 * The carrier preamble decoder: never reads past n, agrees with
 * preamble_token_maybe, and encode(decode(x)) gives back the prefix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/preamble.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[CLIENTID_LEN], again[PREAMBLE_LEN];
	uint8_t *copy = malloc(size ? size : 1);
	ssize_t r;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	r = preamble_decode(copy, size, id);
	if (r == -1 && preamble_token_maybe(copy, size))
		abort();
	if (r >= 0 && !preamble_token_maybe(copy, size))
		abort();
	if (r == 0 && size >= PREAMBLE_LEN)
		abort();
	if (r == PREAMBLE_LEN) {
		preamble_encode(id, again);
		if (memcmp(again, copy, PREAMBLE_LEN) != 0)
			abort();
	}
	free(copy);
	return 0;
}
