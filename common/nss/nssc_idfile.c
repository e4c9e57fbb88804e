/* SPDX-License-Identifier: MIT */
/*
 * Identities from PEM files, so a server's fingerprint (and every
 * client's pin of it) survives restarts: a certificate ("BEGIN
 * CERTIFICATE") and its PKCS#8 private key ("BEGIN PRIVATE KEY", as
 * `openssl genpkey` and `openssl req -newkey` write them; not the
 * encrypted or the SEC1 "EC PRIVATE KEY" forms). Only ECDSA P-256, as
 * browsers' WebRTC certificates are; the key must match the certificate
 * (checked by a signature). The key is imported as a session object of
 * NSS's internal slot, never written anywhere.
 */
#include "nss/nssc_int.h"

#include <cryptohi.h>
#include <keyhi.h>
#include <nssb64.h>
#include <pk11pub.h>
#include <secoid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDFILE_MAX 65536

/* The file's bytes, NUL-terminated, in a malloc'd buffer; NULL with err. */
static char *
slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *b;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	b = malloc(IDFILE_MAX + 1);
	n = b ? fread(b, 1, IDFILE_MAX + 1, f) : 0;
	fclose(f);
	if (b == NULL || n > IDFILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, b ? "over 64 KiB" : "out of memory");
		free(b);
		return NULL;
	}
	b[n] = '\0';
	return b;
}

/* The DER of the first PEM block labelled label, into arena; -1 when there is none. */
static int
pem_block(PLArenaPool *arena, const char *text, const char *label, SECItem *der)
{
	char begin[64], end[64];
	const char *s, *e;

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(end, sizeof(end), "-----END %s-----", label);
	if ((s = strstr(text, begin)) == NULL || (e = strstr(s, end)) == NULL)
		return -1;
	s += strlen(begin);
	memset(der, 0, sizeof(*der));
	if (NSSBase64_DecodeBuffer(arena, der, s, (unsigned int)(e - s)) == NULL || der->len == 0)
		return -1;
	return 0;
}

static int
is_p256(SECKEYPublicKey *pub)
{
	SECOidData *oid = SECOID_FindOIDByTag(SEC_OID_ANSIX962_EC_PRIME256V1);
	const SECItem *p;

	if (pub == NULL || SECKEY_GetPublicKeyType(pub) != ecKey || oid == NULL)
		return 0;
	p = &pub->u.ec.DEREncodedParams;
	return p->len == oid->oid.len + 2 && memcmp(p->data + 2, oid->oid.data, oid->oid.len) == 0;
}

/* The key signs, the certificate's public key verifies: they are a pair. */
static int
pair_ok(SECKEYPrivateKey *key, SECKEYPublicKey *pub)
{
	static const unsigned char probe[] = "nssc identity check";
	SECItem sig = { siBuffer, NULL, 0 };
	int ok;

	if (SEC_SignData(&sig, probe, sizeof(probe), key, SEC_OID_ANSIX962_ECDSA_SHA256_SIGNATURE) !=
	    SECSuccess)
		return 0;
	ok = VFY_VerifyData(probe, sizeof(probe), pub, &sig, SEC_OID_ANSIX962_ECDSA_SHA256_SIGNATURE,
	                    NULL) == SECSuccess;
	SECITEM_FreeItem(&sig, PR_FALSE);
	return ok;
}

struct nssc_id *
nssc_id_load(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	PLArenaPool *arena = PORT_NewArena(4096);
	struct nssc_id *id = calloc(1, sizeof(*id));
	char *ctext = NULL, *ktext = NULL;
	SECKEYPublicKey *pub = NULL;
	PK11SlotInfo *slot = NULL;
	SECItem cder, kder;
	int ok = 0;

	if (arena == NULL || id == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((ctext = slurp(cert_path, err, errlen)) == NULL ||
	    (ktext = slurp(key_path, err, errlen)) == NULL)
		goto out;
	if (pem_block(arena, ctext, "CERTIFICATE", &cder) < 0) {
		snprintf(err, errlen, "%s: no PEM certificate", cert_path);
		goto out;
	}
	if (pem_block(arena, ktext, "PRIVATE KEY", &kder) < 0) {
		snprintf(err, errlen, "%s: no unencrypted PKCS#8 key (\"BEGIN PRIVATE KEY\"; "
		         "convert with openssl pkcs8 -topk8 -nocrypt)", key_path);
		goto out;
	}
	id->cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &cder, NULL, PR_FALSE, PR_TRUE);
	if (id->cert == NULL) {
		snprintf(err, errlen, "%s: not a certificate NSS can read", cert_path);
		goto out;
	}
	if (!is_p256(pub = CERT_ExtractPublicKey(id->cert))) {
		snprintf(err, errlen, "%s: not an ECDSA P-256 certificate", cert_path);
		goto out;
	}
	if ((slot = PK11_GetInternalSlot()) == NULL ||
	    PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &kder, NULL, NULL, PR_FALSE, PR_TRUE,
	                                             KU_DIGITAL_SIGNATURE, &id->key,
	                                             NULL) != SECSuccess) {
		snprintf(err, errlen, "%s: cannot import the key: %s", key_path,
		         PR_ErrorToName(PR_GetError()) ? PR_ErrorToName(PR_GetError()) : "?");
		goto out;
	}
	if (!pair_ok(id->key, pub)) {
		snprintf(err, errlen, "%s does not match %s", key_path, cert_path);
		goto out;
	}
	if (PK11_HashBuf(SEC_OID_SHA256, id->fp, id->cert->derCert.data,
	                 (PRInt32)id->cert->derCert.len) != SECSuccess) {
		snprintf(err, errlen, "hashing the certificate failed");
		goto out;
	}
	ok = 1;
out:
	if (ktext) {
		memset(ktext, 0, strlen(ktext));
		free(ktext);
	}
	free(ctext);
	if (pub)
		SECKEY_DestroyPublicKey(pub);
	if (slot)
		PK11_FreeSlot(slot);
	if (arena)
		PORT_FreeArena(arena, PR_TRUE);
	if (!ok) {
		nssc_id_free(id);
		return NULL;
	}
	return id;
}
