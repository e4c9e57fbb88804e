/* SPDX-License-Identifier: MIT */
/*
 * Secure sessions on the egress (pipeworks-protocol(5)): the key that
 * authenticates it (--genkey, --print-fingerprint, --key), the users
 * file that authenticates clients (--users, reloaded on SIGHUP), and the
 * check of a session's credentials with its per-source failure limit.
 */
#ifndef PW_EGRESS_SECURE_H
#define PW_EGRESS_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include "egress.h"

/* --genkey: a new private key on stdout. Exits. */
void secure_genkey(void);
/* --print-fingerprint: the key's "sha256:HEX" on stdout. Exits. */
void secure_print_fingerprint(const char *key_path);
/* Load --key and --users (fatal on error); a notice when sessions cannot be served. */
void secure_acquire(struct egress *eg);
/* After the ready lines: "fingerprint sha256:HEX" when there is a key. */
void secure_print_ready(const struct egress *eg);
/* SIGHUP: read --users again; a bad file keeps the loaded table. */
void secure_reload(struct egress *eg);
void secure_free(struct egress *eg);

/*
 * A session's credentials, from source k (NULL when unknown): 0 when
 * name is a user with this secret, -1 when refused (counted, and the
 * failure charged to the source; a source over --max-auth-failures in
 * this window is refused without a check).
 */
int secure_auth(struct egress *eg, const struct limit_key *k, const char *name,
                const uint8_t *secret, size_t slen);

#endif
