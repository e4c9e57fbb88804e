/* SPDX-License-Identifier: MIT */
/*
 * The carrier preamble decoder: never reads past n, agrees with
 * preamble_token_maybe, reads both tokens (plaintext and secure) alike in
 * both decoders, and encode_kind(decode_kind(x)) gives back the prefix.
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
	int secure = -1;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	r = preamble_decode_kind(copy, size, id, &secure);
	if (preamble_decode(copy, size, id) != r)
		abort();
	if (r == -1 && preamble_token_maybe(copy, size))
		abort();
	if (r >= 0 && !preamble_token_maybe(copy, size))
		abort();
	if (r == 0 && size >= PREAMBLE_LEN)
		abort();
	if (r == PREAMBLE_LEN) {
		/* Either token: encoding the same kind gives back the prefix. */
		if (secure != 0 && secure != 1)
			abort();
		preamble_encode_kind(id, secure, again);
		if (memcmp(again, copy, PREAMBLE_LEN) != 0)
			abort();
	}
	free(copy);
	return 0;
}
