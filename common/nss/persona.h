/* SPDX-License-Identifier: MIT */
/*
 * A browser's handshake as data: what the NSS adapter (nssc.c) turns
 * into NSS options, and what the hello comparison checks on the wire.
 * Values are wire codepoints (IANA), never NSS enums, so this header
 * and persona.c are pure and link into tests without NSS.
 *
 * NSS, not this table, decides the order of ciphers and of its own
 * extensions; the lists here are in the order the browser sends them,
 * which is NSS's order, so setting them up reproduces it. ext_order is
 * what the ClientHello must show with the newest NSS; a feature the
 * running NSS lacks (ML-KEM, DTLS 1.3 by its final codepoint,
 * certificate compression) is dropped at setup, never faked.
 *
 * Limits (the _MAX below) are sizes of these tables, not of anything a
 * peer sends.
 */
#ifndef PW_NSS_PERSONA_H
#define PW_NSS_PERSONA_H

#include <stddef.h>
#include <stdint.h>

#define PERSONA_CIPHERS_MAX 24
#define PERSONA_GROUPS_MAX 8
#define PERSONA_SIGALGS_MAX 16
#define PERSONA_EXTS_MAX 24
#define PERSONA_SRTP_MAX 4
#define PERSONA_ALPN_MAX 32   /* comma-separated, with NUL */

/* Wire versions (TLS's in SSLVersionRange terms, DTLS's on the wire). */
#define PERSONA_TLS12 0x0303
#define PERSONA_TLS13 0x0304
#define PERSONA_DTLS12 0xfefd
#define PERSONA_DTLS13 0xfefc

/* Group codepoints the tables use. */
#define PERSONA_GRP_X25519MLKEM768 0x11ec
#define PERSONA_GRP_X25519 0x001d
#define PERSONA_GRP_P256 0x0017

/* Extension codepoints the adapter treats specially. */
#define PERSONA_EXT_USE_SRTP 14
#define PERSONA_EXT_COMPRESS_CERT 27
#define PERSONA_EXT_ECH 0xfe0d

struct persona {
	const char *name;
	int dtls;                    /* 1: DTLS, 0: TLS over a byte stream */
	uint16_t vmin, vmax;         /* wire versions, newest offered first */
	size_t nciphers;
	uint16_t ciphers[PERSONA_CIPHERS_MAX];
	size_t ngroups;
	uint16_t groups[PERSONA_GROUPS_MAX];
	unsigned key_shares;         /* TLS 1.3 key shares: the first N groups */
	size_t nsigalgs;
	uint16_t sigalgs[PERSONA_SIGALGS_MAX];
	size_t nsrtp;
	uint16_t srtp[PERSONA_SRTP_MAX]; /* use_srtp profiles, via the hook */
	char alpn[PERSONA_ALPN_MAX];
	unsigned session_tickets:1;
	unsigned compat_session_id:1; /* TLS 1.3 middlebox compatibility */
	unsigned ocsp:1;              /* status_request */
	unsigned sct:1;               /* signed_certificate_timestamp */
	unsigned delegated_creds:1;
	unsigned ech_grease:1;
	unsigned compress_cert:1;
	unsigned dtls13_workaround:1; /* 0x0303 after the DTLS versions */
	unsigned ech_grease_len;      /* encrypted_client_hello body length */
	size_t next;
	uint16_t ext_order[PERSONA_EXTS_MAX]; /* without server_name */
};

/* Firefox's WebRTC DTLS hello (transportlayerdtls) and its HTTPS hello. */
extern const struct persona persona_firefox_webrtc;
extern const struct persona persona_firefox_https;

/* The persona called name ("firefox-webrtc", "firefox-https"), or NULL. */
const struct persona *persona_find(const char *name);

/*
 * Which of the persona's features the running NSS can send, as a copy
 * of p reduced to them: dtls13 (the final DTLS 1.3 codepoint), mlkem
 * (X25519MLKEM768), certcomp (compress_certificate). Dropped groups
 * leave the key shares to the groups that remain.
 */
void persona_reduce(const struct persona *p, struct persona *out,
                    int dtls13, int mlkem, int certcomp);

/*
 * use_srtp's body (RFC 5764 4.1.1): a 2-byte length, 2-byte profiles, a
 * 1-byte MKI length and the MKI. persona_srtp_write puts profiles with
 * an empty MKI into out[max]: its length, or 0 when it does not fit.
 * persona_srtp_pick parses a peer's body: *chosen is the first of ours
 * (our preference) that the peer lists, or 0 for none in common; a
 * server's answer must list exactly one. 0, or -1 when malformed.
 */
size_t persona_srtp_write(const uint16_t *prof, size_t n, uint8_t *out, size_t max);
int persona_srtp_pick(const uint8_t *p, size_t n, const uint16_t *ours, size_t nours,
                      int want_one, uint16_t *chosen);

/* 0 when the table is consistent (sizes, no duplicates, alpn form), else -1. */
int persona_check(const struct persona *p);

#endif
