/* SPDX-License-Identifier: MIT */
/*
 * The cryptographic primitives pipeworks needs, from wolfCrypt (DESIGN.md
 * §6): HMAC-SHA1 and HMAC-SHA256 (STUN integrity, TURN REST passwords),
 * MD5 (the STUN long-term key), SHA-256, base64 and random bytes,
 * implemented in crypto.c; tls.h is the other half of this adapter
 * library, and nothing outside it sees wolfSSL.
 *
 * Every function returns 0 on success and -1 on failure (a wolfCrypt
 * error, which for these primitives means misuse or no entropy).
 */
#ifndef PW_CRYPTO_H
#define PW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define CRYPTO_MD5_LEN 16
#define CRYPTO_SHA1_LEN 20
#define CRYPTO_SHA256_LEN 32

/* HMAC over the concatenation of iov[0..iovcnt). */
int crypto_hmac_sha1(const void *key, size_t klen, const struct iovec *iov, int iovcnt,
    uint8_t out[CRYPTO_SHA1_LEN]);
int crypto_hmac_sha256(const void *key, size_t klen, const struct iovec *iov, int iovcnt,
    uint8_t out[CRYPTO_SHA256_LEN]);
int crypto_md5(const void *p, size_t n, uint8_t out[CRYPTO_MD5_LEN]);
/* SHA-1: only where a protocol fixes it (the WebSocket accept key). */
int crypto_sha1(const void *p, size_t n, uint8_t out[CRYPTO_SHA1_LEN]);
int crypto_sha256(const void *p, size_t n, uint8_t out[CRYPTO_SHA256_LEN]);

/*
 * Standard base64 with padding and no line breaks. out must hold
 * 4 * ((n + 2) / 3) + 1 bytes; it is NUL-terminated. Returns the length
 * written (without the NUL), or -1.
 */
int crypto_base64(const void *p, size_t n, char *out, size_t outcap);

/* Random bytes from wolfCrypt's DRBG, seeded from the OS. */
int crypto_random(void *p, size_t n);

#endif
