/* SPDX-License-Identifier: MIT */
/*
 * Certificate fingerprints (SHA-256 of the DER certificate) as text.
 * Two spellings: "sha256:" and 64 hex digits (what our programs print
 * and take in --fingerprint), and SDP's "sha-256 AB:CD:…" (RFC 8122).
 * fp_parse accepts either, hex in any case, colons optional between
 * pairs. Pure: no NSS, usable from any layer.
 */
#ifndef PW_NSS_FP_H
#define PW_NSS_FP_H

#include <stddef.h>
#include <stdint.h>

#define FP_LEN 32                   /* SHA-256 digest */
#define FP_STR_MAX (7 + FP_LEN * 3 + 1) /* "sha-256 " form, the longer, with NUL */

/* "sha256:0123…" (lower case), NUL-terminated, into out[FP_STR_MAX]. */
void fp_format(const uint8_t d[FP_LEN], char out[FP_STR_MAX]);
/* "sha-256 01:23:…" (upper case, SDP a=fingerprint value). */
void fp_format_sdp(const uint8_t d[FP_LEN], char out[FP_STR_MAX]);
/* Either spelling into d; 0, or -1 (nothing written) when malformed. */
int fp_parse(const char *s, uint8_t d[FP_LEN]);
/* Constant-time equality of two digests: 1 equal, 0 not. */
int fp_equal(const uint8_t a[FP_LEN], const uint8_t b[FP_LEN]);

#endif
