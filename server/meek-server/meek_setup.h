/* SPDX-License-Identifier: MIT */
/*
 * meek-server's start-up steps that are not the table of contents:
 * checking endpoint options, resolving the upstream once, reading the
 * token, binding the listeners and raising the descriptor limit. Each
 * either succeeds or exits with the documented status.
 */
#ifndef PW_MEEK_SETUP_H
#define PW_MEEK_SETUP_H

#include <stddef.h>

#include "meeks.h"

#define MEEKS_BACKLOG 1024

/* A tcp: or unix: endpoint without options, or a usage error naming opt. */
void msetup_endpoint(const char *opt, const char *s, struct endpoint *ep);
/* -u: parse it; a tcp: upstream is resolved here, once. */
void msetup_upstream(struct meeks *m, const char *spec);
/* --admin: unix: or a loopback tcp: address only. */
void msetup_admin(struct meeks *m, const char *spec);
/* --auth-token-file, or the open-relay warning without one. */
void msetup_token(struct meeks *m, const char *file, const char *upstream);
/* Bind ep into l->fd and write the bound name into name. */
void msetup_listen(struct listener *l, const struct endpoint *ep, char *name, size_t cap);
/* Each session holds an upstream fd: take the hard limit, as servers do. */
void msetup_raise_nofile(void);

#endif
