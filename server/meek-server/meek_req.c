/* SPDX-License-Identifier: MIT */
/*
 * meek request classification and canned answers (see meek_req.h).
 * Everything here reads a struct http_head that common/http.c filled;
 * no byte of HTTP is parsed by hand. Header values are NUL-terminated
 * copies, so the number parsers may read them as C strings.
 */
#include "meek_req.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/num.h"
#include "base/secret.h"

int
meek_session_id_ok(const char *p, size_t n)
{
	size_t i;

	if (n < MEEK_SESSION_ID_MIN || n > MEEK_SESSION_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		/* Visible ASCII except what would need quoting in a header or a log. */
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == ',' || c == ';')
			return 0;
	}
	return 1;
}

uint64_t
meek_resp_cap(const char *value, uint64_t max_body)
{
	uint64_t v;

	if (value != NULL && num_parse_u64(value, 1, UINT64_MAX, &v) == 0)
		return v < max_body ? v : max_body;
	return max_body < MEEK_BODY_LEGACY ? max_body : MEEK_BODY_LEGACY;
}

int
meek_forwarded_addr(const char *v, size_t n, struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN + 8];
	const char *end = memchr(v, ',', n), *colon;
	uint64_t port = 0;
	int bracket = 0;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	if (end != NULL)
		n = (size_t)(end - v);
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, v, n);
	a[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (a[0] == '[') {
		char *rb = strchr(a, ']');

		if (rb == NULL)
			return -1;
		*rb = '\0';
		if (rb[1] == ':') {
			if (num_parse_u64(rb + 2, 0, 65535, &port) == -1)
				return -1;
		} else if (rb[1] != '\0')
			return -1;
		memmove(a, a + 1, strlen(a + 1) + 1);
		bracket = 1;
	} else if ((colon = strchr(a, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		/* One colon: IPv4 with a port. */
		if (num_parse_u64(colon + 1, 0, 65535, &port) == -1)
			return -1;
		a[colon - a] = '\0';
	}
	if (!bracket && inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

int
meek_forwarded_pick(const struct http_head *h, unsigned hops, struct sockaddr_storage *ss)
{
	const struct http_header *x;
	size_t i = h->nheaders, n;
	unsigned seen = 0;

	if (hops == 0)
		return -1;
	while (i-- > 0) {
		x = &h->headers[i];
		if (x->name_len != 15 || strncasecmp(x->name, "X-Forwarded-For", 15) != 0)
			continue;
		/* Elements right to left: each starts after a comma, or at the value's start. */
		for (n = x->value_len; ; n--) {
			if (n == 0 || x->value[n - 1] == ',') {
				if (++seen == hops)
					return meek_forwarded_addr(x->value + n, x->value_len - n, ss);
				if (n == 0)
					break;
			}
		}
	}
	return -1;
}

static int
meek_path_is(const struct http_head *h, const char *path)
{
	const char *q = memchr(h->target, '?', h->target_len);
	size_t n = q ? (size_t)(q - h->target) : h->target_len;

	return strlen(path) == n && memcmp(h->target, path, n) == 0;
}

static int
meek_fail(struct meek_req *r, int status, const char *msg)
{
	r->msg = msg;
	return status;
}

int
meek_classify(const struct http_head *h, const struct meek_cfg *cfg, struct meek_req *r)
{
	const struct http_header *x;

	memset(r, 0, sizeof(*r));
	r->keep_alive = h->keep_alive;
	r->head_only = strcmp(h->method, "HEAD") == 0;
	r->has_body = h->chunked || (h->has_content_length && h->content_length > 0);
	r->body_len = h->has_content_length ? h->content_length : 0;
	/* Probes see an ordinary web server with nothing on it. */
	if (!meek_path_is(h, cfg->path) || strcmp(h->method, "GET") == 0 || r->head_only)
		return meek_fail(r, 404, "404 page not found");
	if (strcmp(h->method, "POST") != 0)
		return meek_fail(r, 405, "method not allowed");
	if (cfg->token != NULL) {
		x = http_header_find(h, MEEK_HDR_AUTH);
		if (x == NULL || !secret_eq(x->value, x->value_len, cfg->token, cfg->token_len))
			return meek_fail(r, 403, "forbidden");
	}
	x = http_header_find(h, MEEK_HDR_SESSION);
	if (x == NULL || !meek_session_id_ok(x->value, x->value_len))
		return meek_fail(r, 400, "missing X-Session-Id");
	memcpy(r->sid, x->value, x->value_len);
	r->sid[x->value_len] = '\0';
	r->sid_len = x->value_len;
	if (h->chunked)
		return meek_fail(r, 411, "length required");
	if (r->body_len > cfg->max_body)
		return meek_fail(r, 413, "request body exceeds max_body_bytes");
	x = http_header_find(h, MEEK_HDR_SEQ);
	if (x != NULL && num_parse_u64(x->value, 0, UINT64_MAX, &r->seq) == 0)
		r->has_seq = 1;
	/* Without a sequence number or a base the extension cannot work: serial. */
	x = http_header_find(h, MEEK_HDR_PIPELINE);
	if (x != NULL && r->has_seq && meek_pipe_parse(x->value, x->value_len, &r->pipe_p) == 0 &&
	    r->pipe_p.has_base && r->pipe_p.base <= r->seq && r->seq - r->pipe_p.base < r->pipe_p.window)
		r->pipe = 1;
	x = http_header_find(h, MEEK_HDR_MAX_BODY);
	r->resp_cap = meek_resp_cap(x ? x->value : NULL, cfg->max_body);
	if (cfg->trust_forwarded && meek_forwarded_pick(h, cfg->trusted_hops, &r->fwd) == 0)
		r->has_fwd = 1;
	x = http_header_find(h, MEEK_HDR_IP);
	if (cfg->trust_meek_ip && !r->has_fwd && x != NULL &&
	    meek_forwarded_addr(x->value, x->value_len, &r->fwd) == 0)
		r->has_fwd = 1;
	return 0;
}

ssize_t
meek_format_error(char *out, size_t cap, int status, const char *msg, int head_only, int close,
                  const char *date)
{
	char extra[256];
	size_t mlen = strlen(msg);
	ssize_t n;
	int e;

	e = snprintf(extra, sizeof(extra),
	             "Content-Type: text/plain; charset=utf-8\r\n"
	             "X-Content-Type-Options: nosniff\r\n"
	             "%s%s%s%s",
	             date ? "Date: " : "", date ? date : "", date ? "\r\n" : "",
	             close ? "Connection: close\r\n" : "");
	if (e < 0 || (size_t)e >= sizeof(extra))
		return -1;
	n = http_format_response_head(out, cap, status, mlen + 1, extra);
	if (n < 0 || head_only)
		return n;
	if (mlen + 1 >= cap - (size_t)n)
		return -1;
	memcpy(out + n, msg, mlen);
	out[n + (ssize_t)mlen] = '\n';
	out[n + (ssize_t)mlen + 1] = '\0';
	return n + (ssize_t)mlen + 1;
}

ssize_t
meek_format_ok(char *out, size_t cap, size_t len, int close, const char *date,
               const struct meek_pipe *pipe)
{
	char extra[160 + MEEK_PIPE_VALUE_MAX], pv[MEEK_PIPE_VALUE_MAX] = "";
	int e;

	if (pipe != NULL && meek_pipe_format(pipe, pv, sizeof(pv)) < 0)
		return -1;
	e = snprintf(extra, sizeof(extra), "Content-Type: application/octet-stream\r\n%s%s%s%s%s%s%s",
	             date ? "Date: " : "", date ? date : "", date ? "\r\n" : "",
	             pv[0] ? MEEK_HDR_PIPELINE ": " : "", pv, pv[0] ? "\r\n" : "",
	             close ? "Connection: close\r\n" : "");
	if (e < 0 || (size_t)e >= sizeof(extra))
		return -1;
	return http_format_response_head(out, cap, 200, len, extra);
}
