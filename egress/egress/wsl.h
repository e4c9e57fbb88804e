/* SPDX-License-Identifier: MIT */
/*
 * The egress's WebSocket listener, as Snowflake's server is one
 * (tor.md §3.5): any path is upgraded; binary (or text) messages carry
 * one Turbo Tunnel carrier stream, preamble then encapsulated packets;
 * the same ClientID over a new WebSocket continues its session, exactly
 * as over a new TCP carrier.
 *
 * Each accepted connection is a ws bridge (common/ws) whose local side
 * is one end of a socketpair; once the upgrade is in, the other end
 * becomes an ordinary tt_carrier with the connection's slot (so
 * --max-conns and --max-per-source count WebSockets like any carrier)
 * and the handshake time left. A WebSocket costs three descriptors.
 * After its carrier ends a WebSocket may wait WS_CLOSE_WAIT for the
 * peer's Close without a slot; --max-conns also bounds how many
 * WebSockets exist at all.
 *
 * Each WebSocket's memory (the bridge, wslay's contexts and queue, the
 * buffers both ways) is charged to --max-memory, the budget the sessions
 * share (tunnel_global()); a new one is refused (max_memory) when a new
 * session would be (TUNNEL_ADMIT_SESSION of room), which bounds how many
 * exist, each with bounded buffers (common/ws/ws.h). The carrier a
 * WebSocket feeds (tt_carrier_cost(): some 66 kB, most of it the output
 * buffer) is charged with it, from its accept to its end, as carriers
 * over TCP are from their preamble.
 *
 * ?client_ip= (Snowflake proxies add the client's address) is believed
 * only on a listener marked ,trusted: there it becomes the carrier's
 * source (events, logs, per-source limits); elsewhere it is ignored and
 * logged at debug level.
 */
#ifndef PW_EGRESS_WSL_H
#define PW_EGRESS_WSL_H

#include <sys/socket.h>

#include "egress.h"

/* Take an accepted fd of a ws listener; closes it at once over the limits. */
void wsl_accept(struct egress *eg, int fd, const struct sockaddr_storage *peer,
                const struct egress_listen *el);

/* End every WebSocket now (shutdown). */
void wsl_abort_all(struct egress *eg);

#endif
