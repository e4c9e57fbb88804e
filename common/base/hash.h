/* SPDX-License-Identifier: MIT */
/*
 * A 64-bit mixer for hash tables keyed by peer-chosen values (ClientIDs,
 * addresses, ports): splitmix64's finaliser, so every input bit reaches
 * every output bit. Mix in a per-table random key first where a peer
 * could otherwise pick colliding keys.
 */
#ifndef PW_HASH_H
#define PW_HASH_H

#include <stdint.h>

static inline uint64_t
hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif
