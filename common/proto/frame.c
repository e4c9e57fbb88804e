/* SPDX-License-Identifier: MIT */
/*
 * Turbo Tunnel encapsulation codec (see frame.h). The one-shot decoders
 * work on a buffer that holds whole chunks; the reader works on a byte
 * stream and never holds more than one prefix plus the caller's packet.
 * Every length fits in 20 bits by construction, so no arithmetic here
 * can overflow.
 */
#include "proto/frame.h"

#include <limits.h>
#include <string.h>

#define FRAME_DATA 0x80
#define FRAME_MORE 0x40 /* first byte: another prefix byte follows */
#define FRAME_CONT 0x80 /* later bytes: another prefix byte follows */

ssize_t
frame_decode_prefix(const uint8_t *p, size_t n, int *is_data, size_t *len)
{
	size_t i, l;

	if (n == 0)
		return 0;
	l = p[0] & 0x3f;
	if (!(p[0] & FRAME_MORE)) {
		*is_data = !!(p[0] & FRAME_DATA);
		*len = l;
		return 1;
	}
	for (i = 1; i < FRAME_PREFIX_MAX; i++) {
		if (i >= n)
			return 0;
		l = (l << 7) | (p[i] & 0x7f);
		if (!(p[i] & FRAME_CONT)) {
			*is_data = !!(p[0] & FRAME_DATA);
			*len = l;
			return (ssize_t)i + 1;
		}
	}
	/* The 3rd byte asks for a 4th: refuse now rather than wait for it. */
	return -1;
}

ssize_t
frame_decode(const uint8_t *p, size_t n, int *is_data, const uint8_t **payload, size_t *len)
{
	ssize_t k;
	size_t l;
	int d;

	k = frame_decode_prefix(p, n, &d, &l);
	if (k <= 0)
		return k;
	if (l > n - (size_t)k)
		return 0;
	*is_data = d;
	*payload = p + k;
	*len = l;
	return k + (ssize_t)l;
}

ssize_t
frame_encode_prefix(int is_data, size_t len, uint8_t *out, size_t outlen)
{
	uint8_t d = is_data ? FRAME_DATA : 0;

	if (len > FRAME_LEN_MAX)
		return -1;
	if (len <= 0x3f) {
		if (outlen < 1)
			return -1;
		out[0] = d | (uint8_t)len;
		return 1;
	}
	if (len <= 0x1fff) {
		if (outlen < 2)
			return -1;
		out[0] = d | FRAME_MORE | (uint8_t)(len >> 7);
		out[1] = (uint8_t)(len & 0x7f);
		return 2;
	}
	if (outlen < 3)
		return -1;
	out[0] = d | FRAME_MORE | (uint8_t)(len >> 14);
	out[1] = FRAME_CONT | (uint8_t)((len >> 7) & 0x7f);
	out[2] = (uint8_t)(len & 0x7f);
	return 3;
}

ssize_t
frame_encode_data(const uint8_t *pkt, size_t len, uint8_t *out, size_t outlen)
{
	ssize_t k;

	k = frame_encode_prefix(1, len, out, outlen);
	if (k < 0 || len > outlen - (size_t)k)
		return -1;
	if (len > 0)
		memcpy(out + k, pkt, len);
	return k + (ssize_t)len;
}

ssize_t
frame_encode_padding(size_t len, uint8_t *out, size_t outlen)
{
	size_t done = 0;

	if (len > outlen || len > SSIZE_MAX)
		return -1;
	while (done < len) {
		size_t c = len - done, k;

		if (c > FRAME_PADDING_CHUNK_MAX)
			c = FRAME_PADDING_CHUNK_MAX;
		/*
		 * A chunk of c bytes on the wire: a 1-byte prefix carries up
		 * to 63 bytes, so 64 in total; beyond that a 2-byte prefix,
		 * written by hand because for c = 65 it is non-minimal (63
		 * bytes of padding), which readers must accept. So every
		 * len is hit exactly.
		 */
		if (c <= 1 + 0x3f) {
			k = 1;
			out[done] = (uint8_t)(c - 1);
		} else {
			k = 2;
			out[done] = FRAME_MORE | (uint8_t)((c - 2) >> 7);
			out[done + 1] = (uint8_t)((c - 2) & 0x7f);
		}
		memset(out + done + k, 0, c - k);
		done += c;
	}
	return (ssize_t)len;
}

void
frame_reader_init(struct frame_reader *r, size_t pkt_max)
{
	memset(r, 0, sizeof(*r));
	r->pkt_max = pkt_max;
}

int
frame_reader_idle(const struct frame_reader *r)
{
	return r->nprefix == 0 && !r->in_payload && !r->failed;
}

static void
frame_reader_next(struct frame_reader *r)
{
	r->nprefix = 0;
	r->in_payload = 0;
	r->len = r->got = 0;
}

int
frame_reader_feed(struct frame_reader *r, const uint8_t *p, size_t n, size_t *used,
    uint8_t *pkt, size_t *pktlen, int *truncated)
{
	size_t i = 0;

	/* Sticky: after a bad prefix the stream has no chunk boundary left. */
	if (r->failed) {
		*used = 0;
		return -1;
	}
	while (i < n) {
		if (!r->in_payload) {
			ssize_t k;

			/* Prefix bytes one at a time: it is at most 3. */
			r->prefix[r->nprefix++] = p[i++];
			k = frame_decode_prefix(r->prefix, r->nprefix, &r->is_data, &r->len);
			if (k < 0) {
				r->failed = 1;
				*used = i;
				return -1;
			}
			if (k == 0)
				continue;
			r->in_payload = 1;
			r->got = 0;
		} else {
			size_t want = r->len - r->got, take = n - i;

			if (take > want)
				take = want;
			if (r->is_data && r->got < r->pkt_max) {
				size_t c = r->pkt_max - r->got;

				if (c > take)
					c = take;
				memcpy(pkt + r->got, p + i, c);
			}
			r->got += take;
			i += take;
		}
		if (r->in_payload && r->got == r->len) {
			int data = r->is_data;
			size_t len = r->len;

			frame_reader_next(r);
			if (data) {
				*pktlen = len < r->pkt_max ? len : r->pkt_max;
				*truncated = len > r->pkt_max;
				*used = i;
				return FRAME_READER_PKT;
			}
		}
	}
	*used = i;
	return FRAME_READER_MORE;
}
