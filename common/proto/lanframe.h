/* SPDX-License-Identifier: MIT */
/*
 * lanturn's framing inside RTP payloads (pipeworks-protocol(5),
 * "lanturn"). Upstream puts a 1-byte flag and raw stream bytes in each
 * payload, with no length, so its random padding leaks into the stream;
 * here a payload is a sequence of records, each saying what it is and how
 * long it is:
 *
 *   00                         padding: the rest of the payload, ignored
 *   01 LEN(1) BYTES            the carrier preamble (client to server)
 *   02                         preamble received (server to client)
 *   03 LEN(2) BYTES            one whole encapsulated packet
 *   04 ID(2) OFF(2) TOT(2) LEN(2) BYTES
 *                              bytes OFF..OFF+LEN of packet ID, TOT long
 *   05 PROF(1)                 the sender's profile (client to server)
 *
 * Numbers are big-endian. A packet longer than what is left of a payload
 * is cut into fragments (04) carried by consecutive RTP packets; the
 * reassembler takes them in order and drops a packet when one of its
 * fragments is missing (KCP above retransmits). The preamble and profile
 * records ride in every client packet until a 02 comes back, so they
 * survive loss. Pure code, no allocation: the reassembler is a struct the
 * caller owns.
 */
#ifndef PW_LANFRAME_H
#define PW_LANFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LANF_PAD 0x00
#define LANF_PREAMBLE 0x01
#define LANF_ACK 0x02
#define LANF_PKT 0x03
#define LANF_FRAG 0x04
#define LANF_PROFILE 0x05

#define LANF_PKT_MAX 2048       /* largest packet carried (and reassembled) */
#define LANF_PREAMBLE_MAX 64
#define LANF_PKT_HDR 3          /* 03 LEN(2) */
#define LANF_FRAG_HDR 9         /* 04 ID OFF TOT LEN */

struct lanf_rec {
	uint8_t type;
	const uint8_t *body;    /* into the payload */
	size_t len;             /* body length */
	uint16_t id, off, total; /* LANF_FRAG */
	uint8_t profile;        /* LANF_PROFILE */
};

/*
 * One record at p: bytes consumed (a padding record consumes all n) with
 * r filled, 0 when n is 0 or the record runs past n (inside one payload
 * that is an error for the caller), -1 for an unknown type or a length
 * over its limit (preamble > LANF_PREAMBLE_MAX, packet or fragment
 * beyond LANF_PKT_MAX, a fragment outside its packet).
 */
ssize_t lanf_parse(const uint8_t *p, size_t n, struct lanf_rec *r);

/* Writers: bytes written, or -1 when cap is short or a length is over its limit. */
ssize_t lanf_put_preamble(uint8_t *out, size_t cap, const uint8_t *p, size_t n);
ssize_t lanf_put_ack(uint8_t *out, size_t cap);
ssize_t lanf_put_profile(uint8_t *out, size_t cap, uint8_t profile);
ssize_t lanf_put_pkt(uint8_t *out, size_t cap, const uint8_t *p, size_t n);
ssize_t lanf_put_frag(uint8_t *out, size_t cap, uint16_t id, size_t off, size_t total,
                      const uint8_t *p, size_t n);
/* Padding to fill exactly cap bytes (cap >= 1; 0 writes nothing): cap. */
ssize_t lanf_put_pad(uint8_t *out, size_t cap);

struct lanf_reasm {
	int active;
	uint16_t id;
	size_t total, have;
	unsigned long long dropped; /* packets given up for a missing fragment */
	uint8_t buf[LANF_PKT_MAX];
};

void lanf_reasm_init(struct lanf_reasm *ra);
/*
 * Take one LANF_FRAG record: 1 with *pkt and *len the whole packet (valid
 * until the next call), 0 when more fragments are needed or the fragment
 * was dropped (out of order, another packet's middle).
 */
int lanf_reasm_add(struct lanf_reasm *ra, const struct lanf_rec *r, const uint8_t **pkt,
                   size_t *len);

#endif
