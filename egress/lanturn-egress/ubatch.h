/* SPDX-License-Identifier: MIT */
/*
 * Datagrams of one loop turn sent together (lanturn-egress): those to
 * one address, in order, leave in one sendmmsg instead of one sendto
 * each. Another address or a full batch sends what waits first; the
 * owner flushes before the loop sleeps (ev_prepare), so a datagram waits
 * no longer than the loop turn that made it. What the socket cannot take
 * is dropped and counted, as a network would.
 *
 * Not UDP_SEGMENT (GSO) as common/ice sends to a WebRTC peer: measured
 * through coturn on loopback, GSO halved lanturn-egress's CPU, but
 * coturn's relay socket, which the bulk window of 48 packets
 * (common/call/pace.h) otherwise never overflows, dropped a datagram in
 * 4 of 12 downloads of 50 MB (none in 15 with sendto or sendmmsg), and
 * one drop stalls KCP for its retransmission timeout (a download at
 * 23 MB/s instead of 50). Why is not established: the segments GSO cuts
 * weigh no more in a receive buffer (62 fit in 128 KiB, 56 sent one by
 * one).
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
