/* SPDX-License-Identifier: MIT */
/*
 * crypto.h on wolfCrypt. wolfSSL's configuration header comes first, and
 * only files of this adapter library include wolfSSL headers (STYLE.md).
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/md5.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "tls/crypto.h"

#include <limits.h>

static int
hmac_iov(int type, const void *key, size_t klen, const struct iovec *iov, int iovcnt,
    uint8_t *out)
{
	Hmac h;
	int rc = -1, i;

	if (klen > UINT32_MAX || wc_HmacInit(&h, NULL, INVALID_DEVID) != 0)
		return -1;
	if (wc_HmacSetKey(&h, type, key, (word32)klen) != 0)
		goto out;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > UINT32_MAX ||
		    wc_HmacUpdate(&h, iov[i].iov_base, (word32)iov[i].iov_len) != 0)
			goto out;
	}
	if (wc_HmacFinal(&h, out) == 0)
		rc = 0;
out:
	wc_HmacFree(&h);
	return rc;
}

int
crypto_hmac_sha1(const void *key, size_t klen, const struct iovec *iov, int iovcnt,
    uint8_t out[CRYPTO_SHA1_LEN])
{
	return hmac_iov(WC_SHA, key, klen, iov, iovcnt, out);
}

int
crypto_hmac_sha256(const void *key, size_t klen, const struct iovec *iov, int iovcnt,
    uint8_t out[CRYPTO_SHA256_LEN])
{
	return hmac_iov(WC_SHA256, key, klen, iov, iovcnt, out);
}

int
crypto_md5(const void *p, size_t n, uint8_t out[CRYPTO_MD5_LEN])
{
	if (n > UINT32_MAX)
		return -1;
	return wc_Md5Hash(p, (word32)n, out) == 0 ? 0 : -1;
}

int
crypto_sha1(const void *p, size_t n, uint8_t out[CRYPTO_SHA1_LEN])
{
	if (n > UINT32_MAX)
		return -1;
	return wc_ShaHash(p, (word32)n, out) == 0 ? 0 : -1;
}

int
crypto_sha256(const void *p, size_t n, uint8_t out[CRYPTO_SHA256_LEN])
{
	if (n > UINT32_MAX)
		return -1;
	return wc_Sha256Hash(p, (word32)n, out) == 0 ? 0 : -1;
}

int
crypto_base64(const void *p, size_t n, char *out, size_t outcap)
{
	word32 olen;

	if (n > (UINT32_MAX / 4) * 3 - 3 || outcap < 4 * ((n + 2) / 3) + 1 || outcap > UINT32_MAX)
		return -1;
	olen = (word32)outcap;
	if (Base64_Encode_NoNl(p, (word32)n, (byte *)out, &olen) != 0 || olen >= outcap)
		return -1;
	out[olen] = '\0';
	return (int)olen;
}

/* One DRBG per process, made on first use; programs are single-threaded. */
int
crypto_random(void *p, size_t n)
{
	static WC_RNG rng;
	static int ready;
	uint8_t *b = p;

	if (!ready) {
		if (wc_InitRng(&rng) != 0)
			return -1;
		ready = 1;
	}
	while (n > 0) {
		word32 chunk = n > 65536 ? 65536 : (word32)n;
		if (wc_RNG_GenerateBlock(&rng, b, chunk) != 0)
			return -1;
		b += chunk;
		n -= chunk;
	}
	return 0;
}
