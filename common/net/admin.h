/* SPDX-License-Identifier: MIT */
/*
 * An operator's admin listener (DESIGN.md §8): GET /healthz and GET
 * /metrics (Prometheus text) on a UNIX socket or a loopback port, never
 * a public one. It has its own small connection limit, apart from the
 * public listeners' limits, so the operator gets in while those are
 * full; each connection gets one request within ADMIN_TIMEOUT seconds
 * and is closed after the answer. Anything else is a 404 (405 for other
 * methods on the two paths). The program supplies the body text.
 */
#ifndef PW_ADMIN_H
#define PW_ADMIN_H

#include <ev.h>
#include <stddef.h>

#include "net/endpoint.h"
#include "net/net.h"

#define ADMIN_CONNS_MAX 8
#define ADMIN_TIMEOUT 5.0
#define ADMIN_BODY_MAX 16384

/*
 * Write the body of /healthz (which == 0) or /metrics (which == 1) into
 * out; return its length, or -1 (answered 500).
 */
typedef int (*admin_body_cb)(void *arg, int which, char *out, size_t cap);

struct admin_conn;

struct admin {
	struct ev_loop *loop;
	struct listener l;
	admin_body_cb body;
	void *arg;
	struct admin_conn *conns;
	size_t nconns;
	unsigned long long refused; /* connections over ADMIN_CONNS_MAX */
	struct endpoint ep;
	char name[ENDPOINT_STR_MAX];
};

/* Is ep allowed for an admin listener (unix:, or tcp: on a loopback address)? */
int admin_endpoint_ok(const struct endpoint *ep);

/* Bind (the name it got is in a->name). -1 with errno set. */
int admin_open(struct admin *a, struct ev_loop *loop, const struct endpoint *ep,
               admin_body_cb body, void *arg);
/* Start accepting. */
void admin_start(struct admin *a);
/* Stop accepting, close every admin connection and the listener. */
void admin_close(struct admin *a);

#endif
