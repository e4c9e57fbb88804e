/* SPDX-License-Identifier: MIT */
/*
 * The egress end of Turbo Tunnel (DESIGN.md §3, tor.md §1.4–1.8).
 *
 *   carrier ── preamble (token, ClientID) ── encapsulated KCP datagrams
 *      │                                           │
 *      └── ClientMap: ClientID → client ───────────┘
 *              client: send queue (512), tunnel (KCP + smux server)
 *                  stream: ATYP ADDR PORT → dial → status byte → relay
 *
 * A client outlives its carriers: packets toward it wait in its bounded
 * queue and leave on the carrier that most recently delivered its
 * packets; a client with no carrier for TT_IDLE_MS is forgotten. A
 * session starts only on a datagram that carries KCP segment 0, so
 * packets of a session this egress no longer knows (after a restart)
 * are ignored rather than answered, and the client notices the silence.
 */
#ifndef PW_EGRESS_TT_H
#define PW_EGRESS_TT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "egress.h"

#define TT_SESSIONS_MAX_DEFAULT 4096
#define TT_QUEUE 512             /* packets queued per client (Snowflake) */
#define TT_IDLE_MS 60000         /* a client with no carrier is forgotten */
#define TT_CARRIER_BUF 65536     /* per carrier, encapsulated bytes each way */
#define TT_PREFIX_MAX 4096       /* stream prefix plus early data read before dialling */
#define TT_CARRIER_IDLE 60.0     /* a carrier with no accepted packet for this long closes */

/* 0, or -1 when out of memory. */
int tt_init(struct egress *eg);
void tt_free(struct egress *eg);

struct conn_slot;

/*
 * Take over a connection that started with the Turbo Tunnel token: fd,
 * (upstream: the listener's ,upstream= for plaintext sessions, or NULL),
 * the bytes already read (the preamble or part of it, maybe more), the
 * client's address for events (NULL when unknown), its share of the
 * connection limits (given back when the carrier ends) and what is left
 * of its handshake time: by then a packet on it must have passed its
 * session's checks, or it closes. A carrier is charged tt_carrier_cost()
 * to --max-memory while it lives, unless precharged: its caller holds
 * that charge (a WebSocket's, from its accept).
 */
void tt_carrier(struct egress *eg, int fd, const uint8_t *p, size_t n, const char *source,
                const struct conn_slot *slot, double handshake_left,
                const struct endpoint *upstream, int precharged);
/* What a carrier holds: its struct and its output buffer. */
size_t tt_carrier_cost(void);

/* How many clients (sessions) and carriers there are now, for metrics. */
void tt_counts(const struct egress *eg, size_t *sessions, size_t *carriers);

/*
 * The users table was reloaded: the sessions of users no longer in it
 * end now (their streams aborted, their carriers closed); returns how
 * many sessions, with *carriers set to how many carriers.
 */
size_t tt_revoke(struct egress *eg, size_t *carriers);

/* KCP's counters over every session so far, the live ones and those that ended. */
void tt_kcp_totals(const struct egress *eg, struct tt_kcp_totals *sum);

/* Close every stream and carrier now (drain timeout, second signal). */
void tt_abort_all(struct egress *eg);

/*
 * Draining starts: streams of clients with no carrier cannot finish, so
 * they end now; the others end as their carriers go.
 */
void tt_drain(struct egress *eg);

#endif
