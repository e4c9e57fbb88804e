/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous name resolution: c-ares driven by the libev loop. The
 * rest of the egress never sees c-ares types. A lookup returns at most
 * RESOLVER_ADDRS_MAX IPv4/IPv6 addresses in the order c-ares sorted them
 * (RFC 6724), with the port filled in. The callback never runs inside
 * resolver_lookup(), and never after resolver_cancel().
 */
#ifndef PW_EGRESS_RESOLVER_H
#define PW_EGRESS_RESOLVER_H

#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RESOLVER_ADDRS_MAX 16

enum resolver_status {
	RESOLVER_OK = 0,
	RESOLVER_NOTFOUND, /* NXDOMAIN, no address records, or none usable */
	RESOLVER_TIMEOUT,  /* no answer from any server */
	RESOLVER_FAIL,     /* SERVFAIL, refused, bad name, out of memory */
};

union resolver_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct resolver_result {
	size_t n;
	union resolver_addr addr[RESOLVER_ADDRS_MAX];
};

struct resolver;
struct resolver_query;
typedef void (*resolver_cb)(void *arg, enum resolver_status st, const struct resolver_result *res);

/* NULL with a reason in err (no /etc/resolv.conf is fine: c-ares falls back). */
struct resolver *resolver_new(struct ev_loop *loop, char *err, size_t errlen);
/* Cancel nothing: every query must have been answered or cancelled. */
void resolver_free(struct resolver *r);

/* NULL on allocation failure; cb is then never called. */
struct resolver_query *resolver_lookup(struct resolver *r, const char *name, uint16_t port,
                                       resolver_cb cb, void *arg);
void resolver_cancel(struct resolver_query *q);

#endif
