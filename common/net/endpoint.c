/* SPDX-License-Identifier: MIT */
/*
 * Endpoint parser (see endpoint.h). Strict on purpose: these strings
 * come from operators, and a typo must fail at startup with a reason,
 * not turn into a surprising address. Rules beyond the header:
 *
 * - Host: a bracketed IPv6 literal (no zone), or letters, digits, '.',
 *   '-' and '_'; an all-digits-and-dots host must be a valid IPv4
 *   literal, so "1.2.3.256" is an error and not a name to resolve.
 * - Port: 1..5 decimal digits, 0..65535; no sign, no hex.
 * - ws(s) path: starts with '/', printable ASCII without spaces.
 * - Option keys: [a-z0-9_-], unique; values any bytes but ','.
 *
 * Every field is copied with an explicit length check against its
 * _MAX, so no input can overflow struct endpoint.
 */
#include "net/endpoint.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"

__attribute__((format(printf, 3, 4)))
static int
ep_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
ep_namechar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_';
}

/* Store host s[0..n) into ep; brackets already removed when v6. */
static int
ep_host(struct endpoint *ep, const char *s, size_t n, int v6, char *err, size_t errlen)
{
	struct in6_addr a6;
	struct in_addr a4;
	size_t i;
	int numeric = 1;

	if (n == 0)
		return ep_err(err, errlen, "missing host");
	if (n > ENDPOINT_HOST_MAX)
		return ep_err(err, errlen, "host longer than %d bytes", ENDPOINT_HOST_MAX);
	memcpy(ep->host, s, n);
	ep->host[n] = '\0';
	if (v6) {
		if (inet_pton(AF_INET6, ep->host, &a6) != 1)
			return ep_err(err, errlen, "bad IPv6 address in brackets");
		ep->host_is_v6 = 1;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			return ep_err(err, errlen, "IPv6 address must be in brackets");
		if (!ep_namechar(s[i]))
			return ep_err(err, errlen, "bad character in host");
		if (s[i] != '.' && (s[i] < '0' || s[i] > '9'))
			numeric = 0;
	}
	if (numeric && inet_pton(AF_INET, ep->host, &a4) != 1)
		return ep_err(err, errlen, "bad IPv4 address");
	return 0;
}

/*
 * HOST:PORT or [V6]:PORT in s[0..n). With need_port 0, the ":PORT" may
 * be absent (ws URLs) and ep->port keeps its default.
 */
static int
ep_hostport(struct endpoint *ep, const char *s, size_t n, int need_port, char *err,
    size_t errlen)
{
	const char *end = s + n, *host = s, *hend, *colon;
	int v6 = 0;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL)
			return ep_err(err, errlen, "missing ']' after IPv6 address");
		if (rb + 1 < end && rb[1] != ':')
			return ep_err(err, errlen, "expected ':' after ']'");
		host = s + 1;
		hend = rb;
		colon = rb + 1 < end ? rb + 1 : NULL;
		v6 = 1;
	} else {
		colon = memrchr(s, ':', n);
		hend = colon ? colon : end;
	}
	if (ep_host(ep, host, (size_t)(hend - host), v6, err, errlen) == -1)
		return -1;
	if (colon == NULL) {
		if (need_port)
			return ep_err(err, errlen, "missing port");
		return 0;
	}
	if (num_parse_port(colon + 1, (size_t)(end - colon - 1), &ep->port) == -1)
		return ep_err(err, errlen, "bad port (want 0-65535 in decimal)");
	return 0;
}

static int
ep_url(struct endpoint *ep, const char *s, size_t n, char *err, size_t errlen)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n, plen, i;

	if (ep_hostport(ep, s, alen, 0, err, errlen) == -1)
		return -1;
	if (slash == NULL) {
		ep->path[0] = '/';
		ep->path[1] = '\0';
		return 0;
	}
	plen = n - alen;
	if (plen > ENDPOINT_PATH_MAX)
		return ep_err(err, errlen, "URL path longer than %d bytes", ENDPOINT_PATH_MAX);
	for (i = 0; i < plen; i++)
		if (slash[i] <= ' ' || slash[i] > '~')
			return ep_err(err, errlen, "bad character in URL path");
	memcpy(ep->path, slash, plen);
	ep->path[plen] = '\0';
	return 0;
}

