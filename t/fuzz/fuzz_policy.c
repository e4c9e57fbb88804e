/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for egress/policy. The input is a list of rules, one
 * per line, each prefixed '+' (allow) or '-' (deny). Checks, beyond
 * "does not crash": every accepted rule formats to text that parses back
 * to the same rule; policy_allows() agrees with a bit-by-bit reference
 * matcher, with its own reading of the embedded IPv4 forms and the self
 * list, on addresses taken from the input and the rules; and a line that
 * policy_name_ambiguous() lets through means the same address to
 * inet_aton() and inet_pton().
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egress/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy pol;

static int
ref_bit(const uint8_t a[16], unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static int
ref_rules(const struct policy *p, const uint8_t addr[16], uint16_t port)
{
	size_t i;
	unsigned b;

	for (i = p->n; i-- > 0;) {
		const struct policy_rule *r = &p->rules[i];

		if (port < r->lo || port > r->hi)
			continue;
		for (b = 0; b < r->plen; b++)
			if (ref_bit(addr, b) != ref_bit(r->net, b))
				break;
		if (b == r->plen)
			return r->allow;
	}
	return 1;
}

/* The 16-bit group i of an address. */
static unsigned
ref_group(const uint8_t a[16], unsigned i)
{
	return (unsigned)a[2 * i] << 8 | a[2 * i + 1];
}

static int
ref_one(const struct policy *p, const uint8_t a[16], uint16_t port)
{
	size_t i;

	for (i = 0; i < p->nself; i++)
		if (memcmp(p->self[i], a, 16) == 0)
			return 0;
	return ref_rules(p, a, port);
}

/* The IPv4 address in groups g and g+1, inverted when inv, checked as mapped. */
static int
ref_v4(const struct policy *p, const uint8_t a[16], unsigned g, unsigned inv, uint16_t port)
{
	uint8_t m[16] = { [10] = 0xff, [11] = 0xff };
	unsigned hi = ref_group(a, g) ^ inv, lo = ref_group(a, g + 1) ^ inv;

	m[12] = (uint8_t)(hi >> 8);
	m[13] = (uint8_t)hi;
	m[14] = (uint8_t)(lo >> 8);
	m[15] = (uint8_t)lo;
	return ref_one(p, m, port);
}

static int
ref_allows(const struct policy *p, const uint8_t a[16], uint16_t port)
{
	unsigned g[8], i, zero4 = 1;

	for (i = 0; i < 8; i++)
		g[i] = ref_group(a, i);
	for (i = 0; i < 4; i++)
		zero4 = zero4 && g[i] == 0;
	if (!ref_one(p, a, port))
		return 0;
	if (zero4 && g[4] == 0 && g[5] == 0 && !(g[6] == 0 && g[7] <= 1))
		return ref_v4(p, a, 6, 0, port); /* compatible */
	if (zero4 && g[4] == 0xffff && g[5] == 0)
		return ref_v4(p, a, 6, 0, port); /* translated */
	if (g[0] == 0x64 && g[1] == 0xff9b && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0)
		return ref_v4(p, a, 6, 0, port); /* NAT64 */
	if (g[0] == 0x2002 && !ref_v4(p, a, 1, 0, port))
		return 0;
	if (g[0] == 0x2001 && g[1] == 0 &&
	    (!ref_v4(p, a, 2, 0, port) || !ref_v4(p, a, 6, 0xffff, port)))
		return 0;
	if ((g[4] & 0xfcff) == 0 && g[5] == 0x5efe && !ref_v4(p, a, 6, 0, port))
		return 0;
	return 1;
}

static void
check_addr(const uint8_t addr[16], uint16_t port)
{
	if (policy_allows(&pol, addr, port) != ref_allows(&pol, addr, port))
		abort();
}

/* A name let through is no number, or the same number to both parsers. */
static void
check_name(const char *line)
{
	struct in_addr a, b;

	if (policy_name_ambiguous(line) || inet_aton(line, &a) == 0)
		return;
	if (inet_pton(AF_INET, line, &b) != 1 || a.s_addr != b.s_addr)
		abort();
}

static void
one_rule(const char *line)
{
	struct policy_rule r, r2;
	char err[128], txt[POLICY_RULE_STR_MAX];
	int allow = line[0] == '+';

	check_name(line);
	if (line[0] == '+' || line[0] == '-')
		line++;
	if (policy_parse_rule(line, allow, &r, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (r.plen > 128 || r.lo > r.hi)
		abort();
	if (policy_rule_format(&r, txt, sizeof(txt)) == -1)
		abort();
	if (policy_parse_rule(txt, allow, &r2, err, sizeof(err)) == -1 || memcmp(&r, &r2, sizeof(r)) != 0)
		abort();
	(void)policy_add(&pol, &r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[POLICY_RULE_STR_MAX + 8];
	size_t i, start = 0, n;
	uint8_t addr[16];

	policy_init(&pol);
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		n = i - start;
		if (n < sizeof(line)) {
			memcpy(line, data + start, n);
			line[n] = '\0';
			/* A NUL inside the line just ends the string early. */
			one_rule(line);
		}
		start = i + 1;
	}
	if (size >= 18) {
		memcpy(addr, data + size - 18, 16);
		check_addr(addr, (uint16_t)(data[size - 2] << 8 | data[size - 1]));
	}
	/* The input's first address as the host's own, then its embedded forms. */
	if (size >= 34) {
		memcpy(pol.self[0], data, 16);
		pol.nself = 1;
		memcpy(addr, data + 16, 16);
		check_addr(addr, 443);
		check_addr(pol.self[0], 443);
	}
	/* The defaults are covered by check_policy; probing them here only slows the fuzzer. */
	for (i = pol.ndefaults; i < pol.n; i++) {
		check_addr(pol.rules[i].net, pol.rules[i].lo);
		check_addr(pol.rules[i].net, pol.rules[i].hi);
		check_addr(pol.rules[i].net, 25);
	}
	return 0;
}
