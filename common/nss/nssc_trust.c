/* SPDX-License-Identifier: MIT */
/*
 * Web PKI trust for the TLS client without a database: the anchors of a
 * PEM file become temporary certificates that NSS trusts as CAs for
 * servers ("C,,"), held here for the life of the process; a peer is then
 * checked as NSS checks it (CERT_VerifyCertificateNow for a TLS server,
 * the intermediates it sent found among the temporary certificates)
 * and against the name the caller wants (its SAN or CN).
 */
#include "nss/nssc_int.h"

#include <secerr.h>
#include <sslerr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

static CERTCertificate **anchors;
static size_t nanchors;

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= NSSC_TRUST_FILE_MAX &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else {
			p[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

static int
add_anchor(CERTCertificate *cert)
{
	CERTCertTrust trust;
	CERTCertificate **a;

	if (nanchors == NSSC_TRUST_MAX)
		return -1;
	if (CERT_DecodeTrustString(&trust, "C,,") != SECSuccess ||
	    CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), cert, &trust) != SECSuccess)
		return -1;
	if ((a = realloc(anchors, sizeof(*a) * (nanchors + 1))) == NULL)
		return -1;
	anchors = a;
	anchors[nanchors++] = cert;
	return 0;
}

int
nssc_trust_load(const char *path, char *err, size_t errlen)
{
	size_t len = 0, before = nanchors;
	char *text, *p, *end;
	CERTCertificate *cert;

	if (path == NULL)
		path = NSSC_SYSTEM_CA_FILE;
	if ((text = slurp(path, &len)) == NULL) {
		snprintf(err, errlen, "%s: cannot read it (or over %d bytes)", path,
		         NSSC_TRUST_FILE_MAX);
		return -1;
	}
	for (p = strstr(text, PEM_BEGIN); p != NULL; p = strstr(end, PEM_BEGIN)) {
		if ((end = strstr(p, PEM_END)) == NULL)
			break;
		end += strlen(PEM_END);
		cert = CERT_DecodeCertFromPackage(p, (int)(end - p));
		if (cert == NULL || add_anchor(cert) < 0) {
			snprintf(err, errlen, "%s: certificate %zu: %s", path, nanchors - before + 1,
			         PR_ErrorToName(PR_GetError()) ? PR_ErrorToName(PR_GetError())
			                                      : "too many");
			if (cert)
				CERT_DestroyCertificate(cert);
			free(text);
			return -1;
		}
	}
	free(text);
	if (nanchors == before) {
		snprintf(err, errlen, "%s: no PEM certificate in it", path);
		return -1;
	}
	return (int)(nanchors - before);
}

void
nssc_trust_clear(void)
{
	size_t i;

	for (i = 0; i < nanchors; i++)
		CERT_DestroyCertificate(anchors[i]);
	free(anchors);
	anchors = NULL;
	nanchors = 0;
}

int
nssc_trust_verify(struct nssc *c, CERTCertificate *cert)
{
	PRErrorCode e;
	const char *name;

	if (CERT_VerifyCertificateNow(CERT_GetDefaultCertDB(), cert, PR_TRUE,
	                              certificateUsageSSLServer, NULL, NULL) != SECSuccess) {
		e = PR_GetError();
		switch (e) {
		case SEC_ERROR_UNKNOWN_ISSUER:
		case SEC_ERROR_UNTRUSTED_ISSUER:
		case SEC_ERROR_UNTRUSTED_CERT:
		case SEC_ERROR_CA_CERT_INVALID:
			snprintf(c->err, sizeof(c->err), "certificate signed by an unknown CA");
			break;
		case SEC_ERROR_EXPIRED_CERTIFICATE:
		case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE:
			snprintf(c->err, sizeof(c->err), "certificate expired");
			break;
		default:
			name = PR_ErrorToName(e);
			snprintf(c->err, sizeof(c->err), "certificate does not verify: %s",
			         name ? name : "?");
		}
		c->failed = c->verify_failed = 1;
		PR_SetError(e, 0);
		return -1;
	}
	if (CERT_VerifyCertName(cert, c->verify_name) != SECSuccess) {
		snprintf(c->err, sizeof(c->err), "certificate name mismatch (want %s)",
		         c->verify_name);
		c->failed = c->verify_failed = 1;
		PR_SetError(SSL_ERROR_BAD_CERT_DOMAIN, 0);
		return -1;
	}
	return 0;
}
