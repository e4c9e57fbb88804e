/* SPDX-License-Identifier: MIT */
/*
 * Turbo Tunnel encapsulation (reference/tor.md §1.2), byte-compatible
 * with Snowflake: a byte stream of chunks, each a 1..3 byte length
 * prefix and that many bytes. First prefix byte: 0x80 data (else
 * padding), 0x40 another prefix byte follows, low 6 bits the top of the
 * length; each further byte adds 7 bits, 0x80 meaning "more". A prefix
 * that would need a 4th byte is an error, so lengths stop at 20 bits.
 *
 * Decoders accept non-minimal prefixes; encoders emit minimal ones.
 * Pure code: no I/O, no allocation.
 */
#ifndef PW_FRAME_H
#define PW_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRAME_LEN_MAX 0xFFFFF   /* 20 bits: 6 + 7 + 7 */
#define FRAME_PREFIX_MAX 3
#define FRAME_PADDING_CHUNK_MAX 1024 /* per padding chunk, prefix included */

/*
 * Decode one prefix. Return its size (1..3) with *is_data and *len set,
 * 0 when more input is needed, -1 when a 4th prefix byte would follow.
 */
ssize_t frame_decode_prefix(const uint8_t *p, size_t n, int *is_data, size_t *len);

/*
 * Decode one whole chunk (prefix and payload) held in p. Return its total
 * size, 0 when more input is needed, -1 on a bad prefix. *payload points
 * into p. Padding chunks are returned too, with *is_data = 0.
 */
ssize_t frame_decode(const uint8_t *p, size_t n, int *is_data, const uint8_t **payload, size_t *len);

/* Minimal prefix for len; bytes written, or -1 (len > FRAME_LEN_MAX, no room). */
ssize_t frame_encode_prefix(int is_data, size_t len, uint8_t *out, size_t outlen);

/* Prefix + pkt; bytes written or -1. pkt may be NULL when len is 0. */
ssize_t frame_encode_data(const uint8_t *pkt, size_t len, uint8_t *out, size_t outlen);

/*
 * Exactly len bytes of padding on the wire, prefixes included, as zero
 * filled chunks of at most FRAME_PADDING_CHUNK_MAX bytes. Return len, or
 * -1 if outlen < len. len 0 writes nothing.
 */
ssize_t frame_encode_padding(size_t len, uint8_t *out, size_t outlen);

/*
 * Incremental reader for stream carriers. It holds at most one prefix
 * and copies at most pkt_max payload bytes, so a peer announcing a
 * 1 MiB chunk costs nothing until it sends it, and a chunk longer than
 * pkt_max is cut: the first pkt_max bytes are delivered with *truncated
 * set and the rest is discarded (as Snowflake's reader does).
 */
struct frame_reader {
	size_t pkt_max;
	uint8_t prefix[FRAME_PREFIX_MAX];
	size_t nprefix; /* prefix bytes held; 0 at a chunk boundary */
	int in_payload; /* prefix complete, reading payload */
	int is_data;
	size_t len;     /* payload length of the current chunk */
	size_t got;     /* payload bytes of it consumed so far */
	int failed;     /* a bad prefix was seen; every later feed fails */
};

#define FRAME_READER_MORE 0 /* all input consumed, no packet complete */
#define FRAME_READER_PKT 1  /* one data packet complete */

void frame_reader_init(struct frame_reader *r, size_t pkt_max);

/*
 * Consume bytes from p. *used is set to how many were consumed. Return
 * FRAME_READER_PKT as soon as a data packet is complete (it is in pkt,
 * *pktlen bytes, *truncated 0 or 1; bytes after it are left unconsumed),
 * FRAME_READER_MORE when all n bytes were consumed without completing
 * one, or -1 on a bad prefix (and on every later call: the stream has
 * lost its chunk boundaries).
 *
 * pkt must have room for pkt_max bytes and must be the same buffer on
 * every call until FRAME_READER_PKT is returned: a partial packet lives
 * there between calls. Padding is skipped.
 */
int frame_reader_feed(struct frame_reader *r, const uint8_t *p, size_t n, size_t *used,
    uint8_t *pkt, size_t *pktlen, int *truncated);

/* 1 when the reader sits between chunks, where EOF is clean. */
int frame_reader_idle(const struct frame_reader *r);

#endif
