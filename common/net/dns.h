/* SPDX-License-Identifier: MIT */
/*
 * dns: asynchronous name lookups, c-ares driven by the libev loop. This is
 * the only code that includes <ares.h>; callers see addresses, a status and
 * a short reason.
 *
 * A lookup yields at most DNS_ADDRS_MAX IPv4/IPv6 addresses in the order
 * c-ares sorted them (RFC 6724), the port filled in; a caller that wants one
 * address takes the first. Literal addresses are answered without c-ares.
 *
 * Invariants: the callback runs from the loop, never inside dns_lookup(),
 * exactly once per lookup, and never after dns_cancel() or dns_free().
 * Limits: every lookup ends within its timeout (DNS_TIMEOUT). c-ares cannot
 * cancel one query, so a cancelled or timed-out lookup stays with c-ares
 * until c-ares gives up on it; at most max_inflight such queries exist at
 * once, so a flood of abandoned names costs bounded memory. A lookup over
 * the bound fails at once with DNS_BUSY.
 */
#ifndef PW_NET_DNS_H
#define PW_NET_DNS_H

#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_ADDRS_MAX 16
#define DNS_TIMEOUT_DEFAULT 10.0  /* seconds, when dns_opts.timeout is 0 */
#define DNS_INFLIGHT_DEFAULT 1024 /* when dns_opts.max_inflight is 0 */

enum dns_status {
	DNS_OK = 0,
	DNS_NOTFOUND, /* NXDOMAIN, no address records, or none usable */
	DNS_TIMEOUT,  /* no answer within the timeout, or from any server */
	DNS_FAIL,     /* SERVFAIL, refused, bad name, out of memory */
	DNS_BUSY,     /* max_inflight queries already held by c-ares */
};

union dns_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct dns_result {
	const char *why; /* static text for a log line; NULL when DNS_OK */
	size_t n;
	union dns_addr addr[DNS_ADDRS_MAX];
};

struct dns_opts {
	double timeout;      /* seconds per lookup; 0: DNS_TIMEOUT_DEFAULT */
	size_t max_inflight; /* 0: DNS_INFLIGHT_DEFAULT */
	int family;          /* AF_INET, AF_INET6, or 0 for both */
	/* Tests: "127.0.0.1:5353,…" instead of resolv.conf's servers; NULL: system's. */
	const char *servers;
};

struct dns;
struct dns_query;
/* res is valid during the call only. */
typedef void (*dns_cb)(void *arg, enum dns_status st, const struct dns_result *res);

/* o NULL: defaults. NULL with a reason in err (no resolv.conf is fine). */
struct dns *dns_new(struct ev_loop *loop, const struct dns_opts *o, char *err, size_t errlen);
/* Cancels every lookup still open: their callbacks never run. */
void dns_free(struct dns *d);

/* NULL on allocation failure; cb is then never called. */
struct dns_query *dns_lookup(struct dns *d, const char *name, uint16_t port, dns_cb cb,
                             void *arg);
/* NULL is fine. A query is gone once its callback ran: do not cancel it then. */
void dns_cancel(struct dns_query *q);
/* Queries c-ares holds now, cancelled ones included (tests, metrics). */
size_t dns_inflight(const struct dns *d);
socklen_t dns_addr_len(const union dns_addr *a);

#endif
