/* SPDX-License-Identifier: MIT */
/*
 * Destination policy: rule parsing, the default deny list, matching,
 * the embedded-IPv4 decoder, the self list and the numeric-name test.
 *
 * The defaults keep a public relay away from the operator's own network:
 * "this network", loopback, RFC 1918, CGNAT, link-local (cloud metadata
 * lives at 169.254.169.254), multicast, the reserved and documentation
 * blocks, their IPv6 counterparts, and SMTP. IPv6 forms that carry an
 * IPv4 address (policy_embedded_v4) are not listed per range: the
 * matcher decodes the IPv4 address and applies the whole policy to it,
 * so a user rule covers them as well as the defaults.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"

static const char *const policy_default_v4[] = {
	"0.0.0.0/8",       /* this network */
	"127.0.0.0/8",     /* loopback */
	"10.0.0.0/8",      "172.16.0.0/12", "192.168.0.0/16", /* RFC 1918 */
	"100.64.0.0/10",   /* CGNAT */
	"169.254.0.0/16",  /* link-local, cloud metadata */
	"192.0.0.0/24",    /* IETF protocol assignments (DS-Lite, NAT64 discovery) */
	"192.0.2.0/24",    "198.51.100.0/24", "203.0.113.0/24", /* documentation */
	"198.18.0.0/15",   /* benchmarking: lab networks */
	"224.0.0.0/4",     /* multicast */
	"240.0.0.0/4",     /* reserved, and the limited broadcast 255.255.255.255 */
};

static const char *const policy_default_v6[] = {
	"[::]/96",          /* unspecified, loopback, deprecated IPv4-compatible */
	"[100::]/64",       /* discard-only */
	"[2001:2::]/48",    /* benchmarking */
	"[2001:10::]/28",   /* ORCHID (deprecated) */
	"[2001:20::]/28",   /* ORCHIDv2: identifiers, not locators */
	"[2001:db8::]/32",  /* documentation */
	"[3fff::]/20",      /* documentation (RFC 9637) */
	"fc00::/7",         /* unique local (includes AWS fd00:ec2::254) */
	"fe80::/10",        /* link-local */
	"fec0::/10",        /* site-local (deprecated, still routed inside some sites) */
	"ff00::/8",         /* multicast */
	"[64:ff9b:1::]/48", /* local-use NAT64 (RFC 8215): embedding is site-defined */
};

