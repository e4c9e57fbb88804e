/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 message bodies after the head: the chunked transfer coding
 * (RFC 9112 §7.1), decoded by llhttp so no chunk syntax is parsed by
 * hand here. A CDN may re-chunk a response that the origin sent with a
 * Content-Length, so clients behind one must accept it.
 *
 * Pure function over (p, n): no I/O, no allocation, no globals.
 */
#ifndef PW_HTTPBODY_H
#define PW_HTTPBODY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * p[0..n) is a chunked body starting right after the head. When it is
 * complete (last chunk and trailer section seen), return its encoded
 * length (> 0) and store the decoded length in *outlen; 0 when more
 * bytes are needed; -1 on a syntax error or when the decoded body would
 * exceed outcap. The decoded bytes are written to out unless out is NULL
 * (count only); out may be p itself (decoding in place), since the
 * decoded bytes never run ahead of the encoded ones. Bytes after the
 * body are not touched. On a 0 or -1 return, out holds a partial result.
 */
ssize_t http_chunked_decode(const uint8_t *p, size_t n, uint8_t *out, size_t outcap,
                            size_t *outlen);

#endif
