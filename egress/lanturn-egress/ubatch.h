/* SPDX-License-Identifier: MIT */
/*
 * Datagrams of one loop turn sent together (lanturn-egress): those to
 * one address, in order, leave in one sendmmsg instead of one sendto
 * each. Another address or a full batch sends what waits first; the
 * owner flushes before the loop sleeps (ev_prepare), so a datagram waits
 * no longer than the loop turn that made it. What the socket cannot take
 * is dropped and counted, as a network would.
 *
 * Each run of equal datagrams of at least UBATCH_GSO_MIN bytes (the last
 * may be shorter) is one message with UDP_SEGMENT (GSO), a lone one too:
 * the kernel cuts it into the same datagrams, so nothing changes on the
 * wire, crossing its stack once a run (lanturn-egress's CPU in a bulk
 * download through coturn on loopback: about 6.5 core-ms per MB with
 * sendmmsg alone, 4.7 with GSO). It also matters to a TURN server on the
 * same host: a datagram sent with UDP_SEGMENT lands in page fragments,
 * and a receive buffer charges it less (2,060 bytes of coturn's 128 KiB
 * for an SRTP packet of 1,228 bytes, against 2,304 sent plain), which
 * the bulk window counts on (common/call/pace.h). Smaller datagrams
 * (RTCP, STUN, DTLS) go plain. When the kernel refuses UDP_SEGMENT (EIO:
 * no checksum offload on the route or IPsec; EINVAL; EMSGSIZE: a path
 * MTU below a segment) the batch goes plain and so does every later one.
 */
#ifndef PW_LANTURN_UBATCH_H
#define PW_LANTURN_UBATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UBATCH_SEGS 32         /* datagrams in one batch */
#define UBATCH_BYTES 49152     /* and bytes */
#define UBATCH_GSO_MIN 512     /* smaller datagrams go without UDP_SEGMENT */

struct ubatch;

struct ubatch *ubatch_new(int fd);
void ubatch_free(struct ubatch *b);
/* Datagram p[n] to `to`, with the next flush (or at once when it does not fit a batch). */
void ubatch_send(struct ubatch *b, const struct sockaddr *to, socklen_t tolen, const uint8_t *p, size_t n);
void ubatch_flush(struct ubatch *b);
/* Datagrams dropped (socket buffer full); flushes that carried several; messages sent with UDP_SEGMENT. */
unsigned long long ubatch_dropped(const struct ubatch *b);
unsigned long long ubatch_batches(const struct ubatch *b);
unsigned long long ubatch_gso(const struct ubatch *b);
/*
 * The messages of count datagrams of sizes n[]: message i is datagrams
 * [first[i], first[i] + segs[i]), sent with UDP_SEGMENT seg[i] (0:
 * plain, one datagram). With gso, a run of equal datagrams of at least
 * UBATCH_GSO_MIN bytes, the last may be shorter, is one message. Returns
 * the number of messages. Pure.
 */
size_t ubatch_runs(const size_t *n, unsigned count, int gso, unsigned *first, unsigned *segs, size_t *seg);

#endif
