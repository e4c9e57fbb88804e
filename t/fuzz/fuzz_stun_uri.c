/* SPDX-License-Identifier: MIT */
/*
 * STUN/TURN server URI parser (client/stun_uri.c). The input is parsed
 * as it is, without a NUL (the parser takes a length); an accepted URI's
 * canonical text must parse back to the same server, and a refusal must
 * leave a non-empty, NUL-terminated reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stunuri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[64], out[STUN_URI_MAX + 64];
	struct stun_uri u, u2;
	char *copy;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	memset(err, 'x', sizeof(err));
	if (stun_uri_parse(copy, size, &u, err, sizeof(err)) != 0) {
		free(copy);
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	free(copy);
	if (err[0] != '\0' || u.port == 0 || memchr(u.host, '\0', sizeof(u.host)) == NULL)
		abort();
	if (stun_uri_format(&u, out, sizeof(out)) != 0)
		abort();
	if (stun_uri_parse(out, strlen(out), &u2, err, sizeof(err)) != 0)
		abort();
	if (u2.turn != u.turn || u2.transport != u.transport || u2.port != u.port ||
	    u2.host_is_v6 != u.host_is_v6 || strcmp(u2.host, u.host) != 0)
		abort();
	return 0;
}
