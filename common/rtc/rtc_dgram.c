/* SPDX-License-Identifier: MIT */
/* DTLS record boundaries in a received buffer (rtc_dgram.h). */
#include "rtc/rtc_dgram.h"

#define DTLS12_HDR 13

ssize_t
rtc_dtls_record(const uint8_t *p, size_t n)
{
	size_t hl, len;

	if (n == 0)
		return 0;
	if (p[0] >= 20 && p[0] <= 25) {
		/* type, version (0xfe 0xff or 0xfe 0xfd), epoch, 48-bit sequence, length */
		if (n >= 2 && p[1] != 0xfe)
			return -1;
		if (n < DTLS12_HDR)
			return 0;
		len = DTLS12_HDR + ((size_t)p[11] << 8 | p[12]);
	} else if ((p[0] & 0xe0) == 0x20) {
		/* 001CSLEE: no connection IDs here; S: 16-bit sequence; L: length present */
		if ((p[0] & 0x10) || !(p[0] & 0x04))
			return -1;
		hl = 1 + ((p[0] & 0x08) ? 2 : 1);
		if (n < hl + 2)
			return 0;
		len = hl + 2 + ((size_t)p[hl] << 8 | p[hl + 1]);
	} else {
		return -1;
	}
	return n < len ? 0 : (ssize_t)len;
}
