/* SPDX-License-Identifier: MIT */
/*
 * Checked number parsing for argv and configuration: the whole string
 * must be a decimal number within [min, max]; no sign games, no
 * trailing junk, no silent wrap-around. Never use atoi. Options from
 * argv go through cli_u64 and cli_seconds_ms (base/cli.h), which say
 * what was wrong in one wording for every program.
 */
#ifndef PW_NUM_H
#define PW_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Return 0 and store the value, or -1 (errno EINVAL or ERANGE). */
int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int num_parse_int(const char *s, int min, int max, int *out);
/*
 * A port inside a longer string: s[0..n) is 1 to 5 decimal digits worth
 * at most 65535 (0 and leading zeros pass; callers that refuse them say
 * so). 0 and the value, or -1.
 */
int num_parse_port(const char *s, size_t n, uint16_t *out);
/* Decimal seconds with up to 9 fraction digits ("1.5"), in milliseconds. */
int num_parse_seconds_ms(const char *s, uint64_t max_ms, uint64_t *out_ms);

/* One hexadecimal digit, either case: its value, or -1. */
static inline int
num_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

#endif
