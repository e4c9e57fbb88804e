/* SPDX-License-Identifier: MIT */
/*
 * Destination policy: which resolved addresses and ports the egress may
 * connect to. A pure module (no I/O, no globals) so the rule parser and
 * the matcher are unit-tested and fuzzed on their own.
 *
 * Every address is kept as 16 bytes; IPv4 is stored in its IPv4-mapped
 * form (::ffff:a.b.c.d), so an IPv4 rule also covers the mapped IPv6
 * spelling of the same address and one matcher serves both families.
 * Rules are an ordered list; the last rule that matches decides, and an
 * address no rule matches is allowed. policy_init() loads the default
 * deny rules first, so --allow/--deny given later override them.
 */
#ifndef PW_EGRESS_POLICY_H
#define PW_EGRESS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define POLICY_RULES_MAX 512   /* defaults included */
#define POLICY_RULE_STR_MAX 96 /* longest rule text accepted or formatted */

struct policy_rule {
	uint8_t net[16]; /* host bits beyond plen are zero */
	uint8_t plen;    /* 0..128, in the 16-byte address space */
	uint8_t allow;   /* 1 allow, 0 deny */
	uint16_t lo, hi; /* port range, inclusive; 0..65535 means any port */
};

struct policy {
	size_t n;
	size_t ndefaults;
	struct policy_rule rules[POLICY_RULES_MAX];
};

/* Reset p to the default rules only. */
void policy_init(struct policy *p);

/*
 * Parse one rule: "CIDR", "CIDR:PORT" or "CIDR:LOW-HIGH", where CIDR is
 * an IPv4 address, an IPv6 address (in brackets when a port follows), or
 * "*" for every address, each with an optional "/LEN". Return 0, or -1
 * with a short reason in err.
 */
int policy_parse_rule(const char *s, int allow, struct policy_rule *r, char *err, size_t errlen);

/* Append a rule; -1 when POLICY_RULES_MAX is reached. */
int policy_add(struct policy *p, const struct policy_rule *r);

/* 1 when the address (16 bytes, IPv4 mapped) and port are allowed, else 0. */
int policy_allows(const struct policy *p, const uint8_t addr[16], uint16_t port);

/* The same for an AF_INET or AF_INET6 sockaddr; other families are denied. */
int policy_allows_sa(const struct policy *p, const struct sockaddr *sa);

/* Rule text that policy_parse_rule() reads back to the same rule. */
int policy_rule_format(const struct policy_rule *r, char *out, size_t outlen);

#endif
