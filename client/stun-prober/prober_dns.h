/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous name lookups for stun-prober: c-ares on the libev loop.
 * A lookup yields the first usable IPv4 or IPv6 address with the port
 * set. Literal addresses never reach c-ares. The callback never runs
 * inside prober_dns_lookup(); after prober_dns_cancel() it never runs.
 */
#ifndef PW_PROBER_DNS_H
#define PW_PROBER_DNS_H

#include <ev.h>
#include <stdint.h>
#include <sys/socket.h>

struct prober_dns;
struct prober_dns_q;

/* st 0 ok (sa, len set), -1 failed with a short reason in why. */
typedef void (*prober_dns_cb)(void *arg, int st, const struct sockaddr *sa, socklen_t len,
                              const char *why);

struct prober_dns *prober_dns_new(struct ev_loop *loop, char *err, size_t errlen);
/* Every query must be finished or cancelled first. */
void prober_dns_free(struct prober_dns *d);

/* NULL on allocation failure (cb is then never called). */
struct prober_dns_q *prober_dns_lookup(struct prober_dns *d, const char *host, uint16_t port,
                                       prober_dns_cb cb, void *arg);
void prober_dns_cancel(struct prober_dns_q *q);

#endif
