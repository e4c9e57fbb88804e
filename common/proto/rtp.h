/* SPDX-License-Identifier: MIT */
/*
 * RTP and RTCP headers (RFC 3550) as lanturn sends them, and the
 * first-byte demultiplexing of RFC 7983 for a 5-tuple that carries STUN,
 * DTLS, TURN channel data and SRTP/SRTCP at once.
 *
 * rtp_parse accepts what RFC 3550 allows (CSRCs, a header extension,
 * padding) so a peer's packets need not be ours; rtp_build writes the
 * fixed 12-byte header only (V=2, no padding, no extension, no CSRC).
 * RTCP: the sender report (PT 200) without report blocks, and a parser
 * of the common header of the first packet of a compound packet. Pure:
 * no I/O, no allocation.
 */
#ifndef PW_RTP_H
#define PW_RTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RTP_HDR_LEN 12
#define RTCP_SR_LEN 28   /* header 8 + sender info 20, no report blocks */
#define RTCP_PT_SR 200

struct rtp_hdr {
	uint8_t pt;       /* 0..127 */
	uint8_t marker;   /* 0 or 1 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
};

/* Big-endian 32-bit fields, for RTCP packets built elsewhere (call/pace.c). */
uint32_t rtp_get32(const uint8_t *p);
void rtp_put32(uint8_t *p, uint32_t v);

/* The 12-byte header into out: 12, or -1 when cap < 12 or pt > 127. */
ssize_t rtp_build(const struct rtp_hdr *h, uint8_t *out, size_t cap);
/*
 * Parse a whole RTP packet of n bytes: the header length (12 + CSRCs +
 * extension) with h filled and *paylen the payload length (padding
 * removed), 0 when n < 12, -1 when malformed (version, lengths).
 */
ssize_t rtp_parse(const uint8_t *p, size_t n, struct rtp_hdr *h, size_t *paylen);

struct rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;      /* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

/* A sender report with no report blocks: RTCP_SR_LEN, or -1 when cap is short. */
ssize_t rtcp_sr_build(const struct rtcp_sr *sr, uint8_t *out, size_t cap);
/*
 * The first RTCP packet of p: its length with *pt and *ssrc set (and sr
 * filled when not NULL and it is a sender report), 0 when n < 8, -1
 * when malformed (version, length beyond n).
 */
ssize_t rtcp_parse(const uint8_t *p, size_t n, uint8_t *pt, uint32_t *ssrc, struct rtcp_sr *sr);

enum demux_kind {
	DEMUX_NONE,    /* none of the below: drop */
	DEMUX_STUN,    /* 0..3 */
	DEMUX_DTLS,    /* 20..63 */
	DEMUX_CHANNEL, /* 64..79: TURN ChannelData */
	DEMUX_RTP,     /* 128..191 with a second byte outside 192..223 */
	DEMUX_RTCP,    /* 128..191 with a second byte in 192..223 (RFC 5761) */
};

/* RFC 7983 by the first byte (and the second for RTP/RTCP); n 0 is DEMUX_NONE. */
enum demux_kind demux_classify(const uint8_t *p, size_t n);
const char *demux_name(enum demux_kind k);

#endif
