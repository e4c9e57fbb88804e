/* SPDX-License-Identifier: MIT */
/*
 * Checked number parsing for argv and configuration: the whole string
 * must be a decimal number within [min, max]; no sign games, no
 * trailing junk, no silent wrap-around. Never use atoi.
 */
#ifndef PW_NUM_H
#define PW_NUM_H

#include <stdint.h>

/* Return 0 and store the value, or -1 (errno EINVAL or ERANGE). */
int num_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int num_parse_int(const char *s, int min, int max, int *out);
/* Decimal seconds with up to 9 fraction digits ("1.5"), in milliseconds. */
int num_parse_seconds_ms(const char *s, uint64_t max_ms, uint64_t *out_ms);

#endif
