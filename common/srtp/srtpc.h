/* SPDX-License-Identifier: MIT */
/*
 * SRTP and SRTCP on libsrtp2 for lanturn calls, in two profiles:
 * AEAD_AES_128_GCM (RFC 7714, use_srtp 0x0007, what Firefox prefers and
 * picks as the answerer when offered) and AES_CM_128_HMAC_SHA1_80
 * (RFC 3711, 0x0001), keyed from the DTLS-SRTP exporter (RFC 5764 4.2,
 * label "EXTRACTOR-dtls_srtp", no context):
 * client key (16) | server key (16) | client salt | server salt, the
 * salts 12 bytes for GCM (56 in all), 14 for AES-CM (60). Debian's
 * libsrtp2 runs on NSS's softoken: AES-CM and HMAC-SHA1 build an NSS
 * context for every packet (about 6 us to protect 1.2 kB here), GCM is
 * one call (about 1.3 us).
 * The client sends with the client's key and salt and receives with the
 * server's; the server the other way round. Any SSRC is accepted inbound
 * (a peer's SSRC is random and unknown beforehand); replay protection is
 * libsrtp's (a 128-packet window), so a replayed or forged packet is
 * refused by srtpc_unprotect.
 *
 * Only this library includes <srtp2/srtp.h>; the header uses none of
 * its types.
 */
#ifndef PW_SRTP_SRTPC_H
#define PW_SRTP_SRTPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SRTPC_KEYMAT_LEN 60   /* exporter output for AES_CM_128_HMAC_SHA1_80 (the longest) */
#define SRTPC_KEY_LEN 16
#define SRTPC_SALT_LEN 14
#define SRTPC_GCM_SALT_LEN 12
#define SRTPC_PROFILE 0x0001  /* use_srtp SRTP_AES128_CM_HMAC_SHA1_80 */
#define SRTPC_PROFILE_GCM 0x0007 /* use_srtp SRTP_AEAD_AES_128_GCM */
#define SRTPC_LABEL "EXTRACTOR-dtls_srtp"
#define SRTPC_RTP_OVERHEAD 10   /* AES-CM: the auth tag */
#define SRTPC_RTCP_OVERHEAD 14  /* AES-CM: E flag and index (4) + auth tag (10) */
#define SRTPC_GCM_RTP_OVERHEAD 16  /* GCM: the tag */
#define SRTPC_GCM_RTCP_OVERHEAD 20 /* GCM: the tag + E flag and index (4) */
#define SRTPC_ROOM 160          /* spare room protect needs past the packet (libsrtp's worst case) */

/* Once per process; 0, or -1 with a reason in err. */
int srtpc_global_init(char *err, size_t errlen);

struct srtpc;
/* The exporter bytes a profile takes, 0 for a profile not supported. */
size_t srtpc_keymat_len(uint16_t profile);
/* Keyed from keymat[srtpc_keymat_len(profile)]; client 1 for the DTLS client. NULL with err. */
struct srtpc *srtpc_new_profile(uint16_t profile, const uint8_t *keymat, int client, char *err,
                                size_t errlen);
/* AES_CM_128_HMAC_SHA1_80 from keymat[SRTPC_KEYMAT_LEN]. */
struct srtpc *srtpc_new(const uint8_t *keymat, int client, char *err, size_t errlen);
void srtpc_free(struct srtpc *s);

/*
 * Protect the RTP (or RTCP) packet of n bytes in buf, in place; buf has
 * room for cap bytes, at least n + SRTPC_ROOM. New length, or -1.
 */
ssize_t srtpc_protect(struct srtpc *s, uint8_t *buf, size_t n, size_t cap);
ssize_t srtpc_protect_rtcp(struct srtpc *s, uint8_t *buf, size_t n, size_t cap);
/* Verify and decrypt in place: the plain length, or -1 (forged, replayed, malformed). */
ssize_t srtpc_unprotect(struct srtpc *s, uint8_t *buf, size_t n);
ssize_t srtpc_unprotect_rtcp(struct srtpc *s, uint8_t *buf, size_t n);

#endif
