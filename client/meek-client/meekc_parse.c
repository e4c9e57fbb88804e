/* SPDX-License-Identifier: MIT */
/*
 * meek-client's pure functions: --url, --front and --header parsing, the
 * idle poll schedule, request head formatting and response framing. No
 * I/O and no globals, so the Check suite and the fuzzers link them as
 * they are. Every length is checked against a MEEKC_*_MAX before a copy.
 */
#include "meekc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/httpbody.h"
#include "proto/meek.h"
#include "base/num.h"

static int
host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

static int
token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Decimal 1..65535, no sign, no leading zero. */
static int
parse_port(const char *s, size_t n, uint16_t *port)
{
	return n > 0 && s[0] == '0' ? -1 : num_parse_port(s, n, port);
}

/*
 * "host", "host:port", "[v6]" or "[v6]:port" in s[0..n). The port is
 * left alone when absent; *has_port says whether one was written.
 */
static int
parse_hostport(const char *s, size_t n, char *host, int *is_v6, uint16_t *port, int *has_port)
{
	const char *hend, *colon = NULL;
	size_t hlen, i;
	struct in6_addr a6;

	*is_v6 = 0;
	*has_port = 0;
	if (n == 0)
		return -1;
	if (s[0] == '[') {
		hend = memchr(s, ']', n);
		if (hend == NULL)
			return -1;
		hlen = (size_t)(hend - s) - 1;
		if (hend + 1 < s + n) {
			if (hend[1] != ':')
				return -1;
			colon = hend + 1;
		}
		if (hlen == 0 || hlen > MEEKC_HOST_MAX)
			return -1;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -1;
		*is_v6 = 1;
	} else {
		colon = memchr(s, ':', n);
		hlen = colon != NULL ? (size_t)(colon - s) : n;
		if (hlen == 0 || hlen > MEEKC_HOST_MAX)
			return -1;
		for (i = 0; i < hlen; i++)
			if (!host_char((unsigned char)s[i]))
				return -1;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	if (colon != NULL) {
		if (parse_port(colon + 1, (size_t)(s + n - colon - 1), port) == -1)
			return -1;
		*has_port = 1;
	}
	return 0;
}

static int
is_ip_literal(const char *host, int is_v6)
{
	struct in_addr a4;

	return is_v6 || inet_pton(AF_INET, host, &a4) == 1;
}

int
meekc_parse_url(const char *s, int allow_http, struct meekc_url *u, char *err, size_t errlen)
{
	size_t n = strlen(s), alen, plen, i;
	const char *auth, *path;

	memset(u, 0, sizeof(*u));
	if (n > MEEKC_URL_MAX) {
		snprintf(err, errlen, "URL longer than %d bytes", MEEKC_URL_MAX);
		return -1;
	}
	if (strncasecmp(s, "https://", 8) == 0) {
		u->https = 1;
		auth = s + 8;
		u->port = 443;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		if (!allow_http) {
			snprintf(err, errlen, "http:// URLs need --insecure-plaintext");
			return -1;
		}
		auth = s + 7;
		u->port = 80;
	} else {
		snprintf(err, errlen, "not an https:// URL");
		return -1;
	}
	path = strchr(auth, '/');
	alen = path != NULL ? (size_t)(path - auth) : strlen(auth);
	if (memchr(auth, '@', alen) != NULL) {
		snprintf(err, errlen, "user information in the URL is not supported");
		return -1;
	}
	if (memchr(auth, '?', alen) != NULL || memchr(auth, '#', alen) != NULL ||
	    parse_hostport(auth, alen, u->host, &u->host_is_v6, &u->port, &u->port_given) == -1) {
		snprintf(err, errlen, "bad host or port in the URL");
		return -1;
	}
	u->host_is_ip = is_ip_literal(u->host, u->host_is_v6);
	if (path == NULL) {
		snprintf(u->path, sizeof(u->path), "/");
		return 0;
	}
	plen = strlen(path);
	if (plen > MEEKC_PATH_MAX) {
		snprintf(err, errlen, "URL path longer than %d bytes", MEEKC_PATH_MAX);
		return -1;
	}
	for (i = 0; i < plen; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c <= 0x20 || c >= 0x7f || c == '#') {
			snprintf(err, errlen, "URL path has a space, control, '#' or non-ASCII byte");
			return -1;
		}
	}
	memcpy(u->path, path, plen + 1);
	return 0;
}

