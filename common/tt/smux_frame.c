/* SPDX-License-Identifier: MIT */
/*
 * smux frame header codec (see smux.h): pure, no allocation. Shared by
 * the session engine, the Check suite and the fuzzer.
 */
#include "tt/smux.h"

#include "tt/smux_impl.h"

ssize_t
smux_hdr_decode(const uint8_t *p, size_t n, struct smux_hdr *h)
{
	uint16_t len;

	if (n >= 1 && p[0] != SMUX_VERSION)
		return -1;
	if (n >= 2 && p[1] > SMUX_CMD_UPD)
		return -1;
	if (n < SMUX_HDR_LEN)
		return 0;
	len = (uint16_t)(p[2] | p[3] << 8);
	/*
	 * Go reads no payload for SYN/FIN/NOP and exactly 8 bytes for UPD,
	 * whatever the length says, so any other length would desynchronise
	 * a Go peer; Go never sends one. Refuse it.
	 */
	switch (p[1]) {
	case SMUX_CMD_SYN:
	case SMUX_CMD_FIN:
	case SMUX_CMD_NOP:
		if (len != 0)
			return -1;
		break;
	case SMUX_CMD_UPD:
		if (len != SMUX_UPD_LEN)
			return -1;
		break;
	}
	h->ver = p[0];
	h->cmd = p[1];
	h->len = len;
	h->sid = get32(p + 4);
	return SMUX_HDR_LEN;
}

void
smux_hdr_encode(uint8_t out[SMUX_HDR_LEN], const struct smux_hdr *h)
{
	out[0] = h->ver;
	out[1] = h->cmd;
	put16(out + 2, h->len);
	put32(out + 4, h->sid);
}

ssize_t
smux_frame_decode(const uint8_t *p, size_t n, struct smux_hdr *h, const uint8_t **payload)
{
	struct smux_hdr t;
	ssize_t k = smux_hdr_decode(p, n, &t);

	if (k <= 0)
		return k;
	if (t.len > n - SMUX_HDR_LEN)
		return 0;
	*h = t;
	*payload = p + SMUX_HDR_LEN;
	return SMUX_HDR_LEN + (ssize_t)t.len;
}
