/* SPDX-License-Identifier: MIT */
/* Inside the TLS adapter: what its files (tls.c, tlskey.c, tlsmem.c) share. */
#ifndef PW_TLSKEY_INT_H
#define PW_TLSKEY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tls/tlsmem.h"

#define TLSKEY_PUB_LEN 32
#define TLSKEY_DER_MAX 256   /* an Ed25519 private key in DER */
#define TLSKEY_CERT_MAX 1024 /* the self-signed certificate in DER */

struct tlsmem_key {
	uint8_t priv[32], pub[TLSKEY_PUB_LEN];
	uint8_t pin[TLSMEM_PIN_LEN];
};

/* wolfSSL_Init once per process: 0, or -1. */
int tls_lib_init(void);

/*
 * tlsgcm.c: the crypto callback device that seals and opens AES-GCM
 * records with gcm/gcm.h, registered at the first call; its id for
 * wolfSSL_CTX_SetDevId, or INVALID_DEVID when AES-GCM is not fast here
 * (then ChaCha20-Poly1305 stays first). After tls_lib_init.
 */
int tls_gcm_devid(void);

int tlskey_pub_pin(const uint8_t pub[TLSKEY_PUB_LEN], uint8_t pin[TLSMEM_PIN_LEN]);
/* The pin of an Ed25519 SubjectPublicKeyInfo: 0, or -1 for any other key. */
int tlskey_spki_pin(const uint8_t *spki, size_t n, uint8_t pin[TLSMEM_PIN_LEN]);
/* The certificate (DER, its length) and the key in DER (*klen). -1 on failure. */
int tlskey_cert(const struct tlsmem_key *key, uint8_t *der, size_t cap, uint8_t *kder, size_t kcap,
                int *klen);

#endif
