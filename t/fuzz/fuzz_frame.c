/* SPDX-License-Identifier: MIT */
/*
 * Encapsulation codec. Input: byte 0 picks the reader's packet size and
 * how the stream is cut into pieces; the rest is the stream. Checks that
 * the one-shot decoder and the incremental reader agree packet for
 * packet, error for error, whatever the cut; and that every decoded
 * chunk re-encodes minimally to something that decodes the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PKT_CAP 4096

static void
check_reencode(int is_data, const uint8_t *pay, size_t len, size_t chunk)
{
	static uint8_t out[FRAME_LEN_MAX + FRAME_PREFIX_MAX];
	const uint8_t *p2;
	size_t l2;
	ssize_t k;
	int d2;

	if (is_data) {
		k = frame_encode_data(pay, len, out, sizeof(out));
		if (k < 0 || (size_t)k > chunk)
			abort(); /* minimal can only be shorter */
		if (frame_decode(out, (size_t)k, &d2, &p2, &l2) != k || !d2 || l2 != len ||
		    (len > 0 && memcmp(p2, pay, len) != 0))
			abort();
	} else {
		size_t off = 0;

		if (frame_encode_padding(chunk, out, sizeof(out)) != (ssize_t)chunk)
			abort();
		while (off < chunk) {
			k = frame_decode(out + off, chunk - off, &d2, &p2, &l2);
			if (k <= 0 || d2 || k > FRAME_PADDING_CHUNK_MAX)
				abort();
			off += (size_t)k;
		}
		if (off != chunk)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[PKT_CAP];
	struct frame_reader r;
	size_t pkt_max, off = 0, roff = 0, npkt = 0, rpkt = 0;
	unsigned seed;
	int oneshot_err = 0, reader_err = 0;

	if (size < 1)
		return 0;
	pkt_max = (size_t)data[0] * 16;
	seed = data[0];
	data++;
	size--;

	frame_reader_init(&r, pkt_max);
	for (;;) {
		const uint8_t *pay;
		size_t len, plen = 0, want;
		int d, tr = 0, got_pkt = 0;
		ssize_t k = frame_decode(data + off, size - off, &d, &pay, &len);

		if (k < 0) {
			oneshot_err = 1;
			break;
		}
		if (k == 0)
			break;
		check_reencode(d, pay, len, (size_t)k);
		off += (size_t)k;
		if (!d)
			continue;
		npkt++;
		/* Let the reader catch up to this packet, in uneven pieces. */
		while (!got_pkt) {
			size_t n, used;
			int rc;

			seed = seed * 1103515245 + 12345;
			n = 1 + (seed >> 16) % 300;
			if (n > size - roff)
				n = size - roff;
			if (n == 0)
				abort(); /* the one-shot found a packet the reader did not */
			rc = frame_reader_feed(&r, data + roff, n, &used, pkt, &plen, &tr);
			if (rc < 0 || used > n)
				abort();
			roff += used;
			if (rc == FRAME_READER_PKT)
				got_pkt = 1, rpkt++;
			else if (used != n)
				abort();
		}
		if (roff != off)
			abort();
		want = len < pkt_max ? len : pkt_max;
		if (plen != want || tr != (len > pkt_max) ||
		    (want > 0 && memcmp(pkt, pay, want) != 0))
			abort();
	}
	/* The rest: the reader must end the same way, with no extra packet. */
	while (roff < size) {
		size_t used, plen;
		int tr, rc;

		rc = frame_reader_feed(&r, data + roff, size - roff, &used, pkt, &plen, &tr);
		if (rc < 0) {
			reader_err = 1;
			break;
		}
		if (rc == FRAME_READER_PKT)
			abort();
		roff += used;
	}
	if (reader_err != oneshot_err || rpkt != npkt)
		abort();
	/* Clean EOF exactly when the one-shot decoder consumed everything. */
	if (!oneshot_err && frame_reader_idle(&r) != (off == size))
		abort();
	return 0;
}
