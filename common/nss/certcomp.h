/* SPDX-License-Identifier: MIT */
/*
 * Certificate compression (RFC 8879) codecs, as Firefox offers them:
 * zlib (1), brotli (2), zstd (3), in that order. Pure functions over
 * buffers; no NSS type. The NSS glue is in nssc_certcomp.c.
 */
#ifndef PW_NSS_CERTCOMP_H
#define PW_NSS_CERTCOMP_H

#include <stddef.h>
#include <stdint.h>

enum {
	CERTCOMP_ZLIB = 1,
	CERTCOMP_BROTLI = 2,
	CERTCOMP_ZSTD = 3,
	CERTCOMP_NALGS = 3,
	/* The largest certificate message we inflate (NSS's own limit is 2^24). */
	CERTCOMP_OUT_MAX = 256 * 1024,
};

/* Firefox's list, in its order. */
extern const uint16_t certcomp_algs[CERTCOMP_NALGS];
/* "zlib", "brotli", "zstd", or NULL for an unknown id. */
const char *certcomp_name(uint16_t alg);
/*
 * Decode in[0..n) into out, which holds exactly the announced length
 * outlen. 0 with *used == outlen, or -1: unknown algorithm, corrupt
 * input, output shorter or longer than announced, or outlen above
 * CERTCOMP_OUT_MAX (refused before any work).
 */
int certcomp_decode(uint16_t alg, const uint8_t *in, size_t n, uint8_t *out, size_t outlen,
                    size_t *used);
/* Encode: *out is malloc'd (free it). 0, or -1 (unknown id, no memory, n too large). */
int certcomp_encode(uint16_t alg, const uint8_t *in, size_t n, uint8_t **out, size_t *outlen);
/* Tests only: drop the last byte of every encoder output from now on (on != 0). */
void certcomp_test_mangle(int on);
/* How many certificates each algorithm decoded / encoded in this process (tests). */
unsigned long certcomp_decoded(uint16_t alg);
unsigned long certcomp_encoded(uint16_t alg);

#endif
