/* SPDX-License-Identifier: MIT */
/*
 * socks-client's Turbo Tunnel session (DESIGN.md §3–4): one session
 * with a random ClientID, carried by one carrier at a time. When the
 * carrier dies the next one (same or next -C, capped exponential
 * backoff) starts with the same preamble and the session goes on: KCP
 * retransmits what the dead carrier lost. When the session itself is
 * lost (KCP gives up, smux errs, or the egress stays silent for
 * CSESSION_LOST_MS while we wait on it) its streams are failed and the
 * next stream starts a new session.
 */
#ifndef PW_CSESSION_H
#define PW_CSESSION_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "carrier.h"
#include "tt/tunnel.h"

#define CSESSION_LOST_MS 30000     /* silence that means the egress lost us */
#define CSESSION_SILENT_MS 3000    /* a new carrier that brings nothing back */
#define CSESSION_FAILS_MAX 4       /* carriers in a row that brought nothing */
#define CSESSION_BACKOFF_MIN 0.1   /* seconds before the first redial */
#define CSESSION_BACKOFF_MAX 10.0
#define CSESSION_QUEUE 512         /* packets waiting for a carrier */
#define CSESSION_CARRIER_BUF 65536 /* per direction, encapsulated bytes */

struct csession;

struct csession_cb {
	/* The session died: every stream on t is being failed; abort them now. */
	void (*lost)(void *arg, struct tunnel *t);
	/*
	 * CSESSION_FAILS_MAX carriers in a row died without bringing
	 * anything: streams still waiting for their answer should fail now
	 * rather than at their connect timeout. Redialling goes on.
	 */
	void (*stalled)(void *arg, struct tunnel *t);
	/* Stream events of the live tunnel (see tunnel.h). */
	void (*readable)(void *arg, struct tunnel *t, uint32_t sid);
	void (*writable)(void *arg, struct tunnel *t, uint32_t sid);
};

struct csecure;

/*
 * sec: secure sessions with its context and credentials, each pinning
 * the key of the carrier it starts on (a wrong key ends the session, and
 * the next one starts on the next carrier); NULL: plaintext sessions.
 * sec must outlive the csession.
 */
struct csession *csession_new(struct ev_loop *loop, const struct carrier *carriers,
                              size_t ncarriers, const struct csecure *sec,
                              const struct csession_cb *cb, void *arg);
void csession_free(struct csession *cs);

/*
 * The live session's tunnel, starting a session (and its carrier) when
 * there is none. NULL when out of memory.
 */
struct tunnel *csession_tunnel(struct csession *cs);

/*
 * 1 while carriers keep failing (see the stalled callback). A stream
 * opened then asks for a carrier at once, not after the backoff: its
 * answer comes from that attempt.
 */
int csession_stalled(const struct csession *cs);

/* Counters for logs: carriers started, carrier failures, sessions started. */
void csession_counts(const struct csession *cs, uint64_t *carriers, uint64_t *sessions);

#endif
