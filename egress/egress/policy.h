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
 *
 * An IPv6 address that embeds an IPv4 address (NAT64, 6to4, Teredo,
 * ISATAP, IPv4-translated or -compatible) is allowed only when the rules
 * allow the IPv6 address and every IPv4 address it embeds, since a
 * gateway on the path may deliver it to that IPv4 address.
 *
 * The host's own addresses (--deny-self) are a separate list, refreshed
 * by selfaddr.c: they are denied whatever the rules say. Loopback is
 * left to the rules, so --allow 127.0.0.1:PORT still works.
 */
#ifndef PW_EGRESS_POLICY_H
#define PW_EGRESS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ifaddrs;

#define POLICY_RULES_MAX 512   /* defaults included */
#define POLICY_RULE_STR_MAX 96 /* longest rule text accepted or formatted */
#define POLICY_SELF_MAX 256    /* host addresses kept for --deny-self */
#define POLICY_EMBED_MAX 3     /* IPv4 addresses one IPv6 address embeds: Teredo + ISATAP */

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
	int deny_self; /* --deny-self: 1 by default */
	size_t nself;
	uint8_t self[POLICY_SELF_MAX][16]; /* IPv4 mapped, no loopback, no duplicates */
};

/* Reset p to the default rules only, with an empty self list and deny_self on. */
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

/*
 * The IPv4 addresses (IPv4 mapped, as in the rules) that an IPv6 address
 * embeds; an IPv4-mapped address embeds none, it is IPv4 already.
 * Return how many were written, at most POLICY_EMBED_MAX.
 */
size_t policy_embedded_v4(const uint8_t addr[16], uint8_t out[POLICY_EMBED_MAX][16]);

/*
 * Replace the self list with the IPv4 and IPv6 addresses of an
 * interface list (as from getifaddrs); loopback addresses are skipped.
 * Return how many addresses did not fit in POLICY_SELF_MAX.
 */
size_t policy_set_self(struct policy *p, const struct ifaddrs *ifa);

/*
 * 1 when a destination host name looks numeric but is not an IPv4
 * address in canonical dotted-quad form: its last label is a number as a
 * browser reads it (decimal, or 0x hex) or inet_aton() would take it.
 * Such names ("0177.0.0.1", "127.1", "0x7f.0.0.1", "2130706433") mean
 * different addresses to different parsers, so the egress refuses them.
 */
int policy_name_ambiguous(const char *name);

/* Rule text that policy_parse_rule() reads back to the same rule. */
int policy_rule_format(const struct policy_rule *r, char *out, size_t outlen);

#endif
