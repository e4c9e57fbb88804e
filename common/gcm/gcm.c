/* SPDX-License-Identifier: MIT */
/* AES-GCM through libcrypto's EVP interface (see gcm.h). */
#include "gcm/gcm.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

int
gcm_fast(void)
{
	static int fast = -1;

	if (fast == -1) {
		const char *off = getenv("PW_GCM_OFF");
#if defined(__x86_64__) || defined(__i386__)
		__builtin_cpu_init();
		fast = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
#elif defined(__aarch64__)
		fast = 1; /* libcrypto uses the ARMv8 crypto extensions where present */
#else
		fast = 0;
#endif
		if (off != NULL && *off != '\0')
			fast = 0;
	}
	return fast;
}

/*
 * The ciphers, fetched from the provider once (an implicit fetch at each
 * init costs more than sealing a small record), and one context per
 * thread, reset between calls rather than allocated.
 */
static const EVP_CIPHER *
gcm_cipher(size_t klen)
{
	static _Thread_local EVP_CIPHER *c128, *c256;

	if (klen == 16)
		return c128 != NULL ? c128 : (c128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL));
	if (klen == 32)
		return c256 != NULL ? c256 : (c256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL));
	return NULL;
}

static EVP_CIPHER_CTX *
gcm_ctx(void)
{
	static _Thread_local EVP_CIPHER_CTX *x;

	if (x == NULL)
		x = EVP_CIPHER_CTX_new();
	return x;
}

/* One seal or open; enc 1 or 0. The tag is read (open) or written (seal). */
static int
gcm_run(int enc, const uint8_t *key, size_t klen, const uint8_t *iv, const uint8_t *aad, size_t alen,
        const uint8_t *in, size_t n, uint8_t *out, uint8_t *tag)
{
	const EVP_CIPHER *c = gcm_cipher(klen);
	EVP_CIPHER_CTX *x;
	int len, ok;

	if (c == NULL || n > INT_MAX || alen > INT_MAX || (x = gcm_ctx()) == NULL)
		return -1;
	ok = EVP_CipherInit_ex(x, c, NULL, key, iv, enc) == 1 &&
	     (alen == 0 || EVP_CipherUpdate(x, NULL, &len, aad, (int)alen) == 1) &&
	     (n == 0 || EVP_CipherUpdate(x, out, &len, in, (int)n) == 1);
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(x, out + n, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_reset(x);
	if (!ok && !enc && n > 0)
		OPENSSL_cleanse(out, n);
	return ok ? 0 : -1;
}

int
gcm_seal(const uint8_t *key, size_t klen, const uint8_t iv[GCM_IV_LEN], const uint8_t *aad,
         size_t alen, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[GCM_TAG_LEN])
{
	return gcm_run(1, key, klen, iv, aad, alen, in, n, out, tag);
}

int
gcm_open(const uint8_t *key, size_t klen, const uint8_t iv[GCM_IV_LEN], const uint8_t *aad,
         size_t alen, const uint8_t *in, size_t n, uint8_t *out, const uint8_t tag[GCM_TAG_LEN])
{
	uint8_t t[GCM_TAG_LEN];

	memcpy(t, tag, sizeof(t));
	return gcm_run(0, key, klen, iv, aad, alen, in, n, out, t);
}
