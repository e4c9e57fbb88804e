/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for meek-client's response framing (client/meekc_parse.c)
 * and the chunked decoder (common/httpbody.c). The first input byte picks
 * the body cap; the rest is what the server sent. Beyond "no crash" it
 * checks the contract: a framed response lies within the input, its body
 * within the response and under the cap, every proper prefix needs more,
 * and a chunked body decodes in place to the length framing reported.
 */
#include "meek-client/meekc.h"

#include <stdlib.h>
#include <string.h>

#include "proto/httpbody.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static struct http_head fz_h;

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static const size_t caps[] = { 0, 1, 16, 1024, 65536, 262144, 4194304, 7 };
	struct meekc_resp r, r2;
	uint8_t *copy;
	size_t cap, dec;
	ssize_t f;

	if (n == 0)
		return 0;
	cap = caps[p[0] & 7];
	p++;
	n--;
	f = meekc_resp_frame(p, n, cap, &fz_h, &r);
	if (f < -1 || f > (ssize_t)n)
		abort();
	if (f <= 0)
		return 0;
	if (r.status < 200 || r.status > 999 || r.body_off > (size_t)f)
		abort();
	if (r.status == 200) {
		if (r.body_len > cap || r.body_off + r.body_enc != (size_t)f || r.body_len > r.body_enc)
			abort();
	} else if (r.keep_alive || r.body_off != (size_t)f) {
		abort();
	}
	/* The same bytes alone frame the same way; a prefix needs more. */
	if (meekc_resp_frame(p, (size_t)f, cap, &fz_h, &r2) != f || r2.body_len != r.body_len)
		abort();
	if (meekc_resp_frame(p, (size_t)f - 1, cap, &fz_h, &r2) != 0)
		abort();
	if (r.chunked) {
		copy = malloc((size_t)f);
		if (copy == NULL)
			return 0;
		memcpy(copy, p, (size_t)f);
		if (http_chunked_decode(copy + r.body_off, r.body_enc, copy + r.body_off, cap, &dec) !=
		        (ssize_t)r.body_enc ||
		    dec != r.body_len)
			abort();
		free(copy);
	}
	return 0;
}
