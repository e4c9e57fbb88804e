/* SPDX-License-Identifier: MIT */
/*
 * The Turbo Tunnel carrier preamble (tor.md §1.4, DESIGN.md §3): every
 * carrier connection starts, client to server, with the 8-byte token
 * 12 93 60 5d 27 81 75 f5 and the 8-byte ClientID; encapsulated packets
 * (frame.h) follow in both directions. The token is not a secret: it
 * only tells a session carrier from the other protocols on a listener.
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

/* 1 if the n bytes at p agree with the token so far, 0 if not. */
int preamble_token_maybe(const uint8_t *p, size_t n);

void preamble_encode(const uint8_t id[CLIENTID_LEN], uint8_t out[PREAMBLE_LEN]);

/* 16 with id filled, 0 when more bytes are needed, -1 on a wrong token. */
ssize_t preamble_decode(const uint8_t *p, size_t n, uint8_t id[CLIENTID_LEN]);

/* The shown prefix of a ClientID: lower-case hex, NUL-terminated. */
void clientid_show(const uint8_t id[CLIENTID_LEN], char out[CLIENTID_SHOW_LEN + 1]);

/* A fresh random ClientID from the kernel. 0, or -1 (errno). */
int clientid_random(uint8_t id[CLIENTID_LEN]);

#endif
