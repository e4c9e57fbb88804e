/* SPDX-License-Identifier: MIT */
/*
 * ChannelData and the stream splitter. Input: byte 0 bit 0 picks stream
 * (padded) or datagram framing; the rest is a stream of frames. The
 * splitter walks it; each ChannelData frame it delimits must decode to
 * the same length and re-encode to the same bytes (padding zeroed);
 * each STUN frame goes to the decoder. The one-shot ChannelData decoder
 * on the whole input must agree with the splitter on its first frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[TURN_CHANNELDATA_MAX];
	struct stun_msg m;
	const uint8_t *p, *d;
	uint16_t chan;
	size_t n, len;
	ssize_t k, r;
	int stream, kind;

	if (size < 1)
		return 0;
	stream = data[0] & 1;
	p = data + 1;
	n = size - 1;
	r = turn_channeldata_decode(p, n, stream, &chan, &d, &len);
	k = stun_frame_len(p, n, stream, &kind);
	if (r > 0 && (k != r || kind != STUN_FRAME_CHANNELDATA))
		abort();
	while ((k = stun_frame_len(p, n, stream, &kind)) > 0 && (size_t)k <= n) {
		if (kind == STUN_FRAME_CHANNELDATA) {
			if (turn_channeldata_decode(p, (size_t)k, stream, &chan, &d, &len) != k ||
			    d != p + TURN_CHANNELDATA_HEADER_LEN || len > (size_t)k - 4)
				abort();
			if (turn_channeldata_encode(out, sizeof(out), chan, d, len, stream) != k ||
			    memcmp(out, p, TURN_CHANNELDATA_HEADER_LEN + len) != 0)
				abort();
		} else if (kind == STUN_FRAME_STUN) {
			r = stun_decode(p, (size_t)k, &m);
			if (r != k && r != -1)
				abort();
		} else
			abort();
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