static const char *const policy_default_ports[] = {
	"*:25", /* SMTP: a relay must not become a spam cannon */
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

static void
policy_add_defaults(struct policy *p, const char *const *rules, size_t n)
{
	struct policy_rule r;
	size_t i;

	/* Constant input: a parse failure is a bug caught by the unit tests. */
	for (i = 0; i < n; i++)
		if (policy_parse_rule(rules[i], 0, &r, NULL, 0) == 0)
			policy_add(p, &r);
}

#define POLICY_NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
policy_init(struct policy *p)
{
	p->n = 0;
	policy_add_defaults(p, policy_default_v4, POLICY_NELEM(policy_default_v4));
	policy_add_defaults(p, policy_default_v6, POLICY_NELEM(policy_default_v6));
	policy_add_defaults(p, policy_default_ports, POLICY_NELEM(policy_default_ports));
	p->ndefaults = p->n;
	p->deny_self = 1;
	p->nself = 0;
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

/* The rules alone: the last matching rule decides; none matching allows. */
static int
policy_rules_allow(const struct policy *p, const uint8_t addr[16], uint16_t port)
{
	size_t i;

	for (i = p->n; i-- > 0;) {
		const struct policy_rule *r = &p->rules[i];

		if (port >= r->lo && port <= r->hi && policy_prefix_match(addr, r->net, r->plen))
			return r->allow;
	}
	return 1;
}

static int
policy_is_self(const struct policy *p, const uint8_t addr[16])
{
	size_t i;

	for (i = 0; i < p->nself; i++)
		if (memcmp(p->self[i], addr, 16) == 0)
			return 1;
	return 0;
}

static void
policy_put_v4(uint8_t out[16], const uint8_t *v4, uint8_t xor)
{
	size_t i;

	memcpy(out, policy_v4mapped, 12);
	for (i = 0; i < 4; i++)
		out[12 + i] = v4[i] ^ xor;
}

/*
 * Where each transition mechanism keeps its IPv4 address:
 *   ::a.b.c.d             IPv4-compatible (RFC 4291, deprecated), except
 *                         :: and ::1, which are themselves
 *   ::ffff:0:a.b.c.d      IPv4-translated (RFC 2765)
 *   64:ff9b::a.b.c.d      NAT64 well-known prefix (RFC 6052)
 *   2002:AABB:CCDD::/48   6to4 (RFC 3056), bits 16-47
 *   2001:0:SSSS:SSSS:flags:port:CCCC:CCCC   Teredo (RFC 4380): the server
 *                         in bits 32-63, the client inverted in bits 96-127
 *   PREFIX:0?00:5efe:a.b.c.d  ISATAP interface id (RFC 5214), any prefix;
 *                         the first byte may carry the u and g bits
 * The local-use NAT64 prefix 64:ff9b:1::/48 embeds at a site-chosen
 * place and is denied whole instead.
 */
size_t
policy_embedded_v4(const uint8_t a[16], uint8_t out[POLICY_EMBED_MAX][16])
{
	static const uint8_t zero[12], translated[12] = { [8] = 0xff, [9] = 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t teredo[4] = { 0x20, 0x01, 0x00, 0x00 };
	size_t n = 0;

	if (memcmp(a, zero, 12) == 0 && memcmp(a + 12, zero, 3) == 0 && a[15] <= 1)
		return 0;
	if (memcmp(a, zero, 12) == 0 || memcmp(a, translated, 12) == 0 ||
	    memcmp(a, nat64, 12) == 0) {
		policy_put_v4(out[n++], a + 12, 0);
		return n;
	}
	if (a[0] == 0x20 && a[1] == 0x02)
		policy_put_v4(out[n++], a + 2, 0);
	if (memcmp(a, teredo, 4) == 0) {
		policy_put_v4(out[n++], a + 4, 0);
		policy_put_v4(out[n++], a + 12, 0xff);
	}
	if ((a[8] & 0xfc) == 0 && a[9] == 0 && a[10] == 0x5e && a[11] == 0xfe)
		policy_put_v4(out[n++], a + 12, 0);
	return n;
}

int
policy_allows(const struct policy *p, const uint8_t addr[16], uint16_t port)
{
	uint8_t v4[POLICY_EMBED_MAX][16];
	size_t i, n;

	if (!policy_rules_allow(p, addr, port) || policy_is_self(p, addr))
		return 0;
	n = policy_embedded_v4(addr, v4);
	for (i = 0; i < n; i++)
		if (!policy_rules_allow(p, v4[i], port) || policy_is_self(p, v4[i]))
			return 0;
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

/* Loopback stays with the rules: the defaults deny it, --allow may open it. */
static int
policy_is_loopback(const uint8_t a[16])
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	return memcmp(a, v6lo, 16) == 0 || (memcmp(a, policy_v4mapped, 12) == 0 && a[12] == 127);
}

size_t
policy_set_self(struct policy *p, const struct ifaddrs *ifa)
{
	uint8_t a[16];
	size_t dropped = 0;

	p->nself = 0;
	for (; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			memcpy(a, policy_v4mapped, 12);
			memcpy(a + 12, &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			memcpy(a, &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		if (policy_is_loopback(a) || policy_is_self(p, a))
			continue;
		if (p->nself == POLICY_SELF_MAX)
			dropped++;
		else
			memcpy(p->self[p->nself++], a, 16);
	}
	return dropped;
}

/* Exactly four decimal parts of 0..255 without leading zeros: what inet_pton reads. */
static int
policy_dotted_quad(const char *s)
{
	unsigned parts = 0, v, digits;

	for (;;) {
		for (v = 0, digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits > 0 && v == 0)
				return 0;
			v = v * 10 + (unsigned)(*s - '0');
			if (v > 255)
				return 0;
		}
		if (digits == 0)
			return 0;
		parts++;
		if (*s == '\0')
			return parts == 4;
		if (*s != '.' || parts == 4)
			return 0;
		s++;
	}
}

/* A label a browser's host parser reads as a number: decimal, or 0x and hex digits. */
static int
policy_label_is_number(const char *s, size_t n)
{
	size_t i = 0;
	int hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

	if (n == 0)
		return 0;
	for (i = hex ? 2 : 0; i < n; i++) {
		char c = s[i];

		if (!(c >= '0' && c <= '9') &&
		    !(hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))))
			return 0;
	}
	return 1;
}

int
policy_name_ambiguous(const char *name)
{
	struct in_addr ia;
	const char *last;
	size_t n = strlen(name);

	if (policy_dotted_quad(name))
		return 0;
	if (inet_aton(name, &ia) != 0)
		return 1;
	/* An IPv6 literal is read strictly (inet_pton) and checked after resolution. */
	if (strchr(name, ':') != NULL)
		return 0;
	if (n > 0 && name[n - 1] == '.')
		n--;
	last = memrchr(name, '.', n);
	last = last != NULL ? last + 1 : name;
	return policy_label_is_number(last, n - (size_t)(last - name));
}
