/* SPDX-License-Identifier: MIT */
/*
 * First-bytes classification (see sniff.h). The prefixes are disjoint
 * in their first byte, so a single byte rules out all but one candidate
 * and the longest wait is the 12-byte PROXY v2 signature.
 */
#include "sniff.h"

#include <string.h>

#include "proto/proxyv2.h"
#include "proto/socks5.h"

const uint8_t sniff_turbo_token[SNIFF_TURBO_TOKEN_LEN] = {
	0x12, 0x93, 0x60, 0x5d, 0x27, 0x81, 0x75, 0xf5,
};
const uint8_t sniff_secure_token[SNIFF_TURBO_TOKEN_LEN] = {
	0xbb, 0x6f, 0x23, 0x68, 0x1b, 0x15, 0x0a, 0x1f,
};

enum sniff_kind
sniff_classify(const uint8_t *p, size_t n)
{
	size_t k;

	if (n == 0)
		return SNIFF_MORE;
	if (p[0] == SOCKS5_VERSION)
		return SNIFF_SOCKS5;
	if (p[0] == sniff_turbo_token[0] || p[0] == sniff_secure_token[0]) {
		k = n < SNIFF_TURBO_TOKEN_LEN ? n : SNIFF_TURBO_TOKEN_LEN;
		if (memcmp(p, sniff_turbo_token, k) != 0 && memcmp(p, sniff_secure_token, k) != 0)
			return SNIFF_UNKNOWN;
		return k == SNIFF_TURBO_TOKEN_LEN ? SNIFF_TURBO : SNIFF_MORE;
	}
	if (proxyv2_maybe(p, n))
		return n >= PROXYV2_SIG_LEN ? SNIFF_PROXYV2 : SNIFF_MORE;
	return SNIFF_UNKNOWN;
}

const char *
sniff_kind_str(enum sniff_kind k)
{
	switch (k) {
	case SNIFF_MORE:
		return "incomplete";
	case SNIFF_SOCKS5:
		return "socks5";
	case SNIFF_PROXYV2:
		return "proxy-v2";
	case SNIFF_TURBO:
		return "turbo-tunnel";
	default:
		return "unknown";
	}
}
