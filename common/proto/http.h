/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x message heads: parsing request and response heads through
 * llhttp, splitting a CONNECT authority, formatting a minimal response
 * head. Pure functions over (p, n): no I/O, no allocation, no globals.
 *
 * The parsers see only the head, never the body: they return the number
 * of bytes up to and including the blank line, 0 when the head is not
 * complete yet, -1 on a protocol error or when the head would exceed
 * HTTP_HEAD_MAX. Whatever follows the head (a body, pipelined requests,
 * tunnelled bytes after CONNECT) stays with the caller.
 *
 * Line endings are strict: every LF must be preceded by CR and every CR
 * followed by LF. A bare LF or CR, a control byte other than HTAB, or
 * a leading empty line is an error as soon as it is seen, so a non-HTTP
 * peer (a TLS ClientHello, binary probes) is refused at its first bytes
 * instead of after HTTP_HEAD_MAX. Only HTTP/1.0 and HTTP/1.1 are accepted.
 */
#ifndef PW_HTTP_H
#define PW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_HEAD_MAX 8192    /* whole head, request/status line to blank line */
#define HTTP_HEADERS_MAX 64   /* header fields per head */
#define HTTP_METHOD_MAX 23    /* longest method name llhttp knows, and then some */
#define HTTP_HOST_MAX 255     /* authority host, brackets excluded */
#define HTTP_NO_LENGTH UINT64_MAX /* http_format_response_head: omit Content-Length */

/* Pointers into http_head.store; each string is also NUL-terminated. */
struct http_header {
	const char *name;
	size_t name_len;
	const char *value; /* leading and trailing blanks removed */
	size_t value_len;
};

struct http_head {
	int is_request;
	char method[HTTP_METHOD_MAX + 1]; /* request: "GET", "CONNECT", … */
	int status;                        /* response: 100..999 */
	int http_major, http_minor;
	const char *target; /* request-target as sent ("example.com:443" for CONNECT) */
	size_t target_len;
	size_t nheaders;
	struct http_header headers[HTTP_HEADERS_MAX];
	int has_content_length;
	uint64_t content_length;
	int chunked;    /* Transfer-Encoding ends in chunked */
	int keep_alive; /* the connection may carry another message after this one */
	int upgrade;    /* CONNECT, or Upgrade + Connection: upgrade (101 for responses) */
	char store[HTTP_HEAD_MAX]; /* copies of the target, names and values */
};

/*
 * Parse the head at the start of p. Return its length (> 0), 0 for
 * "need more", -1 for a protocol error. h is meaningful only after a
 * positive return; it holds copies and does not point into p.
 */
ssize_t http_parse_request_head(const uint8_t *p, size_t n, struct http_head *h);
/*
 * Same for a response. An interim 1xx head is returned like any other:
 * the caller parses again for the final response.
 */
ssize_t http_parse_response_head(const uint8_t *p, size_t n, struct http_head *h);

/* First header called name (ASCII case-insensitive), or NULL. */
const struct http_header *http_header_find(const struct http_head *h, const char *name);

/*
 * Split a CONNECT authority "host:port" or "[v6]:port" (n bytes, no NUL
 * needed). The host is a DNS name or IPv4 literal made of letters,
 * digits, '-', '.', '_' (at most HTTP_HOST_MAX), or a bracketed IPv6
 * literal; the port is 1..65535 in decimal without sign or leading
 * zeros. Return 0 and fill the result, or -1.
 */
struct http_authority {
	char host[HTTP_HOST_MAX + 1]; /* without brackets */
	int is_v6;
	uint16_t port;
};
int http_split_authority(const char *s, size_t n, struct http_authority *a);

/*
 * Write "HTTP/1.1 STATUS REASON\r\n", then "Content-Length: N\r\n"
 * unless content_length is HTTP_NO_LENGTH, then extra (complete header
 * lines, each ending in "\r\n", or NULL), then the blank line. The
 * caller vouches that extra contains no bytes from a peer. Return the
 * length written (out is NUL-terminated too), or -1 if it does not fit
 * or status is outside 100..999.
 */
ssize_t http_format_response_head(char *out, size_t outlen, int status, uint64_t content_length,
                                  const char *extra);

/* The usual reason phrase for status, "" when unknown. */
const char *http_reason(int status);

#endif
