/* SPDX-License-Identifier: MIT */
/*
 * PROXY protocol v2 codec (see proxyv2.h). The length field is checked
 * against PROXYV2_HEADER_MAX as soon as the fixed part has arrived, so a
 * peer cannot make a trusted listener wait for 64 KiB it will never
 * accept. Only the seven family/protocol bytes the specification lists
 * are valid; each has a fixed minimum address block.
 */
#include "proto/proxyv2.h"

#include <netinet/in.h>
#include <string.h>

static const uint8_t proxyv2_sig[PROXYV2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

#define PROXYV2_VERSION 0x20
#define PROXYV2_CMD_LOCAL 0x00
#define PROXYV2_CMD_PROXY 0x01

#define PROXYV2_FAM_UNSPEC 0x00
#define PROXYV2_FAM_TCP4 0x11
#define PROXYV2_FAM_UDP4 0x12
#define PROXYV2_FAM_TCP6 0x21
#define PROXYV2_FAM_UDP6 0x22
#define PROXYV2_FAM_UNIX_STREAM 0x31
#define PROXYV2_FAM_UNIX_DGRAM 0x32

/* Address block size for a family/protocol byte, or -1 if unknown. */
static int
proxyv2_addrlen(uint8_t fam)
{
	switch (fam) {
	case PROXYV2_FAM_UNSPEC:
		return 0;
	case PROXYV2_FAM_TCP4:
	case PROXYV2_FAM_UDP4:
		return 4 + 4 + 2 + 2;
	case PROXYV2_FAM_TCP6:
	case PROXYV2_FAM_UDP6:
		return 16 + 16 + 2 + 2;
	case PROXYV2_FAM_UNIX_STREAM:
	case PROXYV2_FAM_UNIX_DGRAM:
		return 108 + 108;
	default:
		return -1;
	}
}

int
proxyv2_maybe(const uint8_t *p, size_t n)
{
	if (n > PROXYV2_SIG_LEN)
		n = PROXYV2_SIG_LEN;
	return n == 0 || memcmp(p, proxyv2_sig, n) == 0;
}

ssize_t
proxyv2_decode(const uint8_t *p, size_t n, struct proxyv2 *h)
{
	size_t len;
	int alen;

	if (!proxyv2_maybe(p, n))
		return -1;
	if (n < PROXYV2_SIG_LEN + 1)
		return 0;
	if ((p[12] & 0xf0) != PROXYV2_VERSION)
		return -1;
	if ((p[12] & 0x0f) != PROXYV2_CMD_LOCAL && (p[12] & 0x0f) != PROXYV2_CMD_PROXY)
		return -1;
	if (n < PROXYV2_SIG_LEN + 2)
		return 0;
	/*
	 * The family byte is validated even for LOCAL, where its value is
	 * ignored: a byte the specification forbids means a broken sender.
	 */
	alen = proxyv2_addrlen(p[13]);
	if (alen < 0)
		return -1;
	if (n < PROXYV2_FIXED_LEN)
		return 0;
	len = (size_t)p[14] << 8 | p[15];
	if (len > PROXYV2_HEADER_MAX - PROXYV2_FIXED_LEN)
		return -1;
	/* LOCAL ignores the address block, so only PROXY needs it whole. */
	if ((p[12] & 0x0f) == PROXYV2_CMD_PROXY && len < (size_t)alen)
		return -1;
	if (n < PROXYV2_FIXED_LEN + len)
		return 0;

	memset(h, 0, sizeof(*h));
	h->family = AF_UNSPEC;
	if ((p[12] & 0x0f) == PROXYV2_CMD_LOCAL) {
		h->local = 1;
	} else if (p[13] == PROXYV2_FAM_TCP4) {
		const uint8_t *a = p + PROXYV2_FIXED_LEN;
		struct sockaddr_in *s = (struct sockaddr_in *)&h->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&h->dst;

		h->family = AF_INET;
		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
		memcpy(&d->sin_addr, a + 4, 4);
		memcpy(&s->sin_port, a + 8, 2);
		memcpy(&d->sin_port, a + 10, 2);
	} else if (p[13] == PROXYV2_FAM_TCP6) {
		const uint8_t *a = p + PROXYV2_FIXED_LEN;
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&h->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&h->dst;

		h->family = AF_INET6;
		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
		memcpy(&d->sin6_addr, a + 16, 16);
		memcpy(&s->sin6_port, a + 32, 2);
		memcpy(&d->sin6_port, a + 34, 2);
	}
	return (ssize_t)(PROXYV2_FIXED_LEN + len);
}

ssize_t
proxyv2_encode(const struct proxyv2 *h, uint8_t *out, size_t outlen)
{
	uint8_t cmd = PROXYV2_CMD_PROXY, fam = PROXYV2_FAM_UNSPEC;
	size_t alen = 0;

	if (h->local)
		cmd = PROXYV2_CMD_LOCAL;
	else if (h->family == AF_INET) {
		fam = PROXYV2_FAM_TCP4;
		alen = 12;
	} else if (h->family == AF_INET6) {
		fam = PROXYV2_FAM_TCP6;
		alen = 36;
	} else if (h->family != AF_UNSPEC)
		return -1;
	if (alen > 0 && (h->src.ss_family != h->family || h->dst.ss_family != h->family))
		return -1;
	if (outlen < PROXYV2_FIXED_LEN + alen)
		return -1;

	memcpy(out, proxyv2_sig, PROXYV2_SIG_LEN);
	out[12] = PROXYV2_VERSION | cmd;
	out[13] = fam;
	out[14] = 0;
	out[15] = (uint8_t)alen;
	if (fam == PROXYV2_FAM_TCP4) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&h->src;
		const struct sockaddr_in *d = (const struct sockaddr_in *)&h->dst;
		uint8_t *a = out + PROXYV2_FIXED_LEN;

		memcpy(a, &s->sin_addr, 4);
		memcpy(a + 4, &d->sin_addr, 4);
		memcpy(a + 8, &s->sin_port, 2);
		memcpy(a + 10, &d->sin_port, 2);
	} else if (fam == PROXYV2_FAM_TCP6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&h->src;
		const struct sockaddr_in6 *d = (const struct sockaddr_in6 *)&h->dst;
		uint8_t *a = out + PROXYV2_FIXED_LEN;

		memcpy(a, &s->sin6_addr, 16);
		memcpy(a + 16, &d->sin6_addr, 16);
		memcpy(a + 32, &s->sin6_port, 2);
		memcpy(a + 34, &d->sin6_port, 2);
	}
	return (ssize_t)(PROXYV2_FIXED_LEN + alen);
}
