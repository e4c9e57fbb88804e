/* SPDX-License-Identifier: MIT */
/*
 * The certificate compression decoders (common/nss/certcomp.c): byte 0
 * picks the algorithm id, bytes 1-2 the announced length (big endian, as
 * in CompressedCertificate), the rest is the compressed message. A
 * decode that succeeds fills exactly the announced length, which
 * re-encodes and decodes back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nss/certcomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out, *back, *enc;
	size_t want, used, n, used2;
	uint16_t alg;

	if (size < 3)
		return 0;
	alg = data[0];
	want = (size_t)data[1] << 8 | data[2];
	if ((out = malloc(want ? want : 1)) == NULL)
		return 0;
	if (certcomp_decode(alg, data + 3, size - 3, out, want, &used) == 0) {
		if (used != want || want == 0 || want > CERTCOMP_OUT_MAX)
			abort();
		if (certcomp_encode(alg, out, want, &enc, &n) < 0 || (back = malloc(want)) == NULL)
			abort();
		if (certcomp_decode(alg, enc, n, back, want, &used2) < 0 || used2 != want ||
		    memcmp(back, out, want) != 0)
			abort();
		free(back);
		free(enc);
	} else if (used > want) {
		abort();
	}
	free(out);
	return 0;
}
