/* SPDX-License-Identifier: MIT */
/*
 * Fingerprint text forms. The parser is strict: a known prefix, exactly
 * 32 bytes of hex, and if colons are used they separate every pair.
 */
#include "nss/fp.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static void
hex_out(const uint8_t *d, char *out, const char *digits, int colons)
{
	size_t i;

	for (i = 0; i < FP_LEN; i++) {
		if (colons && i > 0)
			*out++ = ':';
		*out++ = digits[d[i] >> 4];
		*out++ = digits[d[i] & 15];
	}
	*out = '\0';
}

void
fp_format(const uint8_t d[FP_LEN], char out[FP_STR_MAX])
{
	memcpy(out, "sha256:", 7);
	hex_out(d, out + 7, "0123456789abcdef", 0);
}

void
fp_format_sdp(const uint8_t d[FP_LEN], char out[FP_STR_MAX])
{
	memcpy(out, "sha-256 ", 8);
	hex_out(d, out + 8, "0123456789ABCDEF", 1);
}

static int
hexval(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *d = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return d ? (int)(d - digits) : -1;
}

int
fp_parse(const char *s, uint8_t d[FP_LEN])
{
	uint8_t tmp[FP_LEN];
	int colons, hi, lo;
	size_t i;

	if (s == NULL)
		return -1;
	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	else if (strncasecmp(s, "sha-256 ", 8) == 0)
		s += 8;
	else
		return -1;
	colons = strlen(s) == FP_LEN * 3 - 1;
	for (i = 0; i < FP_LEN; i++) {
		if (colons && i > 0 && *s++ != ':')
			return -1;
		if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0)
			return -1;
		tmp[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (*s != '\0')
		return -1;
	memcpy(d, tmp, FP_LEN);
	return 0;
}

int
fp_equal(const uint8_t a[FP_LEN], const uint8_t b[FP_LEN])
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < FP_LEN; i++)
		acc |= a[i] ^ b[i];
	return acc == 0;
}
