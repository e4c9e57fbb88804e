/* SPDX-License-Identifier: MIT */
/*
 * Rule thresholds, the rules file, and evaluation (see watch_rules.h).
 * Every settable key is one row of rule_keys[]: parsing, formatting and
 * the man page's list follow that table, so they cannot drift apart.
 */
#include "watch_rules.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"

static const char *const rule_names[WATCH_RULE_COUNT] = {
	[WATCH_RULE_SMTP] = "smtp",
	[WATCH_RULE_CREDSTUFF] = "credstuff",
	[WATCH_RULE_DNSTUNNEL] = "dnstunnel",
	[WATCH_RULE_SCAN] = "scan",
	[WATCH_RULE_RATE] = "rate",
};

struct rule_key {
	enum watch_rule_id rule;
	const char *name;
	size_t off;   /* of a uint64_t, or of short_us when seconds */
	int seconds;  /* decimal seconds, stored in microseconds */
	uint64_t min; /* 0 where 0 means "not checked" */
};

#define RK(rule, name, field, min) { rule, name, offsetof(struct watch_rules, field), 0, min }

static const struct rule_key rule_keys[] = {
	RK(WATCH_RULE_SMTP, "accepts", smtp_accepts, 1),
	RK(WATCH_RULE_CREDSTUFF, "streams", cred_streams, 1),
	RK(WATCH_RULE_CREDSTUFF, "hosts", cred_hosts, 1),
	{ WATCH_RULE_CREDSTUFF, "short", offsetof(struct watch_rules, short_us), 1, 1 },
	RK(WATCH_RULE_DNSTUNNEL, "streams", dns_streams, 0),
	RK(WATCH_RULE_DNSTUNNEL, "bytes", dns_bytes, 0),
	RK(WATCH_RULE_SCAN, "hosts", scan_hosts, 0),
	RK(WATCH_RULE_SCAN, "ports", scan_ports, 0),
	RK(WATCH_RULE_SCAN, "bytes", scan_bytes, 0),
	RK(WATCH_RULE_RATE, "accepts", rate_accepts, 1),
};

#define NKEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

const char *
watch_rule_name(enum watch_rule_id id)
{
	return (unsigned)id < WATCH_RULE_COUNT ? rule_names[id] : "?";
}

void
watch_rules_default(struct watch_rules *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < WATCH_RULE_COUNT; i++)
		r->enabled[i] = 1;
	r->smtp_accepts = 20;
	r->cred_streams = 100;
	r->cred_hosts = 3;
	r->short_us = 5 * 1000000LL;
	r->dns_streams = 300;
	r->dns_bytes = 5000000;
	r->scan_hosts = 100;
	r->scan_ports = 20;
	r->scan_bytes = 1024;
	r->rate_accepts = 1000;
}

static int
rule_by_name(const char *s)
{
	int i;

	for (i = 0; i < WATCH_RULE_COUNT; i++)
		if (strcmp(s, rule_names[i]) == 0)
			return i;
	return -1;
}

/* One "KEY=VALUE" (or on/off) token of rule id. */
static int
parse_token(struct watch_rules *r, int id, char *tok, char *err, size_t errlen)
{
	char *eq = strchr(tok, '=');
	uint64_t v;
	size_t i;

	if (strcmp(tok, "off") == 0 || strcmp(tok, "on") == 0) {
		r->enabled[id] = tok[1] == 'n';
		return 0;
	}
	if (eq == NULL) {
		snprintf(err, errlen, "'%s' is not KEY=VALUE", tok);
		return -1;
	}
	*eq = '\0';
	for (i = 0; i < NKEYS; i++) {
		const struct rule_key *k = &rule_keys[i];

		if ((int)k->rule != id || strcmp(k->name, tok) != 0)
			continue;
		if (k->seconds) {
			if (num_parse_seconds_ms(eq + 1, WATCH_RULES_SECONDS_MAX * 1000ULL, &v) == -1 ||
			    v < k->min) {
				snprintf(err, errlen, "%s: bad number of seconds '%s'", tok, eq + 1);
				return -1;
			}
			*(int64_t *)(void *)((char *)r + k->off) = (int64_t)v * 1000;
		} else {
			if (num_parse_u64(eq + 1, k->min, WATCH_RULES_COUNT_MAX, &v) == -1) {
				snprintf(err, errlen, "%s: bad number '%s' (%llu-%llu)", tok, eq + 1,
				         (unsigned long long)k->min, WATCH_RULES_COUNT_MAX);
				return -1;
			}
			*(uint64_t *)(void *)((char *)r + k->off) = v;
		}
		return 0;
	}
	snprintf(err, errlen, "rule %s has no key '%s'", rule_names[id], tok);
	return -1;
}

static int
parse_line(struct watch_rules *r, char *line, char *err, size_t errlen)
{
	static const char sep[] = " \t\r";
	char *save = NULL, *tok, *hash;
	int id;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	if ((tok = strtok_r(line, sep, &save)) == NULL)
		return 0;
	if ((id = rule_by_name(tok)) == -1) {
		snprintf(err, errlen, "unknown rule '%s'", tok);
		return -1;
	}
	while ((tok = strtok_r(NULL, sep, &save)) != NULL)
		if (parse_token(r, id, tok, err, errlen) == -1)
			return -1;
	return 0;
}

