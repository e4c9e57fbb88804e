/* SPDX-License-Identifier: MIT */
/*
 * Chunked bodies through llhttp. llhttp decodes a body only as part of a
 * message, so the parser first sees a fixed, known-good response head
 * that announces chunked coding, then the caller's bytes. on_body hands
 * out spans of chunk data in order; they are moved to out (memmove, as
 * out may alias the input). on_message_complete pauses the parser, which
 * gives the exact end of the body even when more bytes follow it.
 */
#include "proto/httpbody.h"

#include <string.h>

#include <llhttp.h>

static const char chunked_head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

struct body_ctx {
	uint8_t *out;
	size_t cap;
	size_t len;
	int complete;
	int over;
};

static int
on_body(llhttp_t *ps, const char *at, size_t len)
{
	struct body_ctx *c = ps->data;

	if (len > c->cap - c->len) {
		c->over = 1;
		return -1;
	}
	if (c->out != NULL)
		memmove(c->out + c->len, at, len);
	c->len += len;
	return 0;
}

static int
on_message_complete(llhttp_t *ps)
{
	struct body_ctx *c = ps->data;

	c->complete = 1;
	return HPE_PAUSED;
}

static const llhttp_settings_t body_settings = {
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

ssize_t
http_chunked_decode(const uint8_t *p, size_t n, uint8_t *out, size_t outcap, size_t *outlen)
{
	struct body_ctx c = { .out = out, .cap = outcap };
	llhttp_t ps;
	llhttp_errno_t err;
	const char *end;

	*outlen = 0;
	llhttp_init(&ps, HTTP_RESPONSE, &body_settings);
	ps.data = &c;
	if (llhttp_execute(&ps, chunked_head, sizeof(chunked_head) - 1) != HPE_OK)
		return -1;
	if (n == 0)
		return 0;
	err = llhttp_execute(&ps, (const char *)p, n);
	*outlen = c.len;
	if (err == HPE_OK)
		return c.complete ? (ssize_t)n : 0;
	if (err != HPE_PAUSED || !c.complete)
		return -1;
	end = llhttp_get_error_pos(&ps);
	if (end == NULL || end < (const char *)p || end > (const char *)p + n)
		return -1;
	return end - (const char *)p;
}
