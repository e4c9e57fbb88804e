/* SPDX-License-Identifier: MIT */
/*
 * Certificate compression on a TLS session, registered as Firefox does:
 * zlib, brotli, zstd, in that order, through NSS's experimental
 * SSL_SetCertificateCompressionAlgorithm. Debian's NSS 3.87 has neither
 * the function nor its declaration: it is looked up by name at run time
 * and, when missing, the hello goes out without compress_certificate.
 */
#include "nss/nssc_int.h"
#include "nss/certcomp.h"

#include "base/log.h"

#include <nss.h>
#include <secerr.h>
#include <secitem.h>
#include <sslerr.h>
#include <sslexp.h>
#include <stdlib.h>
#include <string.h>

/*
 * Our declaration of NSS's ABI (sslt.h in NSS 3.9x+): the algorithm is
 * passed by value; NSS allocates a decoder's output at the announced
 * length and frees an encoder's SECItem itself.
 */
struct nssc_cc_alg {
	PRUint16 id;
	const char *name;
	SECStatus (*encode)(const SECItem *in, SECItem *out);
	SECStatus (*decode)(const SECItem *in, unsigned char *out, size_t outlen, size_t *used);
};
typedef SECStatus (*nssc_cc_set_fn)(PRFileDesc *fd, struct nssc_cc_alg alg);

#define NSSC_CC_API "SSL_SetCertificateCompressionAlgorithm"

static nssc_cc_set_fn
cc_api(void)
{
	return (nssc_cc_set_fn)SSL_GetExperimentalAPI(NSSC_CC_API);
}

int
nssc_has_certcomp(void)
{
	return cc_api() != NULL;
}

static SECStatus
decode_as(uint16_t alg, const SECItem *in, unsigned char *out, size_t outlen, size_t *used)
{
	if (in == NULL || certcomp_decode(alg, in->data, in->len, out, outlen, used) < 0) {
		*used = 0;
		log_debug("nss: %s certificate refused (%u bytes announced %zu)", certcomp_name(alg),
		          in ? in->len : 0, outlen);
		PR_SetError(SEC_ERROR_BAD_DATA, 0);
		return SECFailure;
	}
	return SECSuccess;
}

static SECStatus
encode_as(uint16_t alg, const SECItem *in, SECItem *out)
{
	uint8_t *b;
	size_t n;

	if (in == NULL || certcomp_encode(alg, in->data, in->len, &b, &n) < 0) {
		PR_SetError(SEC_ERROR_LIBRARY_FAILURE, 0);
		return SECFailure;
	}
	if (SECITEM_AllocItem(NULL, out, (unsigned int)n) == NULL) {
		free(b);
		PR_SetError(SEC_ERROR_NO_MEMORY, 0);
		return SECFailure;
	}
	memcpy(out->data, b, n);
	free(b);
	return SECSuccess;
}

#define CC_CODEC(tag, id)                                                                      \
	static SECStatus dec_##tag(const SECItem *in, unsigned char *out, size_t outlen,     \
	                           size_t *used)                                             \
	{                                                                                    \
		return decode_as(id, in, out, outlen, used);                                 \
	}                                                                                    \
	static SECStatus enc_##tag(const SECItem *in, SECItem *out)                          \
	{                                                                                    \
		return encode_as(id, in, out);                                               \
	}
CC_CODEC(zlib, CERTCOMP_ZLIB)
CC_CODEC(brotli, CERTCOMP_BROTLI)
CC_CODEC(zstd, CERTCOMP_ZSTD)

int
nssc_certcomp_setup(struct nssc *c, const struct nssc_opts *o)
{
	const struct nssc_cc_alg algs[CERTCOMP_NALGS] = {
		{ CERTCOMP_ZLIB, "zlib", enc_zlib, dec_zlib },
		{ CERTCOMP_BROTLI, "brotli", enc_brotli, dec_brotli },
		{ CERTCOMP_ZSTD, "zstd", enc_zstd, dec_zstd },
	};
	nssc_cc_set_fn set;
	size_t i;

	if (c->dtls || !o->persona->compress_cert)
		return 0;
	if (!c->p.compress_cert || (set = cc_api()) == NULL) {
		log_debug("nss %s: no %s, hello without compress_certificate", NSS_GetVersion(),
		          NSSC_CC_API);
		return 0;
	}
	for (i = 0; i < CERTCOMP_NALGS; i++) {
		struct nssc_cc_alg a = algs[i];

		if (o->certcomp_only && a.id != o->certcomp_only)
			continue;
		if (!c->server)
			a.encode = NULL; /* a client only decodes, as Firefox */
		if (set(c->fd, a) != SECSuccess)
			return -1;
	}
	return 0;
}
