/* SPDX-License-Identifier: MIT */
/*
 * The send queue of a call and the filling of RTP payloads with records
 * (lanframe.h): what is owed first (preamble and profile until
 * acknowledged, ACKs), then whole packets, then a fragment of the next
 * one when it does not fit, then padding.
 */
#include <stdlib.h>
#include <string.h>

#include "call/call_int.h"

#define FRAG_MIN 16 /* do not start a fragment with less room than this */

int
queue_init(struct call *c, size_t bytes)
{
	if (bytes == 0)
		bytes = c->cfg.profile == CALL_PROFILE_OPUS && !c->cfg.camera ? CALL_QUEUE_OPUS
		                                                             : CALL_QUEUE_DEFAULT;
	if (bytes < CALL_PKT_MAX + 2)
		bytes = CALL_PKT_MAX + 2;
	c->q = malloc(bytes);
	if (!c->q)
		return -1;
	c->qcap = bytes;
	c->qstart = c->qend = c->qoff = 0;
	return 0;
}

void
queue_free(struct call *c)
{
	free(c->q);
	c->q = NULL;
}

size_t
queue_used(const struct call *c)
{
	return c->qend - c->qstart;
}

size_t
queue_pending(const struct call *c)
{
	return queue_used(c) - c->qoff;
}

size_t
queue_room(const struct call *c)
{
	size_t free_ = c->qcap - queue_used(c);

	return free_ > 2 ? free_ - 2 : 0;
}

int
queue_put(struct call *c, const uint8_t *p, size_t n)
{
	if (queue_room(c) < n)
		return -1;
	if (c->qcap - c->qend < n + 2) { /* compact */
		memmove(c->q, c->q + c->qstart, c->qend - c->qstart);
		c->qend -= c->qstart;
		c->qstart = 0;
	}
	c->q[c->qend] = (uint8_t)(n >> 8);
	c->q[c->qend + 1] = (uint8_t)n;
	memcpy(c->q + c->qend + 2, p, n);
	c->qend += n + 2;
	return 0;
}

int
queue_owes(const struct call *c)
{
	if (c->cfg.role == CALL_CLIENT)
		return c->npre && !c->pre_acked;
	return c->ack_owed > 0;
}

size_t
queue_fill(struct call *c, uint8_t *out, size_t cap, int pad)
{
	size_t off = 0;
	ssize_t k;

	if (c->cfg.role == CALL_CLIENT && c->npre && !c->pre_acked && cap >= 4 + c->npre) {
		k = lanf_put_profile(out, cap, (uint8_t)(c->cfg.profile | (c->cfg.camera ? 0x10 : 0)));
		off += (size_t)k;
		k = lanf_put_preamble(out + off, cap - off, c->pre, c->npre);
		off += (size_t)k;
	}
	if (c->cfg.role == CALL_SERVER && c->ack_owed > 0 && off < cap) {
		off += (size_t)lanf_put_ack(out + off, cap - off);
		c->ack_owed--;
	}
	/* Data only once the server has the preamble (the client sends them together). */
	while (c->qstart < c->qend && cap - off > FRAG_MIN) {
		const uint8_t *h = c->q + c->qstart;
		size_t len = ((size_t)h[0] << 8) | h[1], rem = len - c->qoff, n;

		if (c->qoff == 0 && LANF_PKT_HDR + len <= cap - off) {
			off += (size_t)lanf_put_pkt(out + off, cap - off, h + 2, len);
			c->qstart += 2 + len;
			continue;
		}
		n = cap - off - LANF_FRAG_HDR;
		if (n > rem)
			n = rem;
		off += (size_t)lanf_put_frag(out + off, cap - off, c->frag_id, c->qoff, len,
		                             h + 2 + c->qoff, n);
		c->qoff += n;
		if (c->qoff == len) {
			c->qstart += 2 + len;
			c->qoff = 0;
			c->frag_id++;
		}
	}
	if (c->qstart == c->qend)
		c->qstart = c->qend = 0;
	if (pad && off < cap)
		off += (size_t)lanf_put_pad(out + off, cap - off);
	return off;
}

int
queue_maybe_writable(struct call *c)
{
	if (!c->want_writable || c->zombie || c->failed || queue_room(c) < CALL_PKT_MAX)
		return 0;
	c->want_writable = 0;
	if (c->cbs.writable)
		c->cbs.writable(c->arg);
	return c->zombie;
}