static int
ep_opt(struct endpoint *ep, const char *s, size_t n, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n, vlen = eq ? n - klen - 1 : 0, i;
	struct endpoint_opt *o;

	if (klen == 0)
		return ep_err(err, errlen, "empty option");
	if (klen > ENDPOINT_OPTKEY_MAX)
		return ep_err(err, errlen, "option name longer than %d bytes", ENDPOINT_OPTKEY_MAX);
	for (i = 0; i < klen; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return ep_err(err, errlen, "bad character in option name");
	if (vlen > ENDPOINT_OPTVAL_MAX)
		return ep_err(err, errlen, "option value longer than %d bytes", ENDPOINT_OPTVAL_MAX);
	if (ep->nopts == ENDPOINT_OPTS_MAX)
		return ep_err(err, errlen, "more than %d options", ENDPOINT_OPTS_MAX);
	o = &ep->opts[ep->nopts];
	memcpy(o->key, s, klen);
	o->key[klen] = '\0';
	if (endpoint_opt(ep, o->key) != NULL)
		return ep_err(err, errlen, "option '%s' given twice", o->key);
	memcpy(o->val, eq ? eq + 1 : "", vlen);
	o->val[vlen] = '\0';
	o->has_val = eq != NULL;
	ep->nopts++;
	return 0;
}

static int
ep_prefix(const char *s, size_t n, const char *pfx)
{
	size_t l = strlen(pfx);

	return n >= l && memcmp(s, pfx, l) == 0;
}

int
endpoint_parse(const char *s, struct endpoint *ep, char *err, size_t errlen)
{
	const char *comma, *end;
	size_t n;

	if (errlen > 0)
		err[0] = '\0';
	memset(ep, 0, sizeof(*ep));
	if (s == NULL)
		return ep_err(err, errlen, "no endpoint");
	n = strnlen(s, ENDPOINT_STR_MAX + 1);
	if (n > ENDPOINT_STR_MAX)
		return ep_err(err, errlen, "endpoint longer than %d bytes", ENDPOINT_STR_MAX);
	end = s + n;
	comma = memchr(s, ',', n);
	if (comma != NULL) {
		const char *o = comma + 1;

		for (;;) {
			const char *c = memchr(o, ',', (size_t)(end - o));
			const char *oe = c ? c : end;

			if (ep_opt(ep, o, (size_t)(oe - o), err, errlen) == -1)
				return -1;
			if (c == NULL)
				break;
			o = c + 1;
		}
		n = (size_t)(comma - s);
	}

	if (n == 1 && s[0] == '-') {
		ep->kind = EP_STDIO;
		return 0;
	}
	if (ep_prefix(s, n, "tcp:") || ep_prefix(s, n, "udp:")) {
		ep->kind = s[0] == 't' ? EP_TCP : EP_UDP;
		return ep_hostport(ep, s + 4, n - 4, 1, err, errlen);
	}
	if (ep_prefix(s, n, "unix:")) {
		ep->kind = EP_UNIX;
		if (n == 5)
			return ep_err(err, errlen, "missing UNIX socket path");
		if (n - 5 > ENDPOINT_UNIX_MAX)
			return ep_err(err, errlen, "UNIX socket path longer than %d bytes",
			    ENDPOINT_UNIX_MAX);
		memcpy(ep->path, s + 5, n - 5);
		ep->path[n - 5] = '\0';
		return 0;
	}
	if (ep_prefix(s, n, "ws://")) {
		ep->kind = EP_WS;
		ep->port = 80;
		return ep_url(ep, s + 5, n - 5, err, errlen);
	}
	if (ep_prefix(s, n, "wss://")) {
		ep->kind = EP_WSS;
		ep->port = 443;
		return ep_url(ep, s + 6, n - 6, err, errlen);
	}
	return ep_err(err, errlen, "unknown endpoint (want tcp:, udp:, unix:, ws://, wss:// or -)");
}

int
endpoint_format(const struct endpoint *ep, char *out, size_t outlen)
{
	const char *l = ep->host_is_v6 ? "[" : "", *r = ep->host_is_v6 ? "]" : "";
	int k;

	switch (ep->kind) {
	case EP_TCP:
	case EP_UDP:
		k = snprintf(out, outlen, "%s:%s%s%s:%u", ep->kind == EP_TCP ? "tcp" : "udp",
		    l, ep->host, r, (unsigned)ep->port);
		break;
	case EP_UNIX:
		k = snprintf(out, outlen, "unix:%s", ep->path);
		break;
	case EP_WS:
	case EP_WSS:
		k = snprintf(out, outlen, "%s://%s%s%s:%u%s", ep->kind == EP_WS ? "ws" : "wss",
		    l, ep->host, r, (unsigned)ep->port, ep->path);
		break;
	case EP_STDIO:
		k = snprintf(out, outlen, "-");
		break;
	default:
		return -1;
	}
	if (k < 0 || (size_t)k >= outlen)
		return -1;
	return 0;
}

const struct endpoint_opt *
endpoint_opt(const struct endpoint *ep, const char *key)
{
	size_t i;

	for (i = 0; i < ep->nopts; i++)
		if (strcmp(ep->opts[i].key, key) == 0)
			return &ep->opts[i];
	return NULL;
}
