/* SPDX-License-Identifier: MIT */
/*
 * One client connection of the egress, from accept to close:
 *
 *   sniff ─┬─ PROXY v2 header (trusted listeners only) ─▶ sniff again
 *          ├─ SOCKS5 ─▶ greeting ─▶ request ─▶ resolve ─▶ connect ─▶ relay
 *          ├─ Turbo Tunnel token ─▶ tt.c (session carrier)
 *          └─ anything else ─▶ close
 *
 * A stream exists from a parsed CONNECT request on: it gets an "accept"
 * event then and exactly one "close" event when it ends, whatever the
 * path. Limits: CONN_HS_MAX handshake bytes (bytes read past the request
 * are early data and go to the destination first), the handshake
 * timeout until the request is complete, the connect timeout per step
 * of the destination phase.
 */
#ifndef PW_EGRESS_CONN_H
#define PW_EGRESS_CONN_H

#include <sys/socket.h>

#include "egress.h"

#define CONN_HS_MAX 4096 /* PROXY v2 (<= 1024) + greeting + request + early data */

/*
 * An inbound connection's share of --max-conns and --max-per-source,
 * counted from accept and given back exactly once, by whoever holds the
 * connection then (the SOCKS5 connection, or the carrier it became).
 */
struct conn_slot {
	struct limit_key key;
	uint8_t keyed; /* counted against key's source */
	uint8_t held;  /* counted in ninbound */
};

/* Take a slot for a peer; -1 (refusal counted) when a limit is reached. */
int conn_slot_take(struct egress *eg, struct conn_slot *s, const struct sockaddr_storage *peer);
/* The real source is known (PROXY v2): count there instead; -1 over its limit. */
int conn_slot_rekey(struct egress *eg, struct conn_slot *s, const struct sockaddr_storage *src);
void conn_slot_give(struct egress *eg, struct conn_slot *s);

/* Take ownership of an accepted fd; closes it at once over --max-conns. */
void conn_accept(struct egress *eg, int fd, const struct sockaddr_storage *peer, socklen_t len,
                 const struct egress_listen *el);

/* Close every connection now (drain timeout, second signal). */
void conn_abort_all(struct egress *eg);

#endif
