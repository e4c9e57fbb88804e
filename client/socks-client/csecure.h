/* SPDX-License-Identifier: MIT */
/*
 * socks-client's side of secure sessions (pipeworks-protocol(5)): the
 * egress key each carrier pins (--egress-fingerprint) and the
 * credentials the client presents (--credentials-file), read once at
 * start, never from argv.
 */
#ifndef PW_CSECURE_H
#define PW_CSECURE_H

#include <stddef.h>
#include <stdint.h>

#include "carrier.h"
#include "tt/tunnel.h"

struct tlsmem_ctx;

struct csecure {
	struct tlsmem_ctx *ctx; /* NULL: plaintext sessions (--plaintext) */
	char user[TUNNEL_NAME_MAX + 1];
	uint8_t secret[TUNNEL_SECRET_MAX];
	size_t slen;
};

/*
 * --egress-fingerprint VALUE: the pin of the -C options that follow, up
 * to the next --egress-fingerprint, and of any given before the first.
 * Usage error when VALUE is not sha256:HEX.
 */
void csecure_pin_arg(struct carrier *carriers, size_t ncarriers, const char *value,
                     uint8_t cur[32], int *have);
/* A -C just parsed takes the current pin, if any. */
void csecure_pin_carrier(struct carrier *c, const uint8_t cur[32], int have);

/*
 * Check that every carrier has a pin, read the credentials file ("NAME
 * SECRET", one line) and make the TLS context: usage error or fatal.
 */
void csecure_acquire(struct csecure *s, const struct carrier *carriers, size_t ncarriers,
                     const char *cred_path);
void csecure_free(struct csecure *s);

#endif
