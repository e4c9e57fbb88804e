/* SPDX-License-Identifier: MIT */
/*
 * Endpoint parser. The input, cut at the first NUL, is parsed; an
 * accepted endpoint's canonical text must parse back to the same
 * address (options aside, which format leaves out), and a refusal must
 * leave a non-empty, NUL-terminated reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char s[ENDPOINT_STR_MAX + 64];
	char err[64], out[ENDPOINT_STR_MAX + 64];
	struct endpoint ep, ep2;
	size_t i;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(err, 'x', sizeof(err));
	if (endpoint_parse(s, &ep, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (err[0] != '\0' || ep.nopts > ENDPOINT_OPTS_MAX)
		abort();
	for (i = 0; i < ep.nopts; i++)
		if (endpoint_opt(&ep, ep.opts[i].key) != &ep.opts[i])
			abort();
	if (endpoint_format(&ep, out, sizeof(out)) != 0)
		abort();
	if (endpoint_parse(out, &ep2, err, sizeof(err)) != 0)
		abort();
	if (ep2.kind != ep.kind || strcmp(ep2.host, ep.host) != 0 ||
	    ep2.host_is_v6 != ep.host_is_v6 || ep2.port != ep.port ||
	    strcmp(ep2.path, ep.path) != 0 || ep2.nopts != 0)
		abort();
	return 0;
}
