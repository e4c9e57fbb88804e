/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

const uint8_t session_token[SESSION_TOKEN_LEN] = { 0x12, 0x93, 0x60, 0x5d,
	                                           0x27, 0x81, 0x75, 0xf5 };

int
session_token_maybe(const uint8_t *p, size_t n)
{
	if (n > SESSION_TOKEN_LEN)
		n = SESSION_TOKEN_LEN;
	return memcmp(p, session_token, n) == 0;
}

void
session_preamble_encode(const uint8_t id[SESSION_CLIENTID_LEN], uint8_t out[SESSION_PREAMBLE_LEN])
{
	memcpy(out, session_token, SESSION_TOKEN_LEN);
	memcpy(out + SESSION_TOKEN_LEN, id, SESSION_CLIENTID_LEN);
}

ssize_t
session_preamble_decode(const uint8_t *p, size_t n, uint8_t id[SESSION_CLIENTID_LEN])
{
	if (!session_token_maybe(p, n))
		return -1;
	if (n < SESSION_PREAMBLE_LEN)
		return 0;
	memcpy(id, p + SESSION_TOKEN_LEN, SESSION_CLIENTID_LEN);
	return SESSION_PREAMBLE_LEN;
}

void
session_clientid_hex(const uint8_t id[SESSION_CLIENTID_LEN], char out[SESSION_CLIENTID_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < SESSION_CLIENTID_LEN; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[SESSION_CLIENTID_HEX_LEN] = '\0';
}

int
session_clientid_random(uint8_t id[SESSION_CLIENTID_LEN])
{
	size_t got = 0;
	ssize_t r;

	while (got < SESSION_CLIENTID_LEN) {
		r = getrandom(id + got, SESSION_CLIENTID_LEN - got, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}
