/* SPDX-License-Identifier: MIT */
/*
 * The Turbo Tunnel carrier preamble (tor.md §1.4, DESIGN.md §3): every
 * carrier connection starts, client to server, with an 8-byte token and
 * the 8-byte ClientID; encapsulated packets (frame.h) follow in both
 * directions. The token says which session protocol the carrier is for:
 * 12 93 60 5d 27 81 75 f5 (Snowflake's) for a plaintext session, where
 * the application brings its own encryption (Tor), or bb 6f 23 68 1b 15
 * 0a 1f for a secure session (TLS 1.3 between KCP and smux,
 * pipeworks-protocol(5)). Tokens are not secrets: they only tell a
 * session carrier from the other protocols on a listener.
 */
#ifndef PW_PREAMBLE_H
#define PW_PREAMBLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PREAMBLE_TOKEN_LEN 8
#define CLIENTID_LEN 8
#define PREAMBLE_LEN (PREAMBLE_TOKEN_LEN + CLIENTID_LEN)
/*
 * ClientIDs are secrets of their session (DESIGN.md §8): logs and events
 * show only the first CLIENTID_SHOW_BYTES, enough to tell sessions apart.
 */
#define CLIENTID_SHOW_BYTES 4
#define CLIENTID_SHOW_LEN (2 * CLIENTID_SHOW_BYTES)

extern const uint8_t session_token[PREAMBLE_TOKEN_LEN];
extern const uint8_t secure_session_token[PREAMBLE_TOKEN_LEN];

/* 1 if the n bytes at p agree with either token so far, 0 if not. */
int preamble_token_maybe(const uint8_t *p, size_t n);

/* The plaintext preamble; preamble_encode_kind chooses by secure (0 or 1). */
void preamble_encode(const uint8_t id[CLIENTID_LEN], uint8_t out[PREAMBLE_LEN]);
void preamble_encode_kind(const uint8_t id[CLIENTID_LEN], int secure, uint8_t out[PREAMBLE_LEN]);

/*
 * 16 with id filled (and *secure, when not NULL, 1 for the secure token),
 * 0 when more bytes are needed, -1 on a wrong token.
 */
ssize_t preamble_decode(const uint8_t *p, size_t n, uint8_t id[CLIENTID_LEN]);
ssize_t preamble_decode_kind(const uint8_t *p, size_t n, uint8_t id[CLIENTID_LEN], int *secure);

/* The shown prefix of a ClientID: lower-case hex, NUL-terminated. */
void clientid_show(const uint8_t id[CLIENTID_LEN], char out[CLIENTID_SHOW_LEN + 1]);

/* A fresh random ClientID from the kernel. 0, or -1 (errno). */
int clientid_random(uint8_t id[CLIENTID_LEN]);

#endif
