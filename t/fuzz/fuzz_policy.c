/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for egress/policy. The input is a list of rules, one
 * per line, each prefixed '+' (allow) or '-' (deny). Checks, beyond
 * "does not crash": every accepted rule formats to text that parses back
 * to the same rule, and policy_allows() agrees with a bit-by-bit
 * reference matcher on addresses taken from the input and the rules.
 */
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
ref_allows(const struct policy *p, const uint8_t addr[16], uint16_t port)
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

static void
check_addr(const uint8_t addr[16], uint16_t port)
{
	if (policy_allows(&pol, addr, port) != ref_allows(&pol, addr, port))
		abort();
}

static void
one_rule(const char *line)
{
	struct policy_rule r, r2;
	char err[128], txt[POLICY_RULE_STR_MAX];
	int allow = line[0] == '+';

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
	/* The defaults are covered by check_policy; probing them here only slows the fuzzer. */
	for (i = pol.ndefaults; i < pol.n; i++) {
		check_addr(pol.rules[i].net, pol.rules[i].lo);
		check_addr(pol.rules[i].net, pol.rules[i].hi);
		check_addr(pol.rules[i].net, 25);
	}
	return 0;
}
