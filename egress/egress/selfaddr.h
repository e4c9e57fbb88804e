/* SPDX-License-Identifier: MIT */
/*
 * --deny-self: keeps the policy's self list (policy.h) equal to the
 * host's interface addresses, read with getifaddrs() at start and every
 * SELFADDR_REFRESH seconds after, so a relay cannot reach services bound
 * to the host's own public address. The watcher owns its memory and
 * frees it when the loop is destroyed; it does not keep the loop alive.
 */
#ifndef PW_EGRESS_SELFADDR_H
#define PW_EGRESS_SELFADDR_H

#include <ev.h>

#include "policy.h"

#define SELFADDR_REFRESH 60.0 /* seconds between interface reads */

/* Nothing when p->deny_self is 0. Exits (fatalx) only when out of memory. */
void selfaddr_start(struct ev_loop *loop, struct policy *p);

#endif
