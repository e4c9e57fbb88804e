/* SPDX-License-Identifier: MIT */
/*
 * Ephemeral identities, made the way Firefox makes its WebRTC ones so a
 * certificate on the wire says nothing else: an ECDSA P-256 key in
 * NSS's internal slot (never on a token, never on disk), a version 3
 * certificate whose subject and issuer are CN= 32 random hex digits, a
 * random serial, valid from a day ago for 30 days, no extensions,
 * signed ECDSA-SHA256 by its own key.
 */
#include "nss/nssc_int.h"

#include "base/hex.h"

#include <pk11pub.h>
#include <secoid.h>
#include <cryptohi.h>
#include <secasn1.h>
#include <secder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_DAY_USEC ((PRTime)86400 * PR_USEC_PER_SEC)

static SECKEYPrivateKey *
id_keypair(SECKEYPublicKey **pub)
{
	SECOidData *oid = SECOID_FindOIDByTag(SEC_OID_ANSIX962_EC_PRIME256V1);
	unsigned char params[64];
	SECItem ecp;
	PK11SlotInfo *slot;
	SECKEYPrivateKey *key;

	if (oid == NULL || oid->oid.len + 2 > sizeof(params))
		return NULL;
	/* The curve as DER: OBJECT IDENTIFIER, length, the OID's bytes. */
	params[0] = SEC_ASN1_OBJECT_ID;
	params[1] = (unsigned char)oid->oid.len;
	memcpy(params + 2, oid->oid.data, oid->oid.len);
	ecp.type = siBuffer;
	ecp.data = params;
	ecp.len = oid->oid.len + 2;
	if ((slot = PK11_GetInternalSlot()) == NULL)
		return NULL;
	key = PK11_GenerateKeyPair(slot, CKM_EC_KEY_PAIR_GEN, &ecp, pub, PR_FALSE, PR_TRUE, NULL);
	PK11_FreeSlot(slot);
	return key;
}

static CERTName *
id_name(void)
{
	unsigned char r[16];
	char s[3 + HEX_LEN(sizeof(r))];

	if (PK11_GenerateRandom(r, sizeof(r)) != SECSuccess)
		return NULL;
	memcpy(s, "CN=", 3);
	hex_encode(s + 3, r, sizeof(r));
	return CERT_AsciiToName(s);
}

/* The unsigned certificate for key pub, named name, in its own arena. */
static CERTCertificate *
id_tbs(CERTName *name, SECKEYPublicKey *pub)
{
	CERTSubjectPublicKeyInfo *spki = NULL;
	CERTCertificateRequest *req = NULL;
	CERTValidity *val = NULL;
	CERTCertificate *cert = NULL;
	PRTime now = PR_Now();
	uint32_t serial;

	if (PK11_GenerateRandom((unsigned char *)&serial, sizeof(serial)) != SECSuccess)
		return NULL;
	serial = (serial & 0x7fffffff) | 1; /* positive, non-zero */
	if ((spki = SECKEY_CreateSubjectPublicKeyInfo(pub)) == NULL ||
	    (req = CERT_CreateCertificateRequest(name, spki, NULL)) == NULL ||
	    (val = CERT_CreateValidity(now - ID_DAY_USEC, now + 30 * ID_DAY_USEC)) == NULL)
		goto out;
	cert = CERT_CreateCertificate(serial, name, val, req);
	if (cert && (SEC_ASN1EncodeInteger(cert->arena, &cert->version,
	                                   SEC_CERTIFICATE_VERSION_3) == NULL ||
	             SECOID_SetAlgorithmID(cert->arena, &cert->signature,
	                                   SEC_OID_ANSIX962_ECDSA_SHA256_SIGNATURE,
	                                   NULL) != SECSuccess)) {
		CERT_DestroyCertificate(cert);
		cert = NULL;
	}
out:
	if (val)
		CERT_DestroyValidity(val);
	if (req)
		CERT_DestroyCertificateRequest(req);
	if (spki)
		SECKEY_DestroySubjectPublicKeyInfo(spki);
	return cert;
}

/* Encode, sign, and decode again as a usable certificate. */
static CERTCertificate *
id_sign(CERTCertificate *tbs, SECKEYPrivateKey *key)
{
	SECItem inner = { siBuffer, NULL, 0 }, der = { siBuffer, NULL, 0 };
	PLArenaPool *arena = PORT_NewArena(2048);
	CERTCertificate *cert = NULL;

	if (arena == NULL)
		return NULL;
	if (SEC_ASN1EncodeItem(arena, &inner, tbs, SEC_ASN1_GET(CERT_CertificateTemplate)) &&
	    SEC_DerSignData(arena, &der, inner.data, (int)inner.len, key,
	                    SEC_OID_ANSIX962_ECDSA_SHA256_SIGNATURE) == SECSuccess)
		cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, NULL, PR_FALSE,
		                               PR_TRUE);
	PORT_FreeArena(arena, PR_FALSE);
	return cert;
}

struct nssc_id *
nssc_id_new(char *err, size_t errlen)
{
	struct nssc_id *id = calloc(1, sizeof(*id));
	SECKEYPublicKey *pub = NULL;
	CERTCertificate *tbs = NULL;
	CERTName *name = NULL;

	if (id == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((id->key = id_keypair(&pub)) == NULL || (name = id_name()) == NULL ||
	    (tbs = id_tbs(name, pub)) == NULL || (id->cert = id_sign(tbs, id->key)) == NULL ||
	    PK11_HashBuf(SEC_OID_SHA256, id->fp, id->cert->derCert.data,
	                 (PRInt32)id->cert->derCert.len) != SECSuccess) {
		snprintf(err, errlen, "making a certificate: %s",
		         PR_ErrorToName(PR_GetError()) ? PR_ErrorToName(PR_GetError()) : "?");
		nssc_id_free(id);
		id = NULL;
	}
	if (tbs)
		CERT_DestroyCertificate(tbs);
	if (name)
		CERT_DestroyName(name);
	if (pub)
		SECKEY_DestroyPublicKey(pub);
	return id;
}

void
nssc_id_free(struct nssc_id *id)
{
	if (id == NULL)
		return;
	if (id->cert)
		CERT_DestroyCertificate(id->cert);
	if (id->key)
		SECKEY_DestroyPrivateKey(id->key);
	free(id);
}

void
nssc_id_fingerprint(const struct nssc_id *id, uint8_t d[FP_LEN])
{
	memcpy(d, id->fp, FP_LEN);
}

void
nssc_id_cert_der(const struct nssc_id *id, const uint8_t **der, size_t *len)
{
	*der = id->cert->derCert.data;
	*len = id->cert->derCert.len;
}
