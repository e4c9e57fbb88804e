/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 address form. The input is decoded as wire bytes (re-encoding
 * must give the same bytes back, one byte less must ask for more, and
 * IP forms must survive a trip through struct sockaddr), and also used
 * as a host string for socksaddr_set (what it accepts must encode,
 * decode and format).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/socksaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_wire(const uint8_t *data, size_t size)
{
	struct socksaddr sa, sb;
	struct sockaddr_storage ss;
	uint8_t out[SOCKSADDR_WIRE_MAX];
	char str[SOCKSADDR_STR_MAX];
	socklen_t len;
	ssize_t k = socksaddr_decode(data, size, &sa);

	if (k <= 0)
		return;
	if (socksaddr_decode(data, (size_t)k - 1, &sb) != 0)
		abort();
	if (socksaddr_encode(&sa, out, sizeof(out)) != k || memcmp(out, data, (size_t)k) != 0)
		abort();
	if (socksaddr_format(&sa, str, sizeof(str)) != 0 || strlen(str) >= sizeof(str))
		abort();
	if (sa.atyp == SOCKS_ATYP_DOMAIN) {
		if (socksaddr_to_sockaddr(&sa, &ss, &len) != -1)
			abort();
		return;
	}
	if (socksaddr_to_sockaddr(&sa, &ss, &len) != 0 ||
	    socksaddr_from_sockaddr(&sb, (struct sockaddr *)&ss) != 0 ||
	    memcmp(&sa, &sb, sizeof(sa)) != 0)
		abort();
}

static void
check_set(const uint8_t *data, size_t size)
{
	char host[SOCKSADDR_NAME_MAX + 8];
	struct socksaddr sa, sb;
	uint8_t out[SOCKSADDR_WIRE_MAX];
	char str[SOCKSADDR_STR_MAX];
	ssize_t k;

	if (size >= sizeof(host))
		size = sizeof(host) - 1;
	memcpy(host, data, size);
	host[size] = '\0';
	if (socksaddr_set(&sa, host, 4242) != 0)
		return;
	k = socksaddr_encode(&sa, out, sizeof(out));
	if (k <= 0 || socksaddr_decode(out, (size_t)k, &sb) != k || memcmp(&sa, &sb, sizeof(sa)) != 0)
		abort();
	if (socksaddr_format(&sa, str, sizeof(str)) != 0)
		abort();
	if (sa.atyp == SOCKS_ATYP_DOMAIN && strcmp(sa.name, host) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_wire(data, size);
	check_set(data, size);
	return 0;
}