int
watch_rules_parse(const char *text, size_t n, struct watch_rules *r, char *err, size_t errlen)
{
	char line[WATCH_RULES_LINE_MAX + 1], why[200];
	const char *p = text, *end = text + n, *nl;
	size_t len, lineno = 0;

	if (n > WATCH_RULES_FILE_MAX) {
		snprintf(err, errlen, "longer than %d bytes", WATCH_RULES_FILE_MAX);
		return -1;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		if (len > WATCH_RULES_LINE_MAX || memchr(p, '\0', len) != NULL) {
			snprintf(err, errlen, "line %zu: %s", lineno,
			         len > WATCH_RULES_LINE_MAX ? "too long" : "NUL byte");
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		if (parse_line(r, line, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Append to out at *o; on overflow set *bad and leave out as it was. */
static void __attribute__((format(printf, 4, 5)))
appendf(char *out, size_t outlen, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*o >= outlen)
		return;
	va_start(ap, fmt);
	w = vsnprintf(out + *o, outlen - *o, fmt, ap);
	va_end(ap);
	*o = w < 0 || (size_t)w >= outlen - *o ? outlen : *o + (size_t)w;
}

int
watch_rules_format(const struct watch_rules *r, char *out, size_t outlen)
{
	size_t o = 0, i;
	int64_t us;
	uint64_t v;
	int id;

	for (id = 0; id < WATCH_RULE_COUNT; id++) {
		appendf(out, outlen, &o, "%s", rule_names[id]);
		for (i = 0; i < NKEYS; i++) {
			const struct rule_key *k = &rule_keys[i];

			if ((int)k->rule != id)
				continue;
			if (k->seconds) {
				memcpy(&us, (const char *)r + k->off, sizeof(us));
				appendf(out, outlen, &o, " %s=%lld.%03lld", k->name,
				        (long long)(us / 1000000), (long long)(us / 1000 % 1000));
			} else {
				memcpy(&v, (const char *)r + k->off, sizeof(v));
				appendf(out, outlen, &o, " %s=%llu", k->name, (unsigned long long)v);
			}
		}
		appendf(out, outlen, &o, "%s\n", r->enabled[id] ? "" : " off");
	}
	return o < outlen ? (int)o : -1;
}

static uint64_t
avg_bytes(const struct watch_agg *a)
{
	return a->closes ? a->bytes / a->closes : 0;
}

unsigned
watch_rules_eval(const struct watch_rules *r, const struct watch_agg *a)
{
	unsigned m = 0;

	if (r->enabled[WATCH_RULE_SMTP] && a->smtp >= r->smtp_accepts)
		m |= 1u << WATCH_RULE_SMTP;
	if (r->enabled[WATCH_RULE_CREDSTUFF] && a->short_https >= r->cred_streams &&
	    a->https_hosts <= r->cred_hosts)
		m |= 1u << WATCH_RULE_CREDSTUFF;
	if (r->enabled[WATCH_RULE_DNSTUNNEL] &&
	    ((r->dns_streams && a->dns_streams >= r->dns_streams) ||
	     (r->dns_bytes && a->dns_bytes >= r->dns_bytes)))
		m |= 1u << WATCH_RULE_DNSTUNNEL;
	if (r->enabled[WATCH_RULE_SCAN] &&
	    ((r->scan_hosts && a->hosts >= r->scan_hosts) ||
	     (r->scan_ports && a->ports >= r->scan_ports)) &&
	    avg_bytes(a) <= r->scan_bytes)
		m |= 1u << WATCH_RULE_SCAN;
	if (r->enabled[WATCH_RULE_RATE] && a->accepts >= r->rate_accepts)
		m |= 1u << WATCH_RULE_RATE;
	return m;
}

size_t
watch_rules_evidence(enum watch_rule_id id, const struct watch_agg *a,
                     struct watch_fig figs[WATCH_FIGS_MAX])
{
	size_t n = 0;

#define FIG(nm, val) (figs[n].name = (nm), figs[n++].value = (val))
	switch (id) {
	case WATCH_RULE_SMTP:
		FIG("smtp_accepts", a->smtp);
		FIG("hosts", a->hosts);
		FIG("accepts", a->accepts);
		break;
	case WATCH_RULE_CREDSTUFF:
		FIG("short_https", a->short_https);
		FIG("https_hosts", a->https_hosts);
		FIG("accepts", a->accepts);
		break;
	case WATCH_RULE_DNSTUNNEL:
		FIG("dns_streams", a->dns_streams);
		FIG("dns_bytes", a->dns_bytes);
		break;
	case WATCH_RULE_SCAN:
		FIG("hosts", a->hosts);
		FIG("ports", a->ports);
		FIG("accepts", a->accepts);
		FIG("avg_bytes", avg_bytes(a));
		break;
	case WATCH_RULE_RATE:
	case WATCH_RULE_COUNT:
		FIG("accepts", a->accepts);
		FIG("hosts", a->hosts);
		break;
	}
#undef FIG
	return n;
}
