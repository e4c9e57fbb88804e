/* SPDX-License-Identifier: MIT */
#include "base/num.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>

int
num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9') {
			errno = EINVAL;
			return -1;
		}
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + d;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
num_parse_int(const char *s, int min, int max, int *out)
{
	uint64_t v;
	int neg = 0;

	if (s != NULL && *s == '-') {
		neg = 1;
		s++;
	}
	if (num_parse_u64(s, 0, (uint64_t)INT_MAX + 1, &v) == -1)
		return -1;
	if (!neg && v > INT_MAX) {
		errno = ERANGE;
		return -1;
	}
	{
		long long r = neg ? -(long long)v : (long long)v;

		if (r < min || r > max) {
			errno = ERANGE;
			return -1;
		}
		*out = (int)r;
	}
	return 0;
}

int
num_parse_seconds_ms(const char *s, uint64_t max_ms, uint64_t *out_ms)
{
	uint64_t whole = 0, frac = 0, scale = 1000000000ULL;
	int digits = 0, seen = 0;

	if (s == NULL || *s == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (; *s && *s != '.'; s++) {
		if (*s < '0' || *s > '9') {
			errno = EINVAL;
			return -1;
		}
		if (whole > (UINT64_MAX / 1000 - 9) / 10) {
			errno = ERANGE;
			return -1;
		}
		whole = whole * 10 + (uint64_t)(*s - '0');
		seen = 1;
	}
	if (*s == '.') {
		for (s++; *s; s++) {
			if (*s < '0' || *s > '9' || digits == 9) {
				errno = EINVAL;
				return -1;
			}
			frac = frac * 10 + (uint64_t)(*s - '0');
			scale /= 10;
			digits++;
			seen = 1;
		}
	}
	if (!seen) {
		errno = EINVAL;
		return -1;
	}
	whole = whole * 1000 + (frac * scale) / 1000000;
	if (whole > max_ms) {
		errno = ERANGE;
		return -1;
	}
	*out_ms = whole;
	return 0;
}

int
num_parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}
