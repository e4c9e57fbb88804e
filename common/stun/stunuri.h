/* SPDX-License-Identifier: MIT */
/*
 * STUN and TURN server URIs as every STUN or TURN client here reads them (RFC 7064, RFC 7065):
 *
 *   stun:HOST[:PORT]                     UDP, default port 3478
 *   stuns:HOST[:PORT]                    TLS, default port 5349
 *   turn:HOST[:PORT][?transport=udp|tcp] UDP unless transport=tcp
 *   turns:HOST[:PORT][?transport=tcp]    TLS, default port 5349
 *
 * HOST is a DNS name, an IPv4 literal or a bracketed [IPv6] literal. The
 * scheme is case-insensitive, nothing else is: no user part, no other
 * query keys, no fragments. Pure parser: no resolution, no I/O.
 */
#ifndef PW_STUN_URI_H
#define PW_STUN_URI_H

#include <stddef.h>
#include <stdint.h>

#define STUN_URI_MAX 300      /* whole URI, bytes */
#define STUN_URI_HOST_MAX 255 /* DNS name limit, brackets excluded */
#define STUN_URI_PORT_STUN 3478
#define STUN_URI_PORT_STUNS 5349

enum stun_uri_transport { STUN_URI_UDP = 0, STUN_URI_TCP, STUN_URI_TLS };

struct stun_uri {
	int turn;                        /* turn: or turns: */
	enum stun_uri_transport transport;
	char host[STUN_URI_HOST_MAX + 1];
	int host_is_v6;                  /* written as [v6] */
	uint16_t port;
};

/*
 * Parse the n bytes at p (no NUL needed). Return 0, or -1 with a short
 * reason in err (NUL-terminated when errlen > 0).
 */
int stun_uri_parse(const char *p, size_t n, struct stun_uri *u, char *err, size_t errlen);

/* "turn:[::1]:3478?transport=tcp", canonical; -1 if out is too small. */
int stun_uri_format(const struct stun_uri *u, char *out, size_t outlen);

#endif
