/* SPDX-License-Identifier: MIT */
/*
 * lanturn record framing. The input is one RTP payload: parse records
 * to the end as the call does; every record re-encodes to the same
 * bytes; every fragment goes through the reassembler, and a completed
 * packet has exactly the length its fragments declared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/lanframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lanf_reasm ra;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[LANF_PKT_MAX + 16];
	struct lanf_rec r;
	const uint8_t *pkt;
	size_t len, off = 0;
	ssize_t k, w;

	lanf_reasm_init(&ra);
	while (off < size) {
		k = lanf_parse(data + off, size - off, &r);
		if (k <= 0)
			break;
		if ((size_t)k > size - off)
			abort();
		switch (r.type) {
		case LANF_PREAMBLE:
			w = lanf_put_preamble(out, sizeof(out), r.body, r.len);
			break;
		case LANF_ACK:
			w = lanf_put_ack(out, sizeof(out));
			break;
		case LANF_PROFILE:
			w = lanf_put_profile(out, sizeof(out), r.profile);
			break;
		case LANF_PKT:
			w = lanf_put_pkt(out, sizeof(out), r.body, r.len);
			break;
		case LANF_FRAG:
			w = lanf_put_frag(out, sizeof(out), r.id, r.off, r.total, r.body, r.len);
			if (lanf_reasm_add(&ra, &r, &pkt, &len) && (len != r.total || len > LANF_PKT_MAX))
				abort();
			break;
		case LANF_PAD: /* the rest, whatever it holds */
			if ((size_t)k != size - off)
				abort();
			off = size;
			continue;
		default:
			abort();
		}
		if (w != k || memcmp(out, data + off, (size_t)k) != 0)
			abort();
		off += (size_t)k;
	}
	return 0;
}
