/* SPDX-License-Identifier: MIT */
/*
 * peer-proxy's reading of a client's offer (the SDP a stranger sends
 * through the broker): never read past n, and what it returns is a
 * NUL-terminated IP literal that fits the buffer.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer-proxy/peerp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), a[16];
	char ip[64];
	size_t n;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	n = peerp_client_ip(copy, size, ip, sizeof(ip));
	if (n >= sizeof(ip) || strlen(ip) != n)
		abort();
	if (n > 0 && inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		abort();
	if (peerp_client_ip(copy, size, ip, 8) >= 8)
		abort();
	free(copy);
	return 0;
}
