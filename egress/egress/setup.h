/* SPDX-License-Identifier: MIT */
/*
 * Start-up steps of the egress main that are not its table of contents:
 * the values of -l, --allow/--deny and --admin checked into struct
 * egress, the listeners bound, and the admin listener's answers (state
 * and every refusal counter, DESIGN.md §8). Argument errors are usage
 * errors (base/cli); failures to bind are fatal.
 */
#ifndef PW_EGRESS_SETUP_H
#define PW_EGRESS_SETUP_H

#include <stddef.h>

#include "egress.h"
#include "net/endpoint.h"

void setup_listen_arg(struct egress *eg, struct endpoint *ep, const char *s);
void setup_rule_arg(struct egress *eg, const char *s, int allow);
void setup_admin_arg(struct endpoint *ep, const char *s);

/* Bind every -l endpoint (ep[i] for eg->listen[i]). */
void setup_listeners(struct egress *eg, const struct endpoint *ep);
/* Bind --admin; start it with admin_start once the loop runs. */
void setup_admin(struct egress *eg, const struct endpoint *ep);

/* The admin bodies: /healthz (which 0) and /metrics (which 1). */
int setup_admin_body(void *arg, int which, char *out, size_t cap);

#endif
