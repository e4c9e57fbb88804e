/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 messages. Byte 0 picks the parser (greeting, request, reply,
 * method); the rest is the peer's bytes. Whatever parses must re-encode
 * to the same bytes (RSV aside, which the parsers ignore), parse again
 * to the same fields, and ask for more when one byte short.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_greeting(const uint8_t *p, size_t n)
{
	int noauth = -1, na2;
	ssize_t k = socks5_parse_greeting(p, n, &noauth);

	if (k <= 0)
		return;
	if (k != 2 + p[1] || p[1] == 0 || k > SOCKS5_GREETING_MAX)
		abort();
	if (noauth != (memchr(p + 2, 0, p[1]) != NULL))
		abort();
	if (socks5_parse_greeting(p, (size_t)k - 1, &na2) != 0)
		abort();
}

static void
check_method(const uint8_t *p, size_t n)
{
	uint8_t m, out[2];

	if (socks5_parse_method(p, n, &m) != 2)
		return;
	if (socks5_encode_method(m, out) != 2 || memcmp(out, p, 2) != 0)
		abort();
}

static void
check_request(const uint8_t *p, size_t n)
{
	struct socks5_request req, r2;
	uint8_t out[SOCKS5_REQUEST_MAX], rep, rep2;
	ssize_t k = socks5_parse_request(p, n, &req, &rep), k2;

	if (k < 0 && rep != SOCKS5_REP_GENERAL_FAILURE && rep != SOCKS5_REP_ATYP_UNSUPPORTED)
		abort();
	if (k <= 0)
		return;
	if (k > SOCKS5_REQUEST_MAX || socks5_parse_request(p, (size_t)k - 1, &r2, &rep2) != 0)
		abort();
	k2 = socks5_encode_request(req.cmd, &req.dst, out, sizeof(out));
	if (k2 != k || out[0] != p[0] || out[1] != p[1] || out[2] != 0 ||
	    memcmp(out + 3, p + 3, (size_t)k - 3) != 0)
		abort();
	if (socks5_parse_request(out, (size_t)k2, &r2, &rep2) != k2 || r2.cmd != req.cmd ||
	    memcmp(&r2.dst, &req.dst, sizeof(req.dst)) != 0)
		abort();
}

static void
check_reply(const uint8_t *p, size_t n)
{
	struct socksaddr bnd, b2;
	uint8_t out[SOCKS5_REPLY_MAX], rep, rep2;
	ssize_t k = socks5_parse_reply(p, n, &rep, &bnd), k2;

	if (k <= 0)
		return;
	if (k > SOCKS5_REPLY_MAX || socks5_parse_reply(p, (size_t)k - 1, &rep2, &b2) != 0)
		abort();
	if (socks5_reply_str(rep) == NULL)
		abort();
	k2 = socks5_encode_reply(rep, &bnd, out, sizeof(out));
	if (k2 != k || out[1] != p[1] || memcmp(out + 3, p + 3, (size_t)k - 3) != 0)
		abort();
	if (socks5_parse_reply(out, (size_t)k2, &rep2, &b2) != k2 || rep2 != rep ||
	    memcmp(&b2, &bnd, sizeof(bnd)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		check_greeting(data + 1, size - 1);
		break;
	case 1:
		check_request(data + 1, size - 1);
		break;
	case 2:
		check_reply(data + 1, size - 1);
		break;
	default:
		check_method(data + 1, size - 1);
		break;
	}
	return 0;
}
