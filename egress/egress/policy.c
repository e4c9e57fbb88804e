/* SPDX-License-Identifier: MIT */
/*
 * Destination policy: rule parsing, the default deny list and matching.
 *
 * The defaults keep a public relay away from the operator's own network:
 * "this network", loopback, RFC 1918, CGNAT, link-local (cloud metadata
 * lives at 169.254.169.254), multicast and the reserved block, their
 * IPv6 counterparts, and SMTP. Each IPv4 range is also denied in the
 * IPv6 forms that a gateway on the path could translate back to IPv4:
 * IPv4-mapped (implicit, see policy.h), NAT64 64:ff9b::/96 and 6to4
 * 2002::/16. Teredo (2001::/32) hides its IPv4 address and is not
 * decoded; the man page says so.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"

static const char *const policy_default_v4[] = {
	"0.0.0.0/8",    "127.0.0.0/8",    "10.0.0.0/8",  "172.16.0.0/12", "192.168.0.0/16",
	"100.64.0.0/10", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
};

static const char *const policy_default_other[] = {
	"[::]/96",          /* unspecified, loopback, deprecated IPv4-compatible */
	"fc00::/7",         /* unique local (includes AWS fd00:ec2::254) */
	"fe80::/10",        /* link-local */
	"ff00::/8",         /* multicast */
	"[64:ff9b:1::]/48", /* local-use NAT64 (RFC 8215): embedding is site-defined */
	"*:25",             /* SMTP: a relay must not become a spam cannon */
};

static const uint8_t policy_v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int
policy_err(char *err, size_t errlen, const char *why)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", why);
	return -1;
}

static int
policy_host_bits_clear(const uint8_t net[16], unsigned plen)
{
	unsigned i;

	for (i = plen / 8; i < 16; i++) {
		uint8_t mask = i == plen / 8 ? (uint8_t)(0xff >> (plen % 8)) : 0xff;

		if (net[i] & mask)
			return 0;
	}
	return 1;
}

/* "PORT" or "LOW-HIGH"; ports 1..65535. */
static int
policy_parse_ports(const char *s, struct policy_rule *r, char *err, size_t errlen)
{
	char tmp[16];
	const char *dash = strchr(s, '-');
	uint64_t lo, hi;

	if (strlen(s) >= sizeof(tmp))
		return policy_err(err, errlen, "bad port");
	if (dash == NULL) {
		if (num_parse_u64(s, 1, 65535, &lo) == -1)
			return policy_err(err, errlen, "bad port (1-65535)");
		r->lo = r->hi = (uint16_t)lo;
		return 0;
	}
	memcpy(tmp, s, (size_t)(dash - s));
	tmp[dash - s] = '\0';
	if (num_parse_u64(tmp, 1, 65535, &lo) == -1 || num_parse_u64(dash + 1, 1, 65535, &hi) == -1)
		return policy_err(err, errlen, "bad port range (1-65535)");
	if (lo > hi)
		return policy_err(err, errlen, "port range low > high");
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

/*
 * Split s into address text, optional prefix text and optional port text.
 * Brackets are required around an IPv6 address followed by a port, since
 * "::1:80" is itself a valid address; an unbracketed IPv6 rule has no port.
 */
static int
policy_split(const char *s, char *addr, size_t addrlen, const char **plen, const char **ports,
             int *v6, char *err, size_t errlen)
{
	const char *end, *p;
	size_t alen;

	*plen = *ports = NULL;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return policy_err(err, errlen, "missing ']'");
		p = s + 1;
		alen = (size_t)(end - p);
		*v6 = 1;
		end++;
		if (*end == '/') {
			*plen = end + 1;
			end = strchr(end, ':');
		} else if (*end != ':' && *end != '\0') {
			return policy_err(err, errlen, "junk after ']'");
		}
	} else if (s[0] == '*') {
		p = s;
		alen = 1;
		*v6 = 1;
		end = s + 1;
		if (*end != ':' && *end != '\0')
			return policy_err(err, errlen, "junk after '*'");
	} else {
		const char *colon = strchr(s, ':');

		*v6 = colon != NULL && strchr(colon + 1, ':') != NULL;
		p = s;
		end = *v6 ? NULL : colon;
		alen = end ? (size_t)(end - s) : strlen(s);
		if ((*plen = memchr(s, '/', alen)) != NULL) {
			alen = (size_t)(*plen - s);
			(*plen)++;
		}
	}
	if (end != NULL && *end == ':')
		*ports = end + 1;
	if (alen == 0 || alen >= addrlen)
		return policy_err(err, errlen, "bad address");
	memcpy(addr, p, alen);
	addr[alen] = '\0';
	return 0;
}

