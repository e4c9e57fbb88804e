/* SPDX-License-Identifier: MIT */
#include "proto/lanframe.h"

#include <string.h>

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

ssize_t
lanf_parse(const uint8_t *p, size_t n, struct lanf_rec *r)
{
	size_t need;

	if (n == 0)
		return 0;
	memset(r, 0, sizeof(*r));
	r->type = p[0];
	switch (p[0]) {
	case LANF_PAD:
		r->body = p + 1;
		r->len = n - 1;
		return (ssize_t)n;
	case LANF_ACK:
		return 1;
	case LANF_PROFILE:
		if (n < 2)
			return 0;
		r->profile = p[1];
		return 2;
	case LANF_PREAMBLE:
		if (n < 2)
			return 0;
		r->len = p[1];
		if (r->len == 0 || r->len > LANF_PREAMBLE_MAX)
			return -1;
		need = 2 + r->len;
		break;
	case LANF_PKT:
		if (n < LANF_PKT_HDR)
			return 0;
		r->len = get16(p + 1);
		if (r->len == 0 || r->len > LANF_PKT_MAX)
			return -1;
		need = LANF_PKT_HDR + r->len;
		break;
	case LANF_FRAG:
		if (n < LANF_FRAG_HDR)
			return 0;
		r->id = get16(p + 1);
		r->off = get16(p + 3);
		r->total = get16(p + 5);
		r->len = get16(p + 7);
		if (r->len == 0 || r->total > LANF_PKT_MAX || (size_t)r->off + r->len > r->total)
			return -1;
		need = LANF_FRAG_HDR + r->len;
		break;
	default:
		return -1;
	}
	if (n < need)
		return 0;
	r->body = p + need - r->len;
	return (ssize_t)need;
}

ssize_t
lanf_put_preamble(uint8_t *out, size_t cap, const uint8_t *p, size_t n)
{
	if (n == 0 || n > LANF_PREAMBLE_MAX || cap < 2 + n)
		return -1;
	out[0] = LANF_PREAMBLE;
	out[1] = (uint8_t)n;
	memcpy(out + 2, p, n);
	return (ssize_t)(2 + n);
}

ssize_t
lanf_put_ack(uint8_t *out, size_t cap)
{
	if (cap < 1)
		return -1;
	out[0] = LANF_ACK;
	return 1;
}

ssize_t
lanf_put_profile(uint8_t *out, size_t cap, uint8_t profile)
{
	if (cap < 2)
		return -1;
	out[0] = LANF_PROFILE;
	out[1] = profile;
	return 2;
}

ssize_t
lanf_put_pkt(uint8_t *out, size_t cap, const uint8_t *p, size_t n)
{
	if (n == 0 || n > LANF_PKT_MAX || cap < LANF_PKT_HDR + n)
		return -1;
	out[0] = LANF_PKT;
	put16(out + 1, n);
	memcpy(out + LANF_PKT_HDR, p, n);
	return (ssize_t)(LANF_PKT_HDR + n);
}

ssize_t
lanf_put_frag(uint8_t *out, size_t cap, uint16_t id, size_t off, size_t total, const uint8_t *p,
              size_t n)
{
	if (n == 0 || total > LANF_PKT_MAX || off + n > total || cap < LANF_FRAG_HDR + n)
		return -1;
	out[0] = LANF_FRAG;
	put16(out + 1, id);
	put16(out + 3, off);
	put16(out + 5, total);
	put16(out + 7, n);
	memcpy(out + LANF_FRAG_HDR, p, n);
	return (ssize_t)(LANF_FRAG_HDR + n);
}

ssize_t
lanf_put_pad(uint8_t *out, size_t cap)
{
	if (cap == 0)
		return 0;
	out[0] = LANF_PAD;
	memset(out + 1, 0, cap - 1);
	return (ssize_t)cap;
}

void
lanf_reasm_init(struct lanf_reasm *ra)
{
	ra->active = 0;
	ra->id = 0;
	ra->total = ra->have = 0;
	ra->dropped = 0;
}

int
lanf_reasm_add(struct lanf_reasm *ra, const struct lanf_rec *r, const uint8_t **pkt, size_t *len)
{
	if (r->type != LANF_FRAG || r->len == 0 || (size_t)r->off + r->len > r->total ||
	    r->total > LANF_PKT_MAX)
		return 0;
	if (r->off == 0) {
		if (ra->active)
			ra->dropped++; /* the previous packet lost its tail */
		ra->active = 1;
		ra->id = r->id;
		ra->total = r->total;
		ra->have = 0;
	} else if (!ra->active || r->id != ra->id || r->off != ra->have || r->total != ra->total) {
		if (ra->active)
			ra->dropped++;
		ra->active = 0;
		return 0;
	}
	memcpy(ra->buf + ra->have, r->body, r->len);
	ra->have += r->len;
	if (ra->have < ra->total)
		return 0;
	ra->active = 0;
	*pkt = ra->buf;
	*len = ra->total;
	return 1;
}
