/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket opening handshake (wshs.h).
 */
#include "proto/wshs.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/http.h"
#include "tls/crypto.h"

static const char wshs_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* s (n bytes) holds token t in a comma-separated list, ASCII case-insensitively. */
static int
wshs_has_token(const char *s, size_t n, const char *t)
{
	size_t tl = strlen(t), i = 0;

	while (i < n) {
		size_t a, b;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		a = i;
		while (i < n && s[i] != ',')
			i++;
		b = i;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		if (b - a == tl && strncasecmp(s + a, t, tl) == 0)
			return 1;
	}
	return 0;
}

static int
wshs_header_is(const struct http_head *h, const char *name, const char *token)
{
	const struct http_header *f = http_header_find(h, name);

	return f != NULL && wshs_has_token(f->value, f->value_len, token);
}

static int
wshs_key_ok(const char *k, size_t n)
{
	size_t i;

	if (n != WSHS_KEY_LEN || k[22] != '=' || k[23] != '=')
		return 0;
	for (i = 0; i < 22; i++) {
		char c = k[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

ssize_t
wshs_parse_request(const uint8_t *p, size_t n, struct wshs_request *r)
{
	struct http_head h;
	const struct http_header *f;
	ssize_t len;

	if ((len = http_parse_request_head(p, n, &h)) <= 0)
		return len;
	if (strcmp(h.method, "GET") != 0 || h.http_major != 1 || h.http_minor != 1 ||
	    h.target_len == 0 || h.target[0] != '/' || h.target_len > WSHS_TARGET_MAX ||
	    h.has_content_length || h.chunked)
		return -1;
	if (!wshs_header_is(&h, "Upgrade", "websocket") || !wshs_header_is(&h, "Connection", "upgrade"))
		return -1;
	f = http_header_find(&h, "Sec-WebSocket-Version");
	if (f == NULL || f->value_len != 2 || memcmp(f->value, "13", 2) != 0)
		return -1;
	f = http_header_find(&h, "Sec-WebSocket-Key");
	if (f == NULL || !wshs_key_ok(f->value, f->value_len))
		return -1;
	memcpy(r->key, f->value, WSHS_KEY_LEN);
	r->key[WSHS_KEY_LEN] = '\0';
	memcpy(r->target, h.target, h.target_len);
	r->target[h.target_len] = '\0';
	r->host[0] = '\0';
	if ((f = http_header_find(&h, "Host")) != NULL) {
		if (f->value_len > WSHS_HOST_MAX)
			return -1;
		memcpy(r->host, f->value, f->value_len);
		r->host[f->value_len] = '\0';
	}
	return len;
}

ssize_t
wshs_parse_response(const uint8_t *p, size_t n, const char key[WSHS_KEY_LEN + 1], int *status)
{
	struct http_head h;
	const struct http_header *f;
	char want[WSHS_ACCEPT_LEN + 1];
	ssize_t len;

	if ((len = http_parse_response_head(p, n, &h)) <= 0)
		return len;
	*status = h.status;
	if (h.status != 101 || !wshs_header_is(&h, "Upgrade", "websocket") ||
	    !wshs_header_is(&h, "Connection", "upgrade"))
		return -1;
	f = http_header_find(&h, "Sec-WebSocket-Accept");
	if (f == NULL || wshs_accept(key, want) == -1 || f->value_len != WSHS_ACCEPT_LEN ||
	    memcmp(f->value, want, WSHS_ACCEPT_LEN) != 0)
		return -1;
	return len;
}

int
wshs_accept(const char *key, char out[WSHS_ACCEPT_LEN + 1])
{
	char in[WSHS_KEY_LEN + sizeof(wshs_guid)];
	uint8_t md[CRYPTO_SHA1_LEN];
	size_t kl = strlen(key);

	if (kl > WSHS_KEY_LEN)
		return -1;
	memcpy(in, key, kl);
	memcpy(in + kl, wshs_guid, sizeof(wshs_guid) - 1);
	if (crypto_sha1(in, kl + sizeof(wshs_guid) - 1, md) == -1 ||
	    crypto_base64(md, sizeof(md), out, WSHS_ACCEPT_LEN + 1) != WSHS_ACCEPT_LEN)
		return -1;
	return 0;
}

int
wshs_new_key(char out[WSHS_KEY_LEN + 1])
{
	uint8_t r[16];

	if (crypto_random(r, sizeof(r)) == -1 ||
	    crypto_base64(r, sizeof(r), out, WSHS_KEY_LEN + 1) != WSHS_KEY_LEN)
		return -1;
	return 0;
}

int
wshs_random(void *p, size_t n)
{
	return crypto_random(p, n);
}

static int
wshs_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

ssize_t
wshs_format_request(char *out, size_t cap, const char *host, const char *path, const char *key)
{
	int n;

	if (path[0] != '/' || !wshs_clean(host) || !wshs_clean(path) || !wshs_clean(key))
		return -1;
	n = snprintf(out, cap,
	             "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
	             path, host, key);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

ssize_t
wshs_format_response(char *out, size_t cap, const char *key)
{
	char acc[WSHS_ACCEPT_LEN + 1];
	int n;

	if (wshs_accept(key, acc) == -1)
		return -1;
	n = snprintf(out, cap,
	             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	             "Sec-WebSocket-Accept: %s\r\n\r\n",
	             acc);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
wshs_query_param(const char *target, const char *name, char *out, size_t cap)
{
	const char *q = strchr(target, '?');
	size_t nl = strlen(name);

	if (q == NULL)
		return 0;
	q++;
	while (*q != '\0' && *q != '#') {
		const char *end = q + strcspn(q, "&#");

		if ((size_t)(end - q) > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *v = q + nl + 1;
			size_t vl = (size_t)(end - v);

			if (vl >= cap || memchr(v, '%', vl) != NULL)
				return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 1;
		}
		q = *end == '&' ? end + 1 : end;
	}
	return 0;
}
