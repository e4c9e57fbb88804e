/* SPDX-License-Identifier: MIT */
/*
 * See stun_uri.h. The parser walks the input once, left to right:
 * scheme, host, optional port, optional query; every length is checked
 * against what remains and against STUN_URI_HOST_MAX before copying.
 */
#include "stun/stunuri.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/num.h"

static int
uri_err(char *err, size_t errlen, const char *why)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", why);
	return -1;
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_';
}

static int
prefix_ci(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && strncasecmp(p, s, k) == 0;
}

/* Decimal port 1..65535, digits only. */
static int
parse_port(const char *p, size_t n, uint16_t *port)
{
	return num_parse_port(p, n, port) == -1 || *port == 0 ? -1 : 0;
}

/* Host at p: "[v6]" or a name / IPv4 literal; returns bytes used or -1. */
static int
parse_host(const char *p, size_t n, struct stun_uri *u)
{
	char tmp[STUN_URI_HOST_MAX + 1];
	struct in6_addr a6;
	size_t i;

	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);
		size_t hl;

		if (close == NULL)
			return -1;
		hl = (size_t)(close - p) - 1;
		if (hl == 0 || hl >= sizeof(tmp))
			return -1;
		memcpy(tmp, p + 1, hl);
		tmp[hl] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return -1;
		memcpy(u->host, tmp, hl + 1);
		u->host_is_v6 = 1;
		return (int)hl + 2;
	}
	for (i = 0; i < n && is_name_char(p[i]); i++)
		;
	if (i == 0 || i > STUN_URI_HOST_MAX)
		return -1;
	if (p[0] == '.' || p[0] == '-')
		return -1;
	memcpy(tmp, p, i);
	tmp[i] = '\0';
	if (strstr(tmp, "..") != NULL)
		return -1;
	memcpy(u->host, tmp, i + 1);
	u->host_is_v6 = 0;
	return (int)i;
}

int
stun_uri_parse(const char *p, size_t n, struct stun_uri *u, char *err, size_t errlen)
{
	const char *end;
	int secure, hl;

	if (errlen > 0)
		err[0] = '\0';
	memset(u, 0, sizeof(*u));
	if (n > STUN_URI_MAX)
		return uri_err(err, errlen, "URI too long");
	if (memchr(p, '\0', n) != NULL)
		return uri_err(err, errlen, "NUL byte in URI");
	end = p + n;
	if (prefix_ci(p, n, "stuns:")) {
		secure = 1;
		p += 6;
	} else if (prefix_ci(p, n, "stun:")) {
		secure = 0;
		p += 5;
	} else if (prefix_ci(p, n, "turns:")) {
		u->turn = secure = 1;
		p += 6;
	} else if (prefix_ci(p, n, "turn:")) {
		u->turn = 1;
		secure = 0;
		p += 5;
	} else
		return uri_err(err, errlen, "scheme must be stun:, stuns:, turn: or turns:");
	u->transport = secure ? STUN_URI_TLS : STUN_URI_UDP;
	u->port = secure ? STUN_URI_PORT_STUNS : STUN_URI_PORT_STUN;

	hl = parse_host(p, (size_t)(end - p), u);
	if (hl == -1)
		return uri_err(err, errlen, "bad host");
	p += hl;
	if (p < end && *p == ':') {
		const char *q = ++p;

		while (p < end && *p != '?')
			p++;
		if (parse_port(q, (size_t)(p - q), &u->port) == -1)
			return uri_err(err, errlen, "bad port");
	}
	if (p == end)
		return 0;
	if (*p != '?')
		return uri_err(err, errlen, "junk after host");
	p++;
	if (!u->turn)
		return uri_err(err, errlen, "stun: URIs take no query");
	if ((size_t)(end - p) == 13 && memcmp(p, "transport=udp", 13) == 0) {
		if (secure)
			return uri_err(err, errlen, "turns: over udp (DTLS) is not supported");
		u->transport = STUN_URI_UDP;
		return 0;
	}
	if ((size_t)(end - p) == 13 && memcmp(p, "transport=tcp", 13) == 0) {
		u->transport = secure ? STUN_URI_TLS : STUN_URI_TCP;
		return 0;
	}
	return uri_err(err, errlen, "query must be transport=udp or transport=tcp");
}

int
stun_uri_format(const struct stun_uri *u, char *out, size_t outlen)
{
	const char *scheme;
	const char *query = "";
	int r;

	if (u->turn) {
		scheme = u->transport == STUN_URI_TLS ? "turns" : "turn";
		if (u->transport == STUN_URI_TCP)
			query = "?transport=tcp";
	} else
		scheme = u->transport == STUN_URI_TLS ? "stuns" : "stun";
	r = snprintf(out, outlen, u->host_is_v6 ? "%s:[%s]:%u%s" : "%s:%s:%u%s", scheme, u->host,
	    (unsigned)u->port, query);
	return r < 0 || (size_t)r >= outlen ? -1 : 0;
}
