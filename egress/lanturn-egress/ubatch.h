/* SPDX-License-Identifier: MIT */
/*
 * Datagrams of one loop turn sent together (lanturn-egress): those to
 * one address, in order, leave in one sendmmsg instead of one sendto
 * each. Another address or a full batch sends what waits first; the
 * owner flushes before the loop sleeps (ev_prepare), so a datagram waits
 * no longer than the loop turn that made it. What the socket cannot take
 * is dropped and counted, as a network would.
 *
 * Not UDP_SEGMENT (GSO) as common/ice sends to a WebRTC peer: it would
 * change the call on the wire. Measured on a tun device in a network
 * namespace (no UDP segmentation offload, so the kernel cuts the run
 * before the device): sent plain from an unconnected socket with the
 * default path MTU discovery, each datagram has DF set and an IP ID from
 * the kernel's counter; a run sent with UDP_SEGMENT leaves with the same
 * IDs but DF clear (the run is longer than the MTU when the IP header is
 * made), and with IP_PMTUDISC_DO, IDs 0, 1, 2... where plain sends all
 * carry 0. A capture on the sending host (lo, or a NIC that segments UDP
 * itself) even shows each run as one datagram (t/sh/505). GSO cut
 * lanturn-egress's CPU through coturn by a quarter (6.5 core-ms a MB
 * with sendmmsg, 4.7 with GSO); the drops it brought were the window's
 * (common/call/pace.h: a datagram sent so weighs less in coturn's
 * receive buffer, 2,060 bytes instead of 2,304, yet a window of 48
 * dropped a few in most downloads; 46 none). One datagram with
 * UDP_SEGMENT set to its own length is not cut and looks the same as a
 * plain one, but measured no better (more CPU, and drops at 48).
 */
#ifndef PW_LANTURN_UBATCH_H
#define PW_LANTURN_UBATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UBATCH_SEGS 32         /* datagrams in one batch */
#define UBATCH_BYTES 49152     /* and bytes */

struct ubatch;

struct ubatch *ubatch_new(int fd);
void ubatch_free(struct ubatch *b);
/* Datagram p[n] to `to`, with the next flush (or at once when it does not fit a batch). */
void ubatch_send(struct ubatch *b, const struct sockaddr *to, socklen_t tolen, const uint8_t *p, size_t n);
void ubatch_flush(struct ubatch *b);
/* Datagrams dropped (socket buffer full); flushes that carried several. */
unsigned long long ubatch_dropped(const struct ubatch *b);
unsigned long long ubatch_batches(const struct ubatch *b);

#endif
