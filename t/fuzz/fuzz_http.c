/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for common/http.c. Each input is tried as a request
 * head, as a response head and as a CONNECT authority; on top of "no
 * crash", it checks the contract: a head ends in a blank line within
 * HTTP_HEAD_MAX, parsing exactly the head gives the same answer, a proper
 * prefix of it needs more, and every copied string lies in the store and
 * is as long as it claims. A CONNECT target that splits also survives a
 * format/parse round trip of a response head.
 */
#include "proto/http.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static struct http_head fz_h, fz_h2;

static void
fz_check_str(const struct http_head *h, const char *s, size_t len)
{
	if (s != h->store + sizeof(h->store) && len == 0 && s[0] == '\0')
		return; /* "" literal for empty values and targets */
	if (s < h->store || s + len >= h->store + sizeof(h->store) || s[len] != '\0' ||
	    strlen(s) != len)
		abort();
}

static void
fz_head(const uint8_t *p, size_t n, int request)
{
	ssize_t (*parse)(const uint8_t *, size_t, struct http_head *) =
		request ? http_parse_request_head : http_parse_response_head;
	struct http_authority au;
	char out[HTTP_HOST_MAX + 128];
	ssize_t r;
	size_t i;

	r = parse(p, n, &fz_h);
	if (r < -1 || (size_t)(r > 0 ? r : 0) > n || r > HTTP_HEAD_MAX)
		abort();
	if (r <= 0)
		return;
	if (r < 4 || memcmp(p + r - 4, "\r\n\r\n", 4) != 0)
		abort();
	if (parse(p, (size_t)r, &fz_h2) != r || parse(p, (size_t)r - 1, &fz_h2) != 0)
		abort();
	if (fz_h.nheaders > HTTP_HEADERS_MAX || fz_h.http_major != 1 || fz_h.http_minor > 1)
		abort();
	for (i = 0; i < fz_h.nheaders; i++) {
		fz_check_str(&fz_h, fz_h.headers[i].name, fz_h.headers[i].name_len);
		fz_check_str(&fz_h, fz_h.headers[i].value, fz_h.headers[i].value_len);
		if (http_header_find(&fz_h, fz_h.headers[i].name) == NULL)
			abort();
	}
	if (!request)
		return;
	fz_check_str(&fz_h, fz_h.target, fz_h.target_len);
	if (fz_h.target_len == 0)
		abort();
	if (http_split_authority(fz_h.target, fz_h.target_len, &au) == 0) {
		if (au.port == 0 || strlen(au.host) == 0)
			abort();
		r = http_format_response_head(out, sizeof(out), 200, au.port, NULL);
		if (r <= 0 || http_parse_response_head((const uint8_t *)out, (size_t)r, &fz_h2) != r ||
		    fz_h2.content_length != au.port)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct http_authority au;

	fz_head(p, n, 1);
	fz_head(p, n, 0);
	if (http_split_authority((const char *)p, n, &au) == 0 &&
	    (au.port == 0 || strlen(au.host) == 0 || strlen(au.host) > HTTP_HOST_MAX))
		abort();
	return 0;
}
