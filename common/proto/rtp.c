/* SPDX-License-Identifier: MIT */
#include "proto/rtp.h"

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t
rtp_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void
rtp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

ssize_t
rtp_build(const struct rtp_hdr *h, uint8_t *out, size_t cap)
{
	if (cap < RTP_HDR_LEN || h->pt > 127)
		return -1;
	out[0] = 0x80;
	out[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	out[2] = (uint8_t)(h->seq >> 8);
	out[3] = (uint8_t)h->seq;
	rtp_put32(out + 4, h->ts);
	rtp_put32(out + 8, h->ssrc);
	return RTP_HDR_LEN;
}

ssize_t
rtp_parse(const uint8_t *p, size_t n, struct rtp_hdr *h, size_t *paylen)
{
	size_t hl, pad = 0;

	if (n < RTP_HDR_LEN)
		return 0;
	if ((p[0] >> 6) != 2)
		return -1;
	hl = RTP_HDR_LEN + 4u * (p[0] & 0x0f);
	if (hl > n)
		return -1;
	if (p[0] & 0x10) { /* extension: profile (2), length in words (2), words */
		if (hl + 4 > n)
			return -1;
		hl += 4 + 4u * get16(p + hl + 2);
		if (hl > n)
			return -1;
	}
	if (p[0] & 0x20) {
		pad = p[n - 1];
		if (pad == 0 || pad > n - hl)
			return -1;
	}
	h->marker = (uint8_t)(p[1] >> 7);
	h->pt = p[1] & 0x7f;
	h->seq = get16(p + 2);
	h->ts = rtp_get32(p + 4);
	h->ssrc = rtp_get32(p + 8);
	*paylen = n - hl - pad;
	return (ssize_t)hl;
}

ssize_t
rtcp_sr_build(const struct rtcp_sr *sr, uint8_t *out, size_t cap)
{
	if (cap < RTCP_SR_LEN)
		return -1;
	out[0] = 0x80; /* V=2, P=0, RC=0 */
	out[1] = RTCP_PT_SR;
	out[2] = 0;
	out[3] = RTCP_SR_LEN / 4 - 1;
	rtp_put32(out + 4, sr->ssrc);
	rtp_put32(out + 8, (uint32_t)(sr->ntp >> 32));
	rtp_put32(out + 12, (uint32_t)sr->ntp);
	rtp_put32(out + 16, sr->rtp_ts);
	rtp_put32(out + 20, sr->packets);
	rtp_put32(out + 24, sr->octets);
	return RTCP_SR_LEN;
}

ssize_t
rtcp_parse(const uint8_t *p, size_t n, uint8_t *pt, uint32_t *ssrc, struct rtcp_sr *sr)
{
	size_t len;

	if (n < 8)
		return 0;
	if ((p[0] >> 6) != 2)
		return -1;
	len = 4u * ((size_t)get16(p + 2) + 1);
	if (len > n)
		return -1;
	*pt = p[1];
	*ssrc = rtp_get32(p + 4);
	if (sr && p[1] == RTCP_PT_SR) {
		if (len < RTCP_SR_LEN)
			return -1;
		sr->ssrc = *ssrc;
		sr->ntp = ((uint64_t)rtp_get32(p + 8) << 32) | rtp_get32(p + 12);
		sr->rtp_ts = rtp_get32(p + 16);
		sr->packets = rtp_get32(p + 20);
		sr->octets = rtp_get32(p + 24);
	}
	return (ssize_t)len;
}

enum demux_kind
demux_classify(const uint8_t *p, size_t n)
{
	uint8_t b;

	if (n == 0)
		return DEMUX_NONE;
	b = p[0];
	if (b <= 3)
		return DEMUX_STUN;
	if (b >= 20 && b <= 63)
		return DEMUX_DTLS;
	if (b >= 64 && b <= 79)
		return DEMUX_CHANNEL;
	if (b >= 128 && b <= 191) {
		if (n >= 2 && p[1] >= 192 && p[1] <= 223)
			return DEMUX_RTCP;
		return DEMUX_RTP;
	}
	return DEMUX_NONE;
}

const char *
demux_name(enum demux_kind k)
{
	switch (k) {
	case DEMUX_STUN: return "stun";
	case DEMUX_DTLS: return "dtls";
	case DEMUX_CHANNEL: return "channel";
	case DEMUX_RTP: return "rtp";
	case DEMUX_RTCP: return "rtcp";
	default: return "none";
	}
}
