/* SPDX-License-Identifier: MIT */
/*
 * RFC 8879 codecs over zlib, brotli and zstd. Every decoder writes into a
 * buffer of exactly the announced length and fails when the data would
 * need more, or gives less: a compression bomb stops at that length,
 * which itself is capped at CERTCOMP_OUT_MAX before anything is inflated.
 */
#include "nss/certcomp.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

const uint16_t certcomp_algs[CERTCOMP_NALGS] = { CERTCOMP_ZLIB, CERTCOMP_BROTLI, CERTCOMP_ZSTD };

static int mangle;
static unsigned long n_dec[CERTCOMP_NALGS + 1], n_enc[CERTCOMP_NALGS + 1];

const char *
certcomp_name(uint16_t alg)
{
	switch (alg) {
	case CERTCOMP_ZLIB: return "zlib";
	case CERTCOMP_BROTLI: return "brotli";
	case CERTCOMP_ZSTD: return "zstd";
	default: return NULL;
	}
}

static int
dec_zlib(const uint8_t *in, size_t n, uint8_t *out, size_t outlen, size_t *used)
{
	z_stream z = { 0 };
	int rc;

	if (n > UINT32_MAX || inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)outlen;
	rc = inflate(&z, Z_FINISH);
	*used = outlen - z.avail_out;
	/* The whole stream, ending exactly at the announced length. */
	if (rc != Z_STREAM_END || z.avail_in != 0) {
		inflateEnd(&z);
		return -1;
	}
	inflateEnd(&z);
	return 0;
}

static int
dec_brotli(const uint8_t *in, size_t n, uint8_t *out, size_t outlen, size_t *used)
{
	BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	const uint8_t *ip = in;
	uint8_t *op = out;
	size_t ain = n, aout = outlen;
	BrotliDecoderResult r;

	if (st == NULL)
		return -1;
	r = BrotliDecoderDecompressStream(st, &ain, &ip, &aout, &op, NULL);
	BrotliDecoderDestroyInstance(st);
	*used = outlen - aout;
	/* The whole stream and nothing after it. */
	return r == BROTLI_DECODER_RESULT_SUCCESS && ain == 0 ? 0 : -1;
}

static int
dec_zstd(const uint8_t *in, size_t n, uint8_t *out, size_t outlen, size_t *used)
{
	size_t r = ZSTD_decompress(out, outlen, in, n);

	if (ZSTD_isError(r))
		return -1;
	*used = r;
	return 0;
}

int
certcomp_decode(uint16_t alg, const uint8_t *in, size_t n, uint8_t *out, size_t outlen,
                size_t *used)
{
	int rc;

	*used = 0;
	if (outlen == 0 || outlen > CERTCOMP_OUT_MAX || n == 0)
		return -1;
	switch (alg) {
	case CERTCOMP_ZLIB: rc = dec_zlib(in, n, out, outlen, used); break;
	case CERTCOMP_BROTLI: rc = dec_brotli(in, n, out, outlen, used); break;
	case CERTCOMP_ZSTD: rc = dec_zstd(in, n, out, outlen, used); break;
	default: return -1;
	}
	if (rc < 0 || *used != outlen)
		return -1;
	n_dec[alg]++;
	return 0;
}

int
certcomp_encode(uint16_t alg, const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	size_t cap;
	uint8_t *b;

	*out = NULL;
	*outlen = 0;
	if (n == 0 || n > CERTCOMP_OUT_MAX)
		return -1;
	switch (alg) {
	case CERTCOMP_ZLIB: cap = compressBound((uLong)n); break;
	case CERTCOMP_BROTLI: cap = BrotliEncoderMaxCompressedSize(n); break;
	case CERTCOMP_ZSTD: cap = ZSTD_compressBound(n); break;
	default: return -1;
	}
	if (cap == 0 || (b = malloc(cap)) == NULL)
		return -1;
	if (alg == CERTCOMP_ZLIB) {
		uLongf l = (uLongf)cap;

		if (compress2(b, &l, in, (uLong)n, Z_BEST_COMPRESSION) != Z_OK)
			goto fail;
		cap = l;
	} else if (alg == CERTCOMP_BROTLI) {
		if (!BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW,
		                           BROTLI_MODE_GENERIC, n, in, &cap, b))
			goto fail;
	} else {
		cap = ZSTD_compress(b, cap, in, n, 19);
		if (ZSTD_isError(cap))
			goto fail;
	}
	if (mangle)
		cap--; /* truncated: no decoder accepts it */
	*out = b;
	*outlen = cap;
	n_enc[alg]++;
	return 0;
fail:
	free(b);
	return -1;
}

void
certcomp_test_mangle(int on)
{
	mangle = on;
}

unsigned long
certcomp_decoded(uint16_t alg)
{
	return alg >= 1 && alg <= CERTCOMP_NALGS ? n_dec[alg] : 0;
}

unsigned long
certcomp_encoded(uint16_t alg)
{
	return alg >= 1 && alg <= CERTCOMP_NALGS ? n_enc[alg] : 0;
}
