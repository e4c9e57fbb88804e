/* SPDX-License-Identifier: MIT */
/*
 * "What is this connection": classify a new egress connection by its
 * first bytes, before any protocol stage owns it. Pure: no I/O. The
 * answer is final once it is not SNIFF_MORE; the bytes stay in the
 * caller's buffer for the stage that handles them.
 *
 *   05 …                          SOCKS5 greeting
 *   0d 0a 0d 0a 00 0d 0a 51 …     PROXY protocol v2 header (12-byte signature)
 *   12 93 60 5d 27 81 75 f5       Turbo Tunnel token, plaintext session (DESIGN.md §3)
 *   bb 6f 23 68 1b 15 0a 1f       Turbo Tunnel token, secure session
 *   anything else                 unknown: close
 */
#ifndef PW_EGRESS_SNIFF_H
#define PW_EGRESS_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#define SNIFF_TURBO_TOKEN_LEN 8
#define SNIFF_NEED_MAX 12 /* bytes that always suffice for an answer */

enum sniff_kind {
	SNIFF_MORE = 0, /* a prefix of something known: read more */
	SNIFF_SOCKS5,
	SNIFF_PROXYV2,
	SNIFF_TURBO,
	SNIFF_UNKNOWN,
};

extern const uint8_t sniff_turbo_token[SNIFF_TURBO_TOKEN_LEN];
extern const uint8_t sniff_secure_token[SNIFF_TURBO_TOKEN_LEN];

enum sniff_kind sniff_classify(const uint8_t *p, size_t n);
const char *sniff_kind_str(enum sniff_kind k);

#endif
