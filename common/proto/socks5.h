/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 (RFC 1928), no-auth only, both sides. Pure codecs: the caller
 * owns the buffers and the I/O. Parsers return bytes consumed, 0 for
 * "need more input", -1 for a protocol error; bytes after a message are
 * left to the caller (early data after CONNECT is legal).
 */
#ifndef PW_SOCKS5_H
#define PW_SOCKS5_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/socksaddr.h"

#define SOCKS5_VERSION 0x05
#define SOCKS5_METHOD_NOAUTH 0x00
#define SOCKS5_METHOD_NONE 0xff

#define SOCKS5_CMD_CONNECT 0x01
#define SOCKS5_CMD_BIND 0x02
#define SOCKS5_CMD_UDP_ASSOCIATE 0x03

/* Reply codes (RFC 1928 §6). */
#define SOCKS5_REP_SUCCEEDED 0x00
#define SOCKS5_REP_GENERAL_FAILURE 0x01
#define SOCKS5_REP_NOT_ALLOWED 0x02
#define SOCKS5_REP_NET_UNREACHABLE 0x03
#define SOCKS5_REP_HOST_UNREACHABLE 0x04
#define SOCKS5_REP_REFUSED 0x05
#define SOCKS5_REP_TTL_EXPIRED 0x06
#define SOCKS5_REP_CMD_UNSUPPORTED 0x07
#define SOCKS5_REP_ATYP_UNSUPPORTED 0x08

#define SOCKS5_GREETING_MAX (2 + 255)
#define SOCKS5_REQUEST_MAX (3 + SOCKSADDR_WIRE_MAX)
#define SOCKS5_REPLY_MAX (3 + SOCKSADDR_WIRE_MAX)

/* --- server side --- */

/* VER NMETHODS METHODS…; *noauth set to 1 when method 0x00 is offered. */
ssize_t socks5_parse_greeting(const uint8_t *p, size_t n, int *noauth);

struct socks5_request {
	uint8_t cmd;
	struct socksaddr dst;
};

/*
 * VER CMD RSV ATYP DST.ADDR DST.PORT. On -1, *reply holds the code to
 * send before closing (ATYP_UNSUPPORTED for an unknown ATYP, else
 * GENERAL_FAILURE). Unknown commands parse fine: the caller answers
 * CMD_UNSUPPORTED.
 */
ssize_t socks5_parse_request(const uint8_t *p, size_t n, struct socks5_request *req, uint8_t *reply);

/* Method selection "05 XX"; always 2 bytes. */
size_t socks5_encode_method(uint8_t method, uint8_t out[2]);

/* VER REP RSV BND.ADDR BND.PORT; bnd NULL means 0.0.0.0:0. -1 if no room. */
ssize_t socks5_encode_reply(uint8_t rep, const struct socksaddr *bnd, uint8_t *out, size_t outlen);

/* --- client side --- */

/* "05 01 00": offer no-auth only. Always 3 bytes. */
size_t socks5_encode_greeting(uint8_t out[3]);
/* "05 METHOD" from the server. */
ssize_t socks5_parse_method(const uint8_t *p, size_t n, uint8_t *method);
/* VER CMD RSV ATYP ADDR PORT. */
ssize_t socks5_encode_request(uint8_t cmd, const struct socksaddr *dst, uint8_t *out, size_t outlen);
/* Server reply; *rep is the reply code, bnd (may be NULL) the bound address. */
ssize_t socks5_parse_reply(const uint8_t *p, size_t n, uint8_t *rep, struct socksaddr *bnd);

/* Human text for a reply code ("connection refused", …). */
const char *socks5_reply_str(uint8_t rep);

#endif