/* Copy an option value of n bytes: a host name (may be empty when empty_ok). */
static int
copy_name(char *dst, const char *v, size_t n, int empty_ok)
{
	size_t i;

	if ((n == 0 && !empty_ok) || n > MEEKC_HOST_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!host_char((unsigned char)v[i]))
			return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int
meekc_parse_front(const char *s, const struct meekc_url *u, struct meekc_front *f, char *err,
                  size_t errlen)
{
	const char *comma = strchr(s, ','), *opt, *end, *eq;
	size_t alen = comma != NULL ? (size_t)(comma - s) : strlen(s);
	int has_port, has_sni = 0, has_verify = 0;

	memset(f, 0, sizeof(*f));
	f->port = 443;
	if (parse_hostport(s, alen, f->host, &f->host_is_v6, &f->port, &has_port) == -1) {
		snprintf(err, errlen, "bad front address (want ADDR[:PORT], [v6] bracketed)");
		return -1;
	}
	for (opt = comma; opt != NULL; opt = end) {
		opt++;
		end = strchr(opt, ',');
		size_t olen = end != NULL ? (size_t)(end - opt) : strlen(opt);
		eq = memchr(opt, '=', olen);
		if (eq == NULL) {
			snprintf(err, errlen, "front option without '=': want sni=NAME or verify=NAME");
			return -1;
		}
		size_t klen = (size_t)(eq - opt), vlen = olen - klen - 1;
		if (klen == 3 && memcmp(opt, "sni", 3) == 0 && !has_sni) {
			if (copy_name(f->sni, eq + 1, vlen, 1) == -1) {
				snprintf(err, errlen, "bad sni= name");
				return -1;
			}
			has_sni = 1;
		} else if (klen == 6 && memcmp(opt, "verify", 6) == 0 && !has_verify) {
			if (copy_name(f->verify, eq + 1, vlen, 0) == -1) {
				snprintf(err, errlen, "bad verify= name");
				return -1;
			}
			has_verify = 1;
		} else {
			snprintf(err, errlen, "unknown or repeated front option (want sni=, verify=)");
			return -1;
		}
	}
	if (!has_sni && !is_ip_literal(f->host, f->host_is_v6))
		memcpy(f->sni, f->host, sizeof(f->sni));
	if (has_verify)
		return 0;
	if (f->sni[0] != '\0') {
		memcpy(f->verify, f->sni, sizeof(f->verify));
		return 0;
	}
	if (has_sni) {
		snprintf(err, errlen, "front with empty sni= needs verify=NAME");
		return -1;
	}
	if (copy_name(f->verify, u->host, strlen(u->host), 0) == -1 || u->host_is_v6) {
		snprintf(err, errlen, "front needs sni= or verify= (the URL host is an address)");
		return -1;
	}
	return 0;
}

static const char *const reserved_headers[] = {
	"Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Connection",
	MEEK_HDR_SESSION, MEEK_HDR_SEQ, MEEK_HDR_MAX_BODY, MEEK_HDR_AUTH,
};

int
meekc_parse_header(const char *s, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *colon = strchr(s, ':'), *v;
	size_t nlen, vlen, i;
	int w;

	if (strlen(s) > MEEKC_HEADER_LINE_MAX) {
		snprintf(err, errlen, "header longer than %d bytes", MEEKC_HEADER_LINE_MAX);
		return -1;
	}
	if (colon == NULL || colon == s) {
		snprintf(err, errlen, "want 'Name: value'");
		return -1;
	}
	nlen = (size_t)(colon - s);
	for (i = 0; i < nlen; i++)
		if (!token_char((unsigned char)s[i])) {
			snprintf(err, errlen, "header name is not a token");
			return -1;
		}
	for (i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++)
		if (strlen(reserved_headers[i]) == nlen && strncasecmp(s, reserved_headers[i], nlen) == 0) {
			snprintf(err, errlen, "%s is set by meek-client%s", reserved_headers[i],
			         i == 8 ? "; use --auth-token-file" : "");
			return -1;
		}
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	vlen = strlen(v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(err, errlen, "control byte in header value");
			return -1;
		}
	}
	w = snprintf(out, outlen, "%.*s: %.*s\r\n", (int)nlen, s, (int)vlen, v);
	if (w < 0 || (size_t)w >= outlen) {
		snprintf(err, errlen, "headers too long");
		return -1;
	}
	return w;
}

