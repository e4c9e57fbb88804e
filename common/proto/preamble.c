/* SPDX-License-Identifier: MIT */
#include "proto/preamble.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "base/hex.h"

const uint8_t session_token[PREAMBLE_TOKEN_LEN] = { 0x12, 0x93, 0x60, 0x5d,
	                                           0x27, 0x81, 0x75, 0xf5 };
/* Drawn at random once; it shares no first byte with the other prefixes egress sniffs. */
const uint8_t secure_session_token[PREAMBLE_TOKEN_LEN] = { 0xbb, 0x6f, 0x23, 0x68,
	                                                  0x1b, 0x15, 0x0a, 0x1f };

/* 0 plaintext, 1 secure, -1 neither (as far as the n bytes tell). */
static int
token_kind(const uint8_t *p, size_t n)
{
	if (n > PREAMBLE_TOKEN_LEN)
		n = PREAMBLE_TOKEN_LEN;
	if (memcmp(p, session_token, n) == 0)
		return 0;
	if (memcmp(p, secure_session_token, n) == 0)
		return 1;
	return -1;
}

int
preamble_token_maybe(const uint8_t *p, size_t n)
{
	return token_kind(p, n) >= 0;
}

void
preamble_encode_kind(const uint8_t id[CLIENTID_LEN], int secure, uint8_t out[PREAMBLE_LEN])
{
	memcpy(out, secure ? secure_session_token : session_token, PREAMBLE_TOKEN_LEN);
	memcpy(out + PREAMBLE_TOKEN_LEN, id, CLIENTID_LEN);
}

void
preamble_encode(const uint8_t id[CLIENTID_LEN], uint8_t out[PREAMBLE_LEN])
{
	preamble_encode_kind(id, 0, out);
}

ssize_t
preamble_decode_kind(const uint8_t *p, size_t n, uint8_t id[CLIENTID_LEN], int *secure)
{
	int k = token_kind(p, n);

	if (k < 0)
		return -1;
	if (n < PREAMBLE_LEN)
		return 0;
	memcpy(id, p + PREAMBLE_TOKEN_LEN, CLIENTID_LEN);
	if (secure != NULL)
		*secure = k;
	return PREAMBLE_LEN;
}

ssize_t
preamble_decode(const uint8_t *p, size_t n, uint8_t id[CLIENTID_LEN])
{
	return preamble_decode_kind(p, n, id, NULL);
}

void
clientid_show(const uint8_t id[CLIENTID_LEN], char out[CLIENTID_SHOW_LEN + 1])
{
	hex_encode(out, id, CLIENTID_SHOW_BYTES);
}

int
clientid_random(uint8_t id[CLIENTID_LEN])
{
	size_t got = 0;
	ssize_t r;

	while (got < CLIENTID_LEN) {
		r = getrandom(id + got, CLIENTID_LEN - got, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}
