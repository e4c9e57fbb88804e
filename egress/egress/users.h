/* SPDX-License-Identifier: MIT */
/*
 * The egress's users file (--users): who may open a secure session.
 * One user per line, "NAME SECRET": a name of 1..USERS_NAME_MAX
 * printable bytes without spaces, one space or tab, a secret of
 * 1..USERS_SECRET_MAX printable bytes without spaces. Blank lines and
 * lines starting with '#' are ignored; anything else is an error that
 * names the line, and a bad file never replaces a good table (SIGHUP
 * reloads). Secrets are compared in constant time (base/secret.h), and
 * the time of a check does not tell whether the name exists.
 */
#ifndef PW_EGRESS_USERS_H
#define PW_EGRESS_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "tt/tunnel.h"

#define USERS_NAME_MAX TUNNEL_NAME_MAX
#define USERS_SECRET_MAX TUNNEL_SECRET_MAX
#define USERS_MAX 100000          /* lines that name a user */
#define USERS_FILE_MAX (16u << 20) /* bytes of the file */

struct user {
	char name[USERS_NAME_MAX + 1];
	uint8_t secret[USERS_SECRET_MAX];
	size_t slen;
};

struct users {
	struct user *v;
	size_t n;
};

/* Parse text into u (replacing it only on success): 0, or -1 with a reason. */
int users_parse(struct users *u, const char *text, size_t len, char *err, size_t errlen);
/* Read and parse path: 0, or -1 with a reason (u untouched). */
int users_load(struct users *u, const char *path, char *err, size_t errlen);
void users_free(struct users *u);
/* 1 when name is a user (whatever their secret), else 0. */
int users_has(const struct users *u, const char *name);
/* 1 when name is a user and secret is theirs, else 0. */
int users_check(const struct users *u, const char *name, const uint8_t *secret, size_t slen);

#endif
