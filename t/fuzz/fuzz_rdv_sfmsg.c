/* SPDX-License-Identifier: MIT */
/*
 * rendezvous's Snowflake message decoders and the bridge-list line: never
 * read past n, return n or -1, and what they accept re-encodes (the offer
 * or answer quoted as Go would) into a string that fits its measure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rendezvous/relays.h"
#include "rendezvous/sfmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct sf_client_poll c;
	struct sf_proxy_poll p;
	struct sf_answer a;
	char fpr[SF_FPR_LEN + 1], url[RELAY_URL_MAX + 1];
	const char *why;
	ssize_t r, need;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	r = sf_client_poll_decode(copy, size, "unrestricted", &c, &why);
	if (r != -1 && r != (ssize_t)size)
		abort();
	if (r > 0) {
		char *out;

		need = sf_proxy_response(NULL, 0, "client match", c.offer, c.offer_len, "unknown", "wss://x/");
		if (need < 0 || (out = malloc((size_t)need + 1)) == NULL)
			abort();
		if (sf_proxy_response(out, (size_t)need + 1, "client match", c.offer, c.offer_len, "unknown",
		                      "wss://x/") != need)
			abort();
		free(out);
		sf_client_poll_free(&c);
	}
	r = sf_proxy_poll_decode(copy, size, &p, &why);
	if (r != -1 && r != (ssize_t)size)
		abort();
	r = sf_answer_decode(copy, size, &a, &why);
	if (r != -1 && r != (ssize_t)size)
		abort();
	sf_answer_free(&a);
	r = relays_bridge_decode(copy, size, fpr, url);
	if (r != -1 && r != (ssize_t)size)
		abort();
	free(copy);
	return 0;
}
