/* SPDX-License-Identifier: MIT */
/*
 * The nghttp2 adapter: an HTTP/2 client session as a pure byte machine.
 * The caller owns the socket (and TLS): it feeds received bytes to
 * h2_recv and writes what h2_pending returns, so the same code works
 * over any transport and from libev. No other file includes nghttp2.
 *
 * A request is its header fields (names lower-case, the pseudo-headers
 * first) and a body that the caller keeps valid until its stream ends;
 * the answer comes back through the callbacks, tagged with the caller's
 * pointer: header fields, body bytes, then exactly one done() (ok when
 * the stream ended cleanly, else reset, refused or cut off). Memory:
 * one small struct per stream and an output buffer of at most
 * H2_OUT_MAX plus one frame; the receive windows are set large
 * (H2_WINDOW) so a full meek body needs no window round trip, and
 * frames up to H2_FRAME_MAX are accepted: a server that writes a DATA
 * frame per TLS write (Go's, so Caddy) then sends a 32 KiB chunk as one
 * frame, not two 16 KiB frames each split into a full TLS record and a
 * 9-byte one.
 */
#ifndef PW_H2_H
#define PW_H2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define H2_NV_MAX 32          /* header fields in one request */
#define H2_OUT_MAX 65536      /* output buffered before the caller writes it */
#define H2_WINDOW (16u << 20) /* our receive window, per stream and per connection */
#define H2_FRAME_MAX 262144   /* largest frame we accept (SETTINGS_MAX_FRAME_SIZE, >= 16384) */
#define H2_ERR_MAX 128

struct h2_nv {
	const char *name, *value;
	size_t name_len, value_len;
};

struct h2_cbs {
	void (*header)(void *arg, void *req, const char *name, size_t nlen, const char *value,
	               size_t vlen);
	/* Body bytes; return -1 to reset the stream (too large). */
	int (*data)(void *arg, void *req, const uint8_t *p, size_t n);
	void (*done)(void *arg, void *req, int ok, const char *why);
};

struct h2;

struct h2 *h2_client_new(const struct h2_cbs *cbs, void *arg, char *err, size_t errlen);
/* Frees the session; no done() is called for streams still open. */
void h2_free(struct h2 *h);

/* Submit a request; body stays valid until done(). 0, or -1 with err. */
int h2_request(struct h2 *h, const struct h2_nv *nv, size_t nnv, const uint8_t *body,
               size_t len, void *req, char *err, size_t errlen);
/* Reset req's stream (no done() follows). */
void h2_cancel(struct h2 *h, void *req);

/* Bytes from the peer. 0, or -1 on a protocol error (err set). */
int h2_recv(struct h2 *h, const uint8_t *p, size_t n, char *err, size_t errlen);
/* What to write next (*len 0: nothing), and how much of it was written. */
const uint8_t *h2_pending(struct h2 *h, size_t *len);
void h2_written(struct h2 *h, size_t n);
/* 0 once the session is over (GOAWAY, fatal error) and nothing is left to write. */
int h2_alive(const struct h2 *h);
/* Streams open. */
size_t h2_streams(const struct h2 *h);

#endif
