/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 address form (see socksaddr.h). The decoder is strict about
 * what it can check without resolving: a known ATYP, a name of 1..255
 * bytes with no NUL (a NUL would silently shorten the name later handed
 * to the resolver). Other bytes in names are the resolver's problem, but
 * socksaddr_format replaces control bytes with '?' so a hostile name
 * cannot forge log lines.
 */
#include "proto/socksaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static size_t
socksaddr_addrlen(uint8_t atyp)
{
	switch (atyp) {
	case SOCKS_ATYP_IPV4:
		return 4;
	case SOCKS_ATYP_IPV6:
		return 16;
	default:
		return 0;
	}
}

ssize_t
socksaddr_decode(const uint8_t *p, size_t n, struct socksaddr *sa)
{
	size_t alen, off;

	if (n < 1)
		return 0;
	switch (p[0]) {
	case SOCKS_ATYP_IPV4:
	case SOCKS_ATYP_IPV6:
		alen = socksaddr_addrlen(p[0]);
		off = 1;
		break;
	case SOCKS_ATYP_DOMAIN:
		if (n < 2)
			return 0;
		alen = p[1];
		if (alen == 0)
			return -1;
		off = 2;
		break;
	default:
		return -1;
	}
	if (n < off + alen + 2)
		return 0;
	memset(sa, 0, sizeof(*sa));
	sa->atyp = p[0];
	if (p[0] == SOCKS_ATYP_DOMAIN) {
		if (memchr(p + off, '\0', alen) != NULL)
			return -1;
		memcpy(sa->name, p + off, alen);
		sa->name[alen] = '\0';
	} else
		memcpy(sa->addr, p + off, alen);
	sa->port = (uint16_t)(p[off + alen] << 8 | p[off + alen + 1]);
	return (ssize_t)(off + alen + 2);
}

ssize_t
socksaddr_encode(const struct socksaddr *sa, uint8_t *out, size_t outlen)
{
	size_t alen, off;

	switch (sa->atyp) {
	case SOCKS_ATYP_IPV4:
	case SOCKS_ATYP_IPV6:
		alen = socksaddr_addrlen(sa->atyp);
		off = 1;
		break;
	case SOCKS_ATYP_DOMAIN:
		alen = strnlen(sa->name, sizeof(sa->name));
		if (alen == 0 || alen > SOCKSADDR_NAME_MAX)
			return -1;
		off = 2;
		break;
	default:
		return -1;
	}
	if (outlen < off + alen + 2)
		return -1;
	out[0] = sa->atyp;
	if (sa->atyp == SOCKS_ATYP_DOMAIN) {
		out[1] = (uint8_t)alen;
		memcpy(out + off, sa->name, alen);
	} else
		memcpy(out + off, sa->addr, alen);
	out[off + alen] = (uint8_t)(sa->port >> 8);
	out[off + alen + 1] = (uint8_t)sa->port;
	return (ssize_t)(off + alen + 2);
}

int
socksaddr_set(struct socksaddr *sa, const char *host, uint16_t port)
{
	char tmp[INET6_ADDRSTRLEN];
	size_t len;

	if (host == NULL)
		return -1;
	len = strnlen(host, SOCKSADDR_NAME_MAX + 1);
	if (len == 0 || len > SOCKSADDR_NAME_MAX)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->port = port;
	if (host[0] == '[') {
		/* Brackets only ever wrap an IPv6 literal. */
		if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof(tmp))
			return -1;
		memcpy(tmp, host + 1, len - 2);
		tmp[len - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, sa->addr) != 1)
			return -1;
		sa->atyp = SOCKS_ATYP_IPV6;
		return 0;
	}
	if (inet_pton(AF_INET, host, sa->addr) == 1) {
		sa->atyp = SOCKS_ATYP_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, sa->addr) == 1) {
		sa->atyp = SOCKS_ATYP_IPV6;
		return 0;
	}
	/* A ':' left here means a broken v6 literal or "host:port" typo. */
	if (strchr(host, ':') != NULL || strchr(host, ']') != NULL)
		return -1;
	sa->atyp = SOCKS_ATYP_DOMAIN;
	memcpy(sa->name, host, len + 1);
	return 0;
}

int
socksaddr_format(const struct socksaddr *sa, char *out, size_t outlen)
{
	char host[SOCKSADDR_NAME_MAX + 1];
	int r, v6 = 0;

	switch (sa->atyp) {
	case SOCKS_ATYP_IPV4:
		inet_ntop(AF_INET, sa->addr, host, sizeof(host));
		break;
	case SOCKS_ATYP_IPV6:
		/* inet_ntop prints v4-mapped addresses as ::ffff:a.b.c.d. */
		inet_ntop(AF_INET6, sa->addr, host, sizeof(host));
		v6 = 1;
		break;
	case SOCKS_ATYP_DOMAIN: {
		size_t i, len = strnlen(sa->name, SOCKSADDR_NAME_MAX);

		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)sa->name[i];

			host[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
		host[len] = '\0';
		break;
	}
	default:
		return -1;
	}
	if (v6)
		r = snprintf(out, outlen, "[%s]:%u", host, (unsigned)sa->port);
	else
		r = snprintf(out, outlen, "%s:%u", host, (unsigned)sa->port);
	if (r < 0 || (size_t)r >= outlen)
		return -1;
	return 0;
}

int
socksaddr_to_sockaddr(const struct socksaddr *sa, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (sa->atyp == SOCKS_ATYP_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, sa->addr, 4);
		sin->sin_port = htons(sa->port);
		*len = sizeof(*sin);
		return 0;
	}
	if (sa->atyp == SOCKS_ATYP_IPV6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, sa->addr, 16);
		sin6->sin6_port = htons(sa->port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int
socksaddr_from_sockaddr(struct socksaddr *sa, const struct sockaddr *s)
{
	memset(sa, 0, sizeof(*sa));
	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)s;

		sa->atyp = SOCKS_ATYP_IPV4;
		memcpy(sa->addr, &sin->sin_addr, 4);
		sa->port = ntohs(sin->sin_port);
		return 0;
	}
	if (s->sa_family == AF_INET6) {
		/* v4-mapped stays IPv6: it is what the socket really saw. */
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)s;

		sa->atyp = SOCKS_ATYP_IPV6;
		memcpy(sa->addr, &sin6->sin6_addr, 16);
		sa->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}
