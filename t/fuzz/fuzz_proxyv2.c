/* SPDX-License-Identifier: MIT */
/*
 * PROXY protocol v2. Whatever decodes must re-encode to a header that
 * decodes to the same fields, must ask for more when one byte short,
 * and must stay within PROXYV2_HEADER_MAX; proxyv2_maybe must agree
 * with the decoder about the signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proxyv2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyv2 h, h2;
	uint8_t out[PROXYV2_ENCODED_MAX];
	ssize_t k, k2;

	k = proxyv2_decode(data, size, &h);
	if (!proxyv2_maybe(data, size) && k != -1)
		abort();
	if (k <= 0)
		return 0;
	if (k > PROXYV2_HEADER_MAX || k < PROXYV2_FIXED_LEN || !proxyv2_maybe(data, size))
		abort();
	if (proxyv2_decode(data, (size_t)k - 1, &h2) != 0)
		abort();
	if (h.local && h.family != AF_UNSPEC)
		abort();
	k2 = proxyv2_encode(&h, out, sizeof(out));
	if (k2 < PROXYV2_FIXED_LEN || proxyv2_decode(out, (size_t)k2, &h2) != k2)
		abort();
	if (h2.local != h.local || h2.family != h.family ||
	    memcmp(&h2.src, &h.src, sizeof(h.src)) != 0 ||
	    memcmp(&h2.dst, &h.dst, sizeof(h.dst)) != 0)
		abort();
	return 0;
}
