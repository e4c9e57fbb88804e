/* SPDX-License-Identifier: MIT */
/*
 * AES-GCM on the CPU's AES instructions, for the TLS records of the tls
 * adapter (wolfSSL's crypto callback hands its AES-GCM work here). The
 * only code that includes libcrypto's headers. Debian's wolfSSL is built
 * without AES-NI and without assembly ChaCha20-Poly1305 (about 270 MB/s
 * on one core for either); libcrypto's AES-GCM runs at several GB/s where
 * the CPU has AES and carry-less multiply instructions.
 *
 * Functions over caller memory that any number of sessions and threads
 * may call: the only state kept between calls is a small per-thread
 * cache of contexts with their keys set (gcm.c), so that a session's
 * records do not each pay for a key schedule. Keys are 16 or 32 bytes,
 * nonces 12 bytes, tags 16 bytes (TLS 1.3 and 1.2 AES-GCM).
 */
#ifndef PW_GCM_H
#define PW_GCM_H

#include <stddef.h>
#include <stdint.h>

#define GCM_IV_LEN 12
#define GCM_TAG_LEN 16

/*
 * 1 when AES-GCM here is fast (libcrypto found AES-NI and PCLMULQDQ, or
 * the ARMv8 equivalents), so callers may prefer AES-GCM over
 * ChaCha20-Poly1305; 0 otherwise (the functions still work). Set
 * PW_GCM_OFF in the environment to get 0 (to compare the two).
 */
int gcm_fast(void);

/* Encrypt n bytes of in to out (may be equal) and write the tag. 0, or -1 on misuse. */
int gcm_seal(const uint8_t *key, size_t klen, const uint8_t iv[GCM_IV_LEN], const uint8_t *aad,
             size_t alen, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[GCM_TAG_LEN]);

/* Decrypt and check the tag. 0, or -1 when the tag is wrong (out is then zeroed) or on misuse. */
int gcm_open(const uint8_t *key, size_t klen, const uint8_t iv[GCM_IV_LEN], const uint8_t *aad,
             size_t alen, const uint8_t *in, size_t n, uint8_t *out, const uint8_t tag[GCM_TAG_LEN]);

/*
 * Cleanse this thread's cached contexts and their keys: a TLS connection
 * calls it when it is freed, so no key outlives its session in the cache.
 */
void gcm_forget(void);

#endif
