/* SPDX-License-Identifier: MIT */
/*
 * AES-GCM records on the CPU's AES instructions (tlskey_int.h): a wolfSSL
 * crypto callback device that hands the AES-GCM seal and open of TLS
 * records to gcm/gcm.h, and answers "unavailable" for everything else,
 * which wolfSSL then does itself. Debian's wolfSSL has no AES-NI code,
 * so without this its AES-GCM (and its C ChaCha20-Poly1305, ~270 MB/s)
 * would be the cost of every byte of a session.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/cryptocb.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "tls/tlskey_int.h"

#include "gcm/gcm.h"

#define TLS_GCM_DEVID 0x70770c01 /* any value but INVALID_DEVID */

static int
tls_gcm_cb(int devid, wc_CryptoInfo *info, void *arg)
{
	(void)devid;
	(void)arg;
	if (info->algo_type != WC_ALGO_TYPE_CIPHER || info->cipher.type != WC_CIPHER_AES_GCM)
		return CRYPTOCB_UNAVAILABLE;
	if (info->cipher.enc) {
		const Aes *a = info->cipher.aesgcm_enc.aes;

		if (info->cipher.aesgcm_enc.ivSz != GCM_IV_LEN ||
		    info->cipher.aesgcm_enc.authTagSz != GCM_TAG_LEN)
			return CRYPTOCB_UNAVAILABLE;
		return gcm_seal((const uint8_t *)a->devKey, (size_t)a->keylen, info->cipher.aesgcm_enc.iv,
		                info->cipher.aesgcm_enc.authIn, info->cipher.aesgcm_enc.authInSz,
		                info->cipher.aesgcm_enc.in, info->cipher.aesgcm_enc.sz,
		                info->cipher.aesgcm_enc.out, info->cipher.aesgcm_enc.authTag) == 0
		           ? 0
		           : BAD_FUNC_ARG;
	} else {
		const Aes *a = info->cipher.aesgcm_dec.aes;

		if (info->cipher.aesgcm_dec.ivSz != GCM_IV_LEN ||
		    info->cipher.aesgcm_dec.authTagSz != GCM_TAG_LEN)
			return CRYPTOCB_UNAVAILABLE;
		return gcm_open((const uint8_t *)a->devKey, (size_t)a->keylen, info->cipher.aesgcm_dec.iv,
		                info->cipher.aesgcm_dec.authIn, info->cipher.aesgcm_dec.authInSz,
		                info->cipher.aesgcm_dec.in, info->cipher.aesgcm_dec.sz,
		                info->cipher.aesgcm_dec.out, info->cipher.aesgcm_dec.authTag) == 0
		           ? 0
		           : AES_GCM_AUTH_E;
	}
}

int
tls_gcm_devid(void)
{
	static int devid;

	if (devid == 0) {
		devid = INVALID_DEVID;
		if (gcm_fast() && wc_CryptoCb_RegisterDevice(TLS_GCM_DEVID, tls_gcm_cb, NULL) == 0)
			devid = TLS_GCM_DEVID;
	}
	return devid;
}
