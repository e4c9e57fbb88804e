/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 address form "ATYP ADDR PORT" (RFC 1928 §4/§5), used both
 * inside SOCKS5 requests/replies and as the Turbo Tunnel stream prefix
 * (DESIGN.md §3). Port is big endian on the wire, host order here.
 */
#ifndef PW_SOCKSADDR_H
#define PW_SOCKSADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define SOCKS_ATYP_IPV4 0x01
#define SOCKS_ATYP_DOMAIN 0x03
#define SOCKS_ATYP_IPV6 0x04

#define SOCKSADDR_NAME_MAX 255
#define SOCKSADDR_WIRE_MAX (1 + 1 + SOCKSADDR_NAME_MAX + 2)
/* "[" v6 "]:" port, or name ":" port, with NUL */
#define SOCKSADDR_STR_MAX (SOCKSADDR_NAME_MAX + 9)

struct socksaddr {
	uint8_t atyp;
	uint8_t addr[16];                  /* IPv4 in addr[0..3], IPv6 in addr[0..15] */
	char name[SOCKSADDR_NAME_MAX + 1]; /* ATYP_DOMAIN, NUL-terminated */
	uint16_t port;
};

/*
 * Decode one address at p. Return bytes consumed, 0 when more input is
 * needed, -1 on a protocol error (unknown ATYP, empty name, a NUL byte
 * in a name).
 */
ssize_t socksaddr_decode(const uint8_t *p, size_t n, struct socksaddr *sa);

/* Encode; return bytes written or -1 if outlen is too small or sa invalid. */
ssize_t socksaddr_encode(const struct socksaddr *sa, uint8_t *out, size_t outlen);

/*
 * Fill sa from a host string (IPv4 literal, IPv6 literal with or without
 * brackets, or a name of 1..255 bytes) and a port. Return 0 or -1.
 */
int socksaddr_set(struct socksaddr *sa, const char *host, uint16_t port);

/* "1.2.3.4:80", "[::1]:80", "example.com:443"; -1 if out is too small. */
int socksaddr_format(const struct socksaddr *sa, char *out, size_t outlen);

/* IPv4/IPv6 only: to and from struct sockaddr. -1 for names/other families. */
int socksaddr_to_sockaddr(const struct socksaddr *sa, struct sockaddr_storage *ss, socklen_t *len);
int socksaddr_from_sockaddr(struct socksaddr *sa, const struct sockaddr *s);

#endif