unsigned
meekc_poll_next(unsigned cur_ms, int moved_bytes)
{
	unsigned next;

	if (moved_bytes)
		return 0;
	if (cur_ms == 0)
		return MEEK_POLL_MIN_MS;
	next = cur_ms + cur_ms / 2;
	return next > MEEK_POLL_MAX_MS || next < cur_ms ? MEEK_POLL_MAX_MS : next;
}

ssize_t
meekc_resp_frame(const uint8_t *p, size_t n, size_t cap, struct http_head *h,
                 struct meekc_resp *r)
{
	size_t off = 0, dec;
	ssize_t hl, bl;

	memset(r, 0, sizeof(*r));
	for (;;) {
		hl = http_parse_response_head(p + off, n - off, h);
		if (hl <= 0)
			return hl;
		off += (size_t)hl;
		if (h->status >= 200)
			break;
		/* 101 would switch protocols: never asked for. Other 1xx: skip. */
		if (h->status == 101 || h->has_content_length || h->chunked)
			return -1;
	}
	r->status = h->status;
	r->keep_alive = h->keep_alive;
	r->body_off = off;
	if (h->status != 200) {
		r->keep_alive = 0;
		return (ssize_t)off;
	}
	if (h->chunked) {
		bl = http_chunked_decode(p + off, n - off, NULL, cap, &dec);
		if (bl <= 0)
			return bl;
		r->chunked = 1;
		r->body_enc = (size_t)bl;
		r->body_len = dec;
		return (ssize_t)(off + (size_t)bl);
	}
	/* A 200 without framing would be read to EOF: meek servers never send one. */
	if (!h->has_content_length || h->content_length > cap)
		return -1;
	if (h->content_length > n - off)
		return 0;
	r->body_enc = r->body_len = (size_t)h->content_length;
	return (ssize_t)(off + r->body_len);
}

int
meekc_format_head(const struct meekc_req_params *rp, size_t body_len, char *out, size_t outlen)
{
	const struct meekc_url *u = rp->url;
	char port[8] = "";
	int w;

	if (u->port_given)
		snprintf(port, sizeof(port), ":%u", (unsigned)u->port);
	w = snprintf(out, outlen,
	             "POST %s HTTP/1.1\r\n"
	             "Host: %s%s%s%s\r\n"
	             "Content-Type: application/octet-stream\r\n"
	             MEEK_HDR_SESSION ": %s\r\n"
	             MEEK_HDR_SEQ ": %llu\r\n"
	             MEEK_HDR_MAX_BODY ": %zu\r\n"
	             "%s%s%s%s"
	             "Content-Length: %zu\r\n"
	             "\r\n",
	             u->path, u->host_is_v6 ? "[" : "", u->host, u->host_is_v6 ? "]" : "", port,
	             rp->session_id, (unsigned long long)rp->seq, rp->max_body,
	             rp->pipe != NULL ? MEEK_HDR_PIPELINE ": " : "", rp->pipe != NULL ? rp->pipe : "",
	             rp->pipe != NULL ? "\r\n" : "", rp->extra, body_len);
	if (w < 0 || (size_t)w >= outlen)
		return -1;
	return w;
}

/* A web page: what a wrong path or a wrong host serves. */
static int
ctype_is_page(const char *ctype)
{
	static const char *const pages[] = { "text/html", "application/xhtml+xml" };
	size_t i, n;

	if (ctype == NULL)
		return 0;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		n = strlen(pages[i]);
		if (strncasecmp(ctype, pages[i], n) == 0 &&
		    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' '))
			return 1;
	}
	return 0;
}

enum meekc_answer_kind
meekc_answer_kind(int status, const char *ctype)
{
	switch (status) {
	case 200:
		return ctype_is_page(ctype) ? MEEKC_ANS_NOT_MEEK : MEEKC_ANS_OK;
	case 410:
		return MEEKC_ANS_GONE;
	case 429:
	case 502:
	case 503:
	case 504:
		return MEEKC_ANS_RETRY;
	case 400:
	case 403:
	case 404:
	case 405:
	case 411:
	case 413:
		return ctype_is_page(ctype) ? MEEKC_ANS_NOT_MEEK : MEEKC_ANS_FAIL;
	}
	return MEEKC_ANS_NOT_MEEK;
}
