/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket opening handshake (RFC 6455 §4) as pure functions: the
 * client's upgrade request and the server's 101 answer, parsed through
 * proto/http (llhttp), formatted into caller buffers, and the
 * Sec-WebSocket-Accept value (SHA-1 and base64 through tls/crypto.h).
 * No I/O, no allocation, no globals; frames are the ws adapter's.
 *
 * Parsers return the head's length (> 0), 0 for "need more", -1 for an
 * error (not HTTP, not an upgrade to websocket, version other than 13,
 * a key that is not 24 base64 characters, a head over HTTP_HEAD_MAX).
 * Bytes after the head are frames and stay with the caller.
 *
 * The request's target is kept whole; wshs_query_param() finds one
 * query parameter (Snowflake's ?client_ip=) without decoding escapes
 * beyond what an address needs: a value with '%' is refused.
 */
#ifndef PW_WSHS_H
#define PW_WSHS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WSHS_KEY_LEN 24      /* base64 of 16 random bytes */
#define WSHS_ACCEPT_LEN 28   /* base64 of a SHA-1 */
#define WSHS_TARGET_MAX 1024 /* request-target kept from a request */
#define WSHS_HOST_MAX 255
#define WSHS_PARAM_MAX 63    /* a query parameter's value */

struct wshs_request {
	char target[WSHS_TARGET_MAX + 1]; /* "/path?query" as sent */
	char host[WSHS_HOST_MAX + 1];     /* Host header, "" if absent */
	char key[WSHS_KEY_LEN + 1];       /* Sec-WebSocket-Key */
};

/* A GET upgrade request at the start of p. */
ssize_t wshs_parse_request(const uint8_t *p, size_t n, struct wshs_request *r);

/*
 * The server's answer at the start of p: 101 with Upgrade, Connection
 * and the Sec-WebSocket-Accept that key (the one we sent) calls for.
 * *status gets the status code of any complete head (for messages).
 */
ssize_t wshs_parse_response(const uint8_t *p, size_t n, const char key[WSHS_KEY_LEN + 1], int *status);

/* Sec-WebSocket-Accept for key: 0, or -1 (crypto failure). out is NUL-terminated. */
int wshs_accept(const char *key, char out[WSHS_ACCEPT_LEN + 1]);

/* A fresh random key: 0, or -1. */
int wshs_new_key(char out[WSHS_KEY_LEN + 1]);
/* Random bytes (a client's frame masks): 0, or -1. */
int wshs_random(void *p, size_t n);

/*
 * "GET path HTTP/1.1" with Host, Upgrade, Connection, the key and
 * version 13. host and path must be free of CR, LF and blanks (path
 * starts with '/'). Length written (NUL-terminated), or -1.
 */
ssize_t wshs_format_request(char *out, size_t cap, const char *host, const char *path,
                            const char *key);
/* "HTTP/1.1 101 Switching Protocols" with the accept value. Length, or -1. */
ssize_t wshs_format_response(char *out, size_t cap, const char *key);

/*
 * The value of query parameter name in target ("/p?a=1&client_ip=…"):
 * 1 and the value in out, 0 when absent, -1 when longer than cap - 1
 * or holding '%'.
 */
int wshs_query_param(const char *target, const char *name, char *out, size_t cap);

#endif
