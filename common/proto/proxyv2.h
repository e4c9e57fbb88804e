/* SPDX-License-Identifier: MIT */
/*
 * PROXY protocol version 2 header (HAProxy's proxy-protocol.txt §2.2),
 * binary form only: 12-byte signature, version/command, family/protocol,
 * 2-byte big-endian length, addresses, then TLVs, which are skipped.
 *
 * Only TCP over IPv4/IPv6 addresses are reported. LOCAL headers, UNSPEC
 * and the other families the specification names (UDP, UNIX) decode
 * with family AF_UNSPEC: the caller then keeps the real peer address.
 * Anything else (wrong version, unknown command or family byte, an
 * address block shorter than the family needs, a header longer than
 * PROXYV2_HEADER_MAX) is an error. Pure code: no I/O.
 */
#ifndef PW_PROXYV2_H
#define PW_PROXYV2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define PROXYV2_SIG_LEN 12
#define PROXYV2_FIXED_LEN 16      /* signature + ver/cmd + fam + length */
/* 16 + 216 (two UNIX addresses, the largest block) + room for TLVs. */
#define PROXYV2_HEADER_MAX 1024
/* What proxyv2_encode writes at most (TCP over IPv6). */
#define PROXYV2_ENCODED_MAX (PROXYV2_FIXED_LEN + 36)

struct proxyv2 {
	int local;   /* LOCAL command: a health check, not relayed */
	int family;  /* AF_UNSPEC, AF_INET or AF_INET6 */
	struct sockaddr_storage src, dst; /* set for AF_INET/AF_INET6 only */
};

/*
 * Decode a header at p. Return its whole size (TLVs included), 0 when
 * more input is needed, -1 on an error. A wrong signature is detected
 * from the first differing byte.
 */
ssize_t proxyv2_decode(const uint8_t *p, size_t n, struct proxyv2 *h);

/*
 * Encode h: LOCAL, PROXY UNSPEC, or PROXY TCP4/TCP6 when family is
 * AF_INET/AF_INET6 (src and dst must both be of that family). No TLVs.
 * Return bytes written or -1 (bad h, no room).
 */
ssize_t proxyv2_encode(const struct proxyv2 *h, uint8_t *out, size_t outlen);

/*
 * 1 if the n bytes at p are a prefix of the signature or start with it
 * (n == 0 included), 0 if the stream cannot be a PROXY v2 header.
 */
int proxyv2_maybe(const uint8_t *p, size_t n);

#endif
