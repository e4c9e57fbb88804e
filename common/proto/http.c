/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x heads through llhttp. Work happens in two passes over at most
 * HTTP_HEAD_MAX bytes: a cheap byte scan finds the blank line that ends
 * the head (and refuses bare LF/CR and control bytes on sight), and only
 * then does llhttp run, once, over exactly the head. A peer dripping a
 * head byte by byte therefore costs one memory scan per read, never a
 * parse per read, and llhttp never sees a byte of body or tunnel data.
 *
 * llhttp delivers each piece (target, header name, header value) through
 * span callbacks; we copy them into h->store back to back, NUL-terminated.
 * Everything copied comes from the head and each piece is followed in the
 * head by at least one byte we drop (SP, ':', CR), so the copies plus
 * their NULs always fit in HTTP_HEAD_MAX; the bound is still checked.
 */
#include "proto/http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <llhttp.h>

#include "base/num.h"

struct http_ctx {
	struct http_head *h;
	size_t used;     /* bytes of h->store in use */
	size_t span;     /* offset in store where the open span starts */
	int span_open;
	int nbegin;      /* messages llhttp started; more than one is a bug or smuggling */
	int complete;    /* on_headers_complete ran */
};

/*
 * Index just past the blank line ending the head, 0 if it is not in p
 * yet, -1 on a byte that can never be part of a valid head.
 */
