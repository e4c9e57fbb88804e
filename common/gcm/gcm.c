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
 * init costs more than sealing a small record).
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

/*
 * Contexts with their key already set, a few per thread, most recently
 * used first: a session seals with one key and opens with another, so a
 * record then costs a new nonce, not a key schedule and a GHASH table
 * (with the provider's allocations and parameter lookups, more than the
 * AES-GCM of a short record itself). A key not in the cache takes the
 * least recently used context. Each entry keeps its key to compare;
 * both are cleansed when the entry is reused for another key.
 */
#define GCM_CACHE 8

struct gcm_slot {
	EVP_CIPHER_CTX *x;
	int enc; /* 1 seal, 0 open, -1 empty */
	size_t klen;
	uint8_t key[32];
};

static _Thread_local struct gcm_slot gcm_slots[GCM_CACHE];
static _Thread_local int gcm_slots_ready;

/* A context holding key for enc, set to iv; NULL on failure. */
static EVP_CIPHER_CTX *
gcm_ctx(int enc, const uint8_t *key, size_t klen, const uint8_t *iv)
{
	const EVP_CIPHER *c = gcm_cipher(klen);
	struct gcm_slot hit;
	size_t i;

	if (c == NULL)
		return NULL;
	if (!gcm_slots_ready) {
		for (i = 0; i < GCM_CACHE; i++)
			gcm_slots[i].enc = -1;
		gcm_slots_ready = 1;
	}
	for (i = 0; i < GCM_CACHE - 1; i++)
		if (gcm_slots[i].enc == enc && gcm_slots[i].klen == klen &&
		    CRYPTO_memcmp(gcm_slots[i].key, key, klen) == 0)
			break;
	/* i: the hit, or the last slot, which a miss reuses. */
	hit = gcm_slots[i];
	memmove(gcm_slots + 1, gcm_slots, i * sizeof(gcm_slots[0]));
	gcm_slots[0] = hit;
	if (hit.enc == enc && hit.klen == klen && CRYPTO_memcmp(hit.key, key, klen) == 0) {
		if (EVP_CipherInit_ex(hit.x, NULL, NULL, NULL, iv, enc) == 1)
			return hit.x;
		gcm_slots[0].enc = -1;
		return NULL;
	}
	if (gcm_slots[0].x == NULL && (gcm_slots[0].x = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	OPENSSL_cleanse(gcm_slots[0].key, sizeof(gcm_slots[0].key));
	gcm_slots[0].enc = -1;
	if (EVP_CipherInit_ex(gcm_slots[0].x, c, NULL, key, iv, enc) != 1) {
		EVP_CIPHER_CTX_reset(gcm_slots[0].x);
		return NULL;
	}
	gcm_slots[0].enc = enc;
	gcm_slots[0].klen = klen;
	memcpy(gcm_slots[0].key, key, klen);
	return gcm_slots[0].x;
}

void
gcm_forget(void)
{
	size_t i;

	for (i = 0; i < GCM_CACHE; i++) {
		if (gcm_slots[i].x != NULL)
			EVP_CIPHER_CTX_reset(gcm_slots[i].x);
		OPENSSL_cleanse(gcm_slots[i].key, sizeof(gcm_slots[i].key));
		gcm_slots[i].enc = -1;
	}
	gcm_slots_ready = 1;
}

/* One seal or open; enc 1 or 0. The tag is read (open) or written (seal). */
static int
gcm_run(int enc, const uint8_t *key, size_t klen, const uint8_t *iv, const uint8_t *aad, size_t alen,
        const uint8_t *in, size_t n, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *x;
	int len, ok;

	if (n > INT_MAX || alen > INT_MAX || (x = gcm_ctx(enc, key, klen, iv)) == NULL)
		return -1;
	ok = (alen == 0 || EVP_CipherUpdate(x, NULL, &len, aad, (int)alen) == 1) &&
	     (n == 0 || EVP_CipherUpdate(x, out, &len, in, (int)n) == 1);
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(x, out + n, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) == 1;
	if (!ok) {
		/* Whatever state the context is in, it is set up afresh next time. */
		gcm_slots[0].enc = -1;
		if (!enc && n > 0)
			OPENSSL_cleanse(out, n);
	}
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
