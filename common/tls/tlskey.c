/* SPDX-License-Identifier: MIT */
/*
 * tlsmem.h, first half: Ed25519 keys, their fingerprints and the
 * self-signed certificate a server presents. Only files of this adapter
 * library include wolfSSL headers (STYLE.md).
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/random.h>

#include "tls/tlskey_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "tls/crypto.h"

/* An Ed25519 SubjectPublicKeyInfo is this prefix (RFC 8410) and the key. */
static const uint8_t spki_prefix[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

int
tlskey_pub_pin(const uint8_t pub[TLSKEY_PUB_LEN], uint8_t pin[TLSMEM_PIN_LEN])
{
	uint8_t spki[sizeof(spki_prefix) + TLSKEY_PUB_LEN];

	memcpy(spki, spki_prefix, sizeof(spki_prefix));
	memcpy(spki + sizeof(spki_prefix), pub, TLSKEY_PUB_LEN);
	return crypto_sha256(spki, sizeof(spki), pin);
}

int
tlskey_spki_pin(const uint8_t *spki, size_t n, uint8_t pin[TLSMEM_PIN_LEN])
{
	if (n != sizeof(spki_prefix) + TLSKEY_PUB_LEN ||
	    memcmp(spki, spki_prefix, sizeof(spki_prefix)) != 0)
		return -1; /* not an Ed25519 key: never the pinned one */
	return tlskey_pub_pin(spki + sizeof(spki_prefix), pin);
}

/*
 * The key in DER: with its public half for wolfSSL, which signs with
 * both, or the private half alone (RFC 8410's form, what OpenSSL
 * writes and reads) for the file.
 */
static int
key_der(const uint8_t priv[32], const uint8_t pub[32], int with_pub, uint8_t *der, size_t cap)
{
	ed25519_key k;
	int n = -1;

	if (wc_ed25519_init(&k) != 0)
		return -1;
	if (wc_ed25519_import_private_key(priv, 32, pub, 32, &k) == 0)
		n = with_pub ? wc_Ed25519KeyToDer(&k, der, (word32)cap)
		             : wc_Ed25519PrivateKeyToDer(&k, der, (word32)cap);
	wc_ed25519_free(&k);
	return n > 0 ? n : -1;
}

int
tlsmem_key_generate(char *out, size_t cap)
{
	uint8_t priv[32], pub[32], der[TLSKEY_DER_MAX];
	ed25519_key k;
	int n;

	if (crypto_random(priv, sizeof(priv)) == -1 || wc_ed25519_init(&k) != 0)
		return -1;
	n = wc_ed25519_import_private_only(priv, 32, &k) == 0 &&
	            wc_ed25519_make_public(&k, pub, 32) == 0
	        ? 0
	        : -1;
	wc_ed25519_free(&k);
	if (n == 0)
		n = key_der(priv, pub, 0, der, sizeof(der));
	if (n > 0)
		n = wc_DerToPem(der, (word32)n, (byte *)out, (word32)(cap - 1), PKCS8_PRIVATEKEY_TYPE);
	memset(priv, 0, sizeof(priv));
	memset(der, 0, sizeof(der));
	if (n <= 0 || (size_t)n >= cap)
		return -1;
	out[n] = '\0';
	return n;
}

/* The key's halves from PEM text: 0, or -1. */
static int
key_parse(const char *pem, size_t len, struct tlsmem_key *key)
{
	uint8_t der[TLSKEY_DER_MAX];
	word32 idx = 0, plen = 32;
	ed25519_key k;
	int n, rc = -1;

	n = wc_KeyPemToDer((const unsigned char *)pem, (int)len, der, sizeof(der), NULL);
	if (n <= 0 || wc_ed25519_init(&k) != 0)
		return -1;
	if (wc_Ed25519PrivateKeyDecode(der, &idx, &k, (word32)n) == 0 &&
	    wc_ed25519_export_private_only(&k, key->priv, &plen) == 0 && plen == 32 &&
	    wc_ed25519_make_public(&k, key->pub, 32) == 0)
		rc = 0;
	wc_ed25519_free(&k);
	memset(der, 0, sizeof(der));
	return rc;
}

struct tlsmem_key *
tlsmem_key_load(const char *path, char *err, size_t errlen)
{
	char pem[TLSMEM_KEY_PEM_MAX * 2];
	struct tlsmem_key *k;
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = fread(pem, 1, sizeof(pem), f);
	fclose(f);
	if (n == sizeof(pem)) {
		snprintf(err, errlen, "%s: too long for a private key", path);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (key_parse(pem, n, k) == -1 || tlskey_pub_pin(k->pub, k->pin) == -1) {
		snprintf(err, errlen, "%s: not an Ed25519 private key (PEM); make one with --genkey",
		         path);
		tlsmem_key_free(k);
		k = NULL;
	}
	memset(pem, 0, sizeof(pem));
	return k;
}

void
tlsmem_key_free(struct tlsmem_key *k)
{
	if (k == NULL)
		return;
	memset(k, 0, sizeof(*k));
	free(k);
}

void
tlsmem_key_fingerprint(const struct tlsmem_key *k, char out[TLSMEM_FP_LEN + 1])
{
	memcpy(out, "sha256:", 7);
	hex_encode(out + 7, k->pin, TLSMEM_PIN_LEN);
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tlsmem_pin_parse(const char *s, uint8_t pin[TLSMEM_PIN_LEN])
{
	size_t i;
	int hi, lo;

	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != TLSMEM_FP_LEN)
		return -1;
	for (i = 0, s += 7; i < TLSMEM_PIN_LEN; i++) {
		if ((hi = unhex(s[2 * i])) < 0 || (lo = unhex(s[2 * i + 1])) < 0)
			return -1;
		pin[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * The certificate a server presents: self-signed by its key, with a
 * fixed name. Clients pin the key, so nothing else in it is checked.
 */
int
tlskey_cert(const struct tlsmem_key *key, uint8_t *der, size_t cap, uint8_t *kder, size_t kcap,
            int *klen)
{
	ed25519_key k;
	WC_RNG rng;
	Cert *c;
	int n = -1;

	if ((*klen = key_der(key->priv, key->pub, 1, kder, kcap)) < 0)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if (wc_InitRng(&rng) != 0) {
		free(c);
		return -1;
	}
	if (wc_ed25519_init(&k) == 0 &&
	    wc_ed25519_import_private_key(key->priv, 32, key->pub, 32, &k) == 0 &&
	    wc_InitCert(c) == 0) {
		snprintf(c->subject.commonName, sizeof(c->subject.commonName), "pipeworks egress");
		c->sigType = CTC_ED25519;
		c->daysValid = 3650;
		c->isCA = 0;
		n = wc_MakeCert_ex(c, der, (word32)cap, ED25519_TYPE, &k, &rng);
		if (n > 0)
			n = wc_SignCert_ex(c->bodySz, c->sigType, der, (word32)cap, ED25519_TYPE, &k,
			                   &rng);
	}
	wc_ed25519_free(&k);
	wc_FreeRng(&rng);
	free(c);
	return n > 0 ? n : -1;
}
