/* SPDX-License-Identifier: MIT */
/*
 * peer-proxy's pure helpers: the relay pattern and the client's address
 * taken from its offer (for the relay's ?client_ip=), as snowflake-proxy
 * takes it: the first candidate address that is a public IP literal.
 */
#ifndef PW_PEERP_H
#define PW_PEERP_H

#include <stddef.h>
#include <stdint.h>

/*
 * The first "a=candidate:" line's address in the n bytes of SDP at p that is an IP
 * literal outside loopback, unspecified, link-local and private ranges
 * (RFC 1918, fc00::/7), formatted into out; "" when there is none.
 * Returns the length written.
 */
size_t peerp_client_ip(const uint8_t *p, size_t n, char *out, size_t outlen);

/*
 * snowflake-proxy's relay pattern (--allowed-relay-hostname-pattern):
 * "^host$" admits host exactly, "host$" (or "host") host and any name
 * ending in it. Names compare case-insensitively. 1 when host is admitted.
 */
int peerp_relay_allowed(const char *pattern, const char *host);

#endif
