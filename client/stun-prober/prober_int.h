/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by prober.c (engine), prober_nat.c (RFC 5780 tests)
 * and prober_out.c (output lines). One struct probe per server in
 * flight; the engine owns it, completes it once with probe_finish.
 */
#ifndef PW_PROBER_INT_H
#define PW_PROBER_INT_H

#include <ev.h>
#include <sys/socket.h>

#include "net/dns.h"
#include "net/net.h"
#include "prober.h"
#include "stun/stunuri.h"
#include "stun/stunc.h"
#include "stun/turnc.h"

#define PROBER_SOFTWARE_MAX 128 /* SOFTWARE value kept, bytes */
#define PROBER_REASON_MAX 160

struct probe {
	struct prober *pr;
	struct probe *next;                /* in flight list */
	char name[PROBER_LINE_MAX + 1];     /* as given */
	struct stun_uri uri;
	struct dns_query *dq;
	struct sockaddr_storage addr;
	socklen_t alen;
	struct stunc *own;                 /* TCP/TLS transport of this probe */
	struct stunc_tx *tx;
	struct turnc *turn;
	ev_tstamp t0;
	int nat_step;
	struct sockaddr_storage m1, m2, other;
	socklen_t m1len, m2len, otherlen;
	/* results */
	const char *status;                /* ok timeout refused error */
	double rtt_ms, alloc_ms;
	char mapped[NET_ADDRSTR_MAX], origin[NET_ADDRSTR_MAX], other_s[NET_ADDRSTR_MAX];
	char relayed[NET_ADDRSTR_MAX];
	char software[PROBER_SOFTWARE_MAX + 1];
	const char *mapping, *filtering;
	char reason[PROBER_REASON_MAX];
};

struct prober {
	struct ev_loop *loop;
	struct prober_opts o;
	struct dns *dns;
	struct stunc *udp4, *udp6;
	struct probe *live;
	unsigned nlive;
	uint64_t nok, ntotal;
	char **argv_servers;
	int nargv, nextarg;
	int infd;
	ev_io in;
	char line[PROBER_LINE_MAX + 2];
	size_t linelen;
	int in_eof, line_too_long, stopped, filling;
};

/* Engine (prober.c). */
void probe_finish(struct probe *p);
void probe_failf(struct probe *p, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct stunc *probe_udp(struct probe *p, int family);
/* A Binding to `to` on the probe's transport; CHANGE-REQUEST flags when change != 0. */
int probe_binding(struct probe *p, const struct sockaddr *to, socklen_t tolen, uint32_t change,
                  stunc_tx_cb cb);
/* Text of a transaction failure into p->reason; its status word. */
const char *probe_fail_status(struct probe *p, enum stunc_result res, enum stunc_drop drop);

/* RFC 5780 (prober_nat.c): continue after a successful Binding with OTHER-ADDRESS. */
void prober_nat_start(struct probe *p);

/* Output (prober_out.c): 0, or -1 when stdout failed (a closed pipe). */
int prober_print(const struct prober *pr, const struct probe *p);
/* Printable ASCII copy of n bytes (others become '?'), NUL-terminated. */
void prober_sanitize(char *out, size_t cap, const void *p, size_t n);

#endif