static ssize_t
http_head_end(const uint8_t *p, size_t n)
{
	size_t lim = n < HTTP_HEAD_MAX ? n : HTTP_HEAD_MAX;
	size_t i;
	uint8_t c;

	for (i = 0; i < lim; i++) {
		c = p[i];
		if (c == '\r') {
			if (i + 1 < n && p[i + 1] != '\n')
				return -1;
		} else if (c == '\n') {
			/* i == 1 is "\r\n" before any request or status line. */
			if (i < 2 || p[i - 1] != '\r')
				return -1;
			if (i >= 3 && p[i - 2] == '\n' && p[i - 3] == '\r')
				return (ssize_t)(i + 1);
		} else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	return n >= HTTP_HEAD_MAX ? -1 : 0;
}

static struct http_ctx *
ctx_of(llhttp_t *ps)
{
	return ps->data;
}

static int
span_data(llhttp_t *ps, const char *at, size_t len)
{
	struct http_ctx *c = ctx_of(ps);

	if (!c->span_open) {
		c->span_open = 1;
		c->span = c->used;
	}
	/* Keep one byte for the NUL that closes the span. */
	if (len >= sizeof(c->h->store) - c->used)
		return -1;
	memcpy(c->h->store + c->used, at, len);
	c->used += len;
	return 0;
}

/* Close the open span (or an empty one) and return where it starts. */
static int
span_close(struct http_ctx *c, const char **s, size_t *len)
{
	if (!c->span_open)
		c->span = c->used;
	c->span_open = 0;
	if (c->used >= sizeof(c->h->store))
		return -1;
	c->h->store[c->used++] = '\0';
	*s = c->h->store + c->span;
	*len = c->used - 1 - c->span;
	return 0;
}

static int
on_message_begin(llhttp_t *ps)
{
	return ++ctx_of(ps)->nbegin > 1 ? -1 : 0;
}

static int
on_url_complete(llhttp_t *ps)
{
	struct http_ctx *c = ctx_of(ps);

	return span_close(c, &c->h->target, &c->h->target_len);
}

/* RFC 9110 tchar. */
static int
token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
on_field_complete(llhttp_t *ps)
{
	struct http_ctx *c = ctx_of(ps);
	struct http_header *hd;
	size_t i;

	if (c->h->nheaders >= HTTP_HEADERS_MAX)
		return -1;
	hd = &c->h->headers[c->h->nheaders++];
	hd->value = "";
	hd->value_len = 0;
	if (span_close(c, &hd->name, &hd->name_len) < 0 || hd->name_len == 0)
		return -1;
	/*
	 * Lenient llhttp takes "Bad Name" and "Name :"; a name that is not a
	 * token is a smuggling vector (RFC 9112 §5.1 says reject), so refuse.
	 */
	for (i = 0; i < hd->name_len; i++)
		if (!token_char((unsigned char)hd->name[i]))
			return -1;
	return 0;
}

static int
on_value_complete(llhttp_t *ps)
{
	struct http_ctx *c = ctx_of(ps);
	struct http_header *hd;
	char *v;

	if (c->h->nheaders == 0)
		return -1;
	hd = &c->h->headers[c->h->nheaders - 1];
	if (span_close(c, &hd->value, &hd->value_len) < 0)
		return -1;
	/* llhttp drops leading blanks; trailing ones are not part of the value either. */
	v = c->h->store + c->span;
	while (hd->value_len > 0 && (v[hd->value_len - 1] == ' ' || v[hd->value_len - 1] == '\t'))
		v[--hd->value_len] = '\0';
	return 0;
}

static int
on_headers_complete(llhttp_t *ps)
{
	struct http_ctx *c = ctx_of(ps);
	struct http_head *h = c->h;

	h->http_major = ps->http_major;
	h->http_minor = ps->http_minor;
	if (h->is_request)
		snprintf(h->method, sizeof(h->method), "%s",
		         llhttp_method_name((llhttp_method_t)ps->method));
	else
		h->status = ps->status_code;
	h->has_content_length = (ps->flags & F_CONTENT_LENGTH) != 0;
	h->content_length = h->has_content_length ? ps->content_length : 0;
	h->chunked = (ps->flags & F_CHUNKED) != 0;
	h->keep_alive = llhttp_should_keep_alive(ps);
	h->upgrade = ps->upgrade;
	c->complete = 1;
	return 0;
}

static const llhttp_settings_t http_settings = {
	.on_message_begin = on_message_begin,
	.on_url = span_data,
	.on_header_field = span_data,
	.on_header_value = span_data,
	.on_url_complete = on_url_complete,
	.on_header_field_complete = on_field_complete,
	.on_header_value_complete = on_value_complete,
	.on_headers_complete = on_headers_complete,
};

static ssize_t
http_parse_head(const uint8_t *p, size_t n, struct http_head *h, llhttp_type_t type)
{
	struct http_ctx c = { .h = h };
	llhttp_t ps;
	llhttp_errno_t err;
	ssize_t end;

	end = http_head_end(p, n);
	if (end <= 0)
		return end;

	memset(h, 0, offsetof(struct http_head, store));
	h->is_request = type == HTTP_REQUEST;
	h->target = "";
	llhttp_init(&ps, type, &http_settings);
	ps.data = &c;
	err = llhttp_execute(&ps, (const char *)p, (size_t)end);
	/*
	 * With the whole head and nothing more, llhttp either stops in the
	 * body state (HPE_OK) or, for CONNECT and upgrades, pauses right
	 * after the head. Anything else, or a head it did not finish, is bad.
	 */
	if ((err != HPE_OK && err != HPE_PAUSED_UPGRADE) || !c.complete)
		return -1;
	if (h->http_major != 1 || h->http_minor > 1)
		return -1;
	if (h->is_request && h->target_len == 0)
		return -1;
	return end;
}

ssize_t
http_parse_request_head(const uint8_t *p, size_t n, struct http_head *h)
{
	return http_parse_head(p, n, h, HTTP_REQUEST);
}

ssize_t
http_parse_response_head(const uint8_t *p, size_t n, struct http_head *h)
{
	return http_parse_head(p, n, h, HTTP_RESPONSE);
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

const struct http_header *
http_header_find(const struct http_head *h, const char *name)
{
	size_t len = strlen(name), i, j;

	for (i = 0; i < h->nheaders; i++) {
		const struct http_header *hd = &h->headers[i];

		if (hd->name_len != len)
			continue;
		for (j = 0; j < len; j++)
			if (ascii_lower((unsigned char)hd->name[j]) != ascii_lower((unsigned char)name[j]))
				break;
		if (j == len)
			return hd;
	}
	return NULL;
}

static int
host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

int
http_split_authority(const char *s, size_t n, struct http_authority *a)
{
	struct http_authority r = { 0 };
	const char *host, *hend, *port, *end = s + n;
	struct in6_addr a6;
	size_t hlen, i;

	if (n == 0)
		return -1;
	if (s[0] == '[') {
		host = s + 1;
		hend = memchr(host, ']', n - 1);
		if (hend == NULL || end - hend < 2 || hend[1] != ':')
			return -1;
		port = hend + 2;
		r.is_v6 = 1;
	} else {
		hend = memrchr(s, ':', n);
		if (hend == NULL)
			return -1;
		host = s;
		port = hend + 1;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0 || hlen > HTTP_HOST_MAX)
		return -1;
	memcpy(r.host, host, hlen);
	r.host[hlen] = '\0';
	if (r.is_v6) {
		/* inet_pton also refuses zone ids and embedded NULs. */
		if (inet_pton(AF_INET6, r.host, &a6) != 1)
			return -1;
	} else {
		for (i = 0; i < hlen; i++)
			if (!host_char((unsigned char)host[i]))
				return -1;
	}
	if (port == end || *port == '0' || num_parse_port(port, (size_t)(end - port), &r.port) == -1)
		return -1;
	*a = r;
	return 0;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

ssize_t
http_format_response_head(char *out, size_t outlen, int status, uint64_t content_length,
                          const char *extra)
{
	char cl[48] = "";
	int r;

	if (status < 100 || status > 999)
		return -1;
	if (content_length != HTTP_NO_LENGTH)
		snprintf(cl, sizeof(cl), "Content-Length: %llu\r\n",
		         (unsigned long long)content_length);
	r = snprintf(out, outlen, "HTTP/1.1 %d %s\r\n%s%s\r\n", status, http_reason(status), cl,
	             extra ? extra : "");
	if (r < 0 || (size_t)r >= outlen)
		return -1;
	return r;
}
