/* SPDX-License-Identifier: MIT */
/*
 * The stun-prober engine: a queue of server URIs, at most `concurrency`
 * probes in flight, one line of output per server as it completes.
 *
 * Plain probes over UDP share ONE socket per address family (stunc
 * matches answers by transaction id and source address); probes over
 * TCP/TLS and TURN probes get a transport of their own. Names are
 * resolved asynchronously (net/dns). Servers come from argv or, when
 * there are none, from stdin one per line, read only while a probe slot
 * is free, so a huge list costs bounded memory.
 */
#ifndef PW_PROBER_H
#define PW_PROBER_H

#include <ev.h>
#include <stdint.h>

#include "proto/stun.h"

#define PROBER_CONCURRENCY_MAX 4096
#define PROBER_TIMEOUT_MAX_MS 60000
#define PROBER_LINE_MAX 1024   /* one stdin line, bytes */

struct tls_ctx;

struct prober_opts {
	int json;
	unsigned concurrency;
	uint64_t timeout_ms;    /* per STUN transaction */
	int nat, turn;
	/* Credentials: long-term (--turn) or short-term (plain Binding). */
	int have_creds;
	char username[STUN_USERNAME_MAX + 1];
	char password[STUN_PASSWORD_MAX + 1];
	struct tls_ctx *tls;     /* NULL: stuns:/turns: fail with an error line */
	int tls_insecure;
};

struct prober;

/* NULL with a reason in err. The password in o is copied. */
struct prober *prober_new(struct ev_loop *loop, const struct prober_opts *o, char *err, size_t errlen);
/* Servers from argv (kept by pointer), or from fd (argc 0). */
void prober_start(struct prober *pr, char **servers, int nservers, int fd);
/* Nothing left: every server answered and the input is done. */
int prober_done(const struct prober *pr);
/* Stop: cancel what is in flight (no more lines). */
void prober_stop(struct prober *pr);
/* Counts of results: how many servers were ok, and how many in all. */
void prober_counts(const struct prober *pr, uint64_t *ok, uint64_t *total);
void prober_free(struct prober *pr);

#endif
