/* SPDX-License-Identifier: MIT */
/*
 * Lower-case hex of bytes: ids, labels and fingerprints in logs, on the
 * wire and in file names. One encoder, so every place spells bytes alike.
 */
#ifndef PW_HEX_H
#define PW_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Bytes in hex for n bytes, with the NUL. */
#define HEX_LEN(n) (2 * (n) + 1)

/* p[0..n) as 2n lower-case hex digits and a NUL: out holds HEX_LEN(n). */
void hex_encode(char *out, const uint8_t *p, size_t n);

#endif
