/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket handshake parsers. A request that parses must leave a
 * key of 24 characters and a target starting with '/', ask for more one
 * byte short, and its key's 101 must parse back; a response is parsed
 * against a fixed key; query parameters of any target are looked up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wshs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wshs_request r, r2;
	char out[512], v[WSHS_PARAM_MAX + 1];
	ssize_t k, m;
	int st;

	k = wshs_parse_request(data, size, &r);
	if (k > 0) {
		if ((size_t)k > size || strlen(r.key) != WSHS_KEY_LEN || r.target[0] != '/')
			abort();
		if (wshs_parse_request(data, (size_t)k - 1, &r2) != 0)
			abort();
		m = wshs_format_response(out, sizeof(out), r.key);
		if (m <= 0 || wshs_parse_response((const uint8_t *)out, (size_t)m, r.key, &st) != m ||
		    st != 101)
			abort();
		if (wshs_query_param(r.target, "client_ip", v, sizeof(v)) == 1 &&
		    (strlen(v) >= sizeof(v) || strchr(v, '%') != NULL))
			abort();
	}
	k = wshs_parse_response(data, size, "dGhlIHNhbXBsZSBub25jZQ==", &st);
	if (k > 0 && (st != 101 || (size_t)k > size))
		abort();
	return 0;
}
