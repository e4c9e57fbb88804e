/* SPDX-License-Identifier: MIT */
/*
 * peer-proxy's pure helpers (peerp.h).
 */
#include "peerp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
v4_public(const unsigned char *a)
{
	return !(a[0] == 0 || a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	         (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) || a[0] >= 224);
}

static int
v6_public(const unsigned char *a)
{
	static const unsigned char zero[15];

	if (memcmp(a, zero, 15) == 0)
		return 0; /* :: and ::1 */
	if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || a[0] == 0xff)
		return 0;
	return 1;
}

size_t
peerp_client_ip(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	const char *l = (const char *)p, *end = (const char *)p + n, *e, *f;
	char field[5][64];
	unsigned char a[16];
	size_t nf, k, len;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	for (; l < end; l = e < end ? e + 1 : end) {
		e = memchr(l, '\n', (size_t)(end - l));
		if (e == NULL)
			e = end;
		if ((size_t)(e - l) < 12 || memcmp(l, "a=candidate:", 12) != 0)
			continue;
		/* foundation component transport priority address … */
		for (f = l + 12, nf = 0; f < e && nf < 5;) {
			while (f < e && (*f == ' ' || *f == '\r'))
				f++;
			for (k = 0; f + k < e && f[k] != ' ' && f[k] != '\r'; k++)
				;
			if (k == 0 || k >= sizeof(field[0]))
				break;
			memcpy(field[nf], f, k);
			field[nf][k] = '\0';
			nf++;
			f += k;
		}
		if (nf < 5)
			continue;
		if ((inet_pton(AF_INET, field[4], a) == 1 && v4_public(a)) ||
		    (inet_pton(AF_INET6, field[4], a) == 1 && v6_public(a))) {
			len = strlen(field[4]);
			if (len >= outlen)
				return 0;
			memcpy(out, field[4], len + 1);
			return len;
		}
	}
	return 0;
}

int
peerp_relay_allowed(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);
	int exact = 0;

	if (pl > 0 && pattern[0] == '^') {
		exact = 1;
		pattern++;
		pl--;
	}
	if (pl > 0 && pattern[pl - 1] == '$')
		pl--;
	if (pl == 0 || hl < pl || (exact && hl != pl))
		return 0;
	return strncasecmp(host + hl - pl, pattern, pl) == 0;
}
