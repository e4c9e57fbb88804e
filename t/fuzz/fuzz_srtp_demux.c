/* SPDX-License-Identifier: MIT */
/*
 * The receive path of a lanturn call after DTLS: first-byte demux (RFC
 * 7983), then SRTP/SRTCP and the RTP/RTCP parsers. The input is tried
 * twice: as it is (almost always refused by SRTP's authentication), and
 * as the plaintext of a packet the peer protected with the same keys, so
 * the parsers behind authentication see fuzzed bytes too. Inputs of odd
 * length go through AEAD_AES_128_GCM, even ones AES_CM_128_HMAC_SHA1_80.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/lanframe.h"
#include "proto/rtp.h"
#include "srtp/srtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct srtpc *tx, *rx, *txs[2], *rxs[2];

static void
receive(uint8_t *b, size_t n)
{
	struct rtp_hdr h;
	struct rtcp_sr sr;
	struct lanf_rec r;
	size_t pl;
	ssize_t k, hl;
	uint8_t pt;
	uint32_t ssrc;

	switch (demux_classify(b, n)) {
	case DEMUX_RTP:
		if ((k = srtpc_unprotect(rx, b, n)) < 0)
			return;
		if ((hl = rtp_parse(b, (size_t)k, &h, &pl)) <= 0)
			return;
		if ((size_t)hl + pl > (size_t)k)
			abort();
		while (pl > 0 && (k = lanf_parse(b + hl, pl, &r)) > 0) {
			hl += k;
			pl -= (size_t)k;
		}
		break;
	case DEMUX_RTCP:
		if ((k = srtpc_unprotect_rtcp(rx, b, n)) < 0)
			return;
		if (rtcp_parse(b, (size_t)k, &pt, &ssrc, &sr) > k)
			abort();
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t b[4096 + SRTPC_ROOM];
	ssize_t k;

	if (!txs[0]) {
		static const uint16_t prof[2] = { SRTPC_PROFILE, SRTPC_PROFILE_GCM };
		uint8_t km[SRTPC_KEYMAT_LEN];
		char err[128];

		memset(km, 0x5c, sizeof(km));
		for (int i = 0; i < 2; i++) {
			txs[i] = srtpc_new_profile(prof[i], km, 1, err, sizeof(err));
			rxs[i] = srtpc_new_profile(prof[i], km, 0, err, sizeof(err));
			if (!txs[i] || !rxs[i])
				abort();
		}
	}
	tx = txs[size & 1];
	rx = rxs[size & 1];
	if (size > 4096)
		return 0;
	memcpy(b, data, size);
	receive(b, size);
	memcpy(b, data, size);
	if (size >= RTP_HDR_LEN && demux_classify(b, size) == DEMUX_RTP && (b[0] >> 6) == 2) {
		if ((k = srtpc_protect(tx, b, size, sizeof(b))) > 0)
			receive(b, (size_t)k);
	} else if (size >= 8 && demux_classify(b, size) == DEMUX_RTCP && (b[0] >> 6) == 2) {
		if ((k = srtpc_protect_rtcp(tx, b, size, sizeof(b))) > 0)
			receive(b, (size_t)k);
	}
	return 0;
}