/* The prefix length text ends at ':' or at the end of the string. */
static int
policy_parse_plen(const char *s, unsigned max, unsigned *out)
{
	char tmp[8];
	size_t n = strcspn(s, ":");
	uint64_t v;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (num_parse_u64(tmp, 0, max, &v) == -1)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
policy_parse_rule(const char *s, int allow, struct policy_rule *r, char *err, size_t errlen)
{
	char addr[64];
	const char *plen_s, *ports_s;
	unsigned plen, maxlen;
	int v6;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || strlen(s) >= POLICY_RULE_STR_MAX)
		return policy_err(err, errlen, "rule too long");
	memset(r, 0, sizeof(*r));
	r->allow = allow ? 1 : 0;
	r->lo = 0;
	r->hi = 65535;
	if (policy_split(s, addr, sizeof(addr), &plen_s, &ports_s, &v6, err, errlen) == -1)
		return -1;

	if (strcmp(addr, "*") == 0 && s[0] == '*') {
		maxlen = 0;
		plen = 0;
		if (plen_s != NULL)
			return policy_err(err, errlen, "'*' takes no prefix length");
	} else if (v6) {
		if (inet_pton(AF_INET6, addr, r->net) != 1)
			return policy_err(err, errlen, "bad IPv6 address");
		maxlen = 128;
		plen = 128;
	} else {
		memcpy(r->net, policy_v4mapped, 12);
		if (inet_pton(AF_INET, addr, r->net + 12) != 1)
			return policy_err(err, errlen, "bad IPv4 address");
		maxlen = 32;
		plen = 32;
	}
	if (plen_s != NULL && policy_parse_plen(plen_s, maxlen, &plen) == -1)
		return policy_err(err, errlen,
		                  v6 ? "bad prefix length (0-128)" : "bad prefix length (0-32)");
	if (!v6)
		plen += 96;
	if (!policy_host_bits_clear(r->net, plen))
		return policy_err(err, errlen, "address has bits set beyond the prefix length");
	r->plen = (uint8_t)plen;
	if (ports_s != NULL && policy_parse_ports(ports_s, r, err, errlen) == -1)
		return -1;
	return 0;
}

int
policy_add(struct policy *p, const struct policy_rule *r)
{
	if (p->n >= POLICY_RULES_MAX)
		return -1;
	p->rules[p->n++] = *r;
	return 0;
}

/* The same IPv4 range at the place where NAT64 or 6to4 embeds it. */
static void
policy_add_embedded(struct policy *p, const struct policy_rule *v4)
{
	static const uint8_t nat64[4] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t six2four[2] = { 0x20, 0x02 };
	unsigned len4 = v4->plen - 96u;
	struct policy_rule r = *v4;

	memset(r.net, 0, sizeof(r.net));
	memcpy(r.net, nat64, sizeof(nat64));
	memcpy(r.net + 12, v4->net + 12, 4);
	r.plen = (uint8_t)(96 + len4);
	policy_add(p, &r);

	memset(r.net, 0, sizeof(r.net));
	memcpy(r.net, six2four, sizeof(six2four));
	memcpy(r.net + 2, v4->net + 12, 4);
	r.plen = (uint8_t)(16 + len4);
	policy_add(p, &r);
}

void
policy_init(struct policy *p)
{
	struct policy_rule r;
	size_t i;

	p->n = 0;
	for (i = 0; i < sizeof(policy_default_v4) / sizeof(policy_default_v4[0]); i++) {
		/* Constant input: a parse failure is a bug caught by the unit tests. */
		if (policy_parse_rule(policy_default_v4[i], 0, &r, NULL, 0) == 0) {
			policy_add(p, &r);
			policy_add_embedded(p, &r);
		}
	}
	for (i = 0; i < sizeof(policy_default_other) / sizeof(policy_default_other[0]); i++)
		if (policy_parse_rule(policy_default_other[i], 0, &r, NULL, 0) == 0)
			policy_add(p, &r);
	p->ndefaults = p->n;
}

static int
policy_prefix_match(const uint8_t a[16], const uint8_t net[16], unsigned plen)
{
	unsigned whole = plen / 8, rest = plen % 8;

	if (memcmp(a, net, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ net[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
policy_allows(const struct policy *p, const uint8_t addr[16], uint16_t port)
{
	size_t i;

	for (i = p->n; i-- > 0;) {
		const struct policy_rule *r = &p->rules[i];

		if (port >= r->lo && port <= r->hi && policy_prefix_match(addr, r->net, r->plen))
			return r->allow;
	}
	return 1;
}

int
policy_allows_sa(const struct policy *p, const struct sockaddr *sa)
{
	uint8_t a[16];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(a, policy_v4mapped, 12);
		memcpy(a + 12, &sin->sin_addr, 4);
		return policy_allows(p, a, ntohs(sin->sin_port));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		return policy_allows(p, sin6->sin6_addr.s6_addr, ntohs(sin6->sin6_port));
	}
	return 0;
}

int
policy_rule_format(const struct policy_rule *r, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN], ports[16] = "";
	int n;

	if (r->lo != 0 || r->hi != 65535) {
		if (r->lo == r->hi)
			snprintf(ports, sizeof(ports), ":%u", r->lo);
		else
			snprintf(ports, sizeof(ports), ":%u-%u", r->lo, r->hi);
	}
	if (r->plen >= 96 && memcmp(r->net, policy_v4mapped, 12) == 0) {
		inet_ntop(AF_INET, r->net + 12, a, sizeof(a));
		n = snprintf(out, outlen, "%s/%u%s", a, r->plen - 96u, ports);
	} else {
		inet_ntop(AF_INET6, r->net, a, sizeof(a));
		n = snprintf(out, outlen, "[%s]/%u%s", a, r->plen, ports);
	}
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
