/* SPDX-License-Identifier: MIT */
/*
 * The abuse rules of peerconn-watch: their thresholds, the --rules file
 * that changes them, and their evaluation over one bucket's window
 * figures (struct watch_agg). Pure: the file parser takes the text, not
 * a path. A rules file has one rule per line, "NAME KEY=VALUE ...", or
 * "NAME off"; '#' starts a comment; at most WATCH_RULES_FILE_MAX bytes
 * and WATCH_RULES_LINE_MAX bytes per line. Unknown names and keys, and
 * values out of range, are errors (a typo must not silently disable a
 * rule). Keys not given keep their defaults.
 */
#ifndef PW_EGRESS_WATCH_RULES_H
#define PW_EGRESS_WATCH_RULES_H

#include <stddef.h>
#include <stdint.h>

#define WATCH_RULES_FILE_MAX (64 * 1024)
#define WATCH_RULES_LINE_MAX 512
#define WATCH_RULES_COUNT_MAX 1000000000ULL   /* any count threshold */
#define WATCH_RULES_SECONDS_MAX 86400         /* the "short" duration */
#define WATCH_FIGS_MAX 4                      /* evidence figures per finding */

enum watch_rule_id {
	WATCH_RULE_SMTP,
	WATCH_RULE_CREDSTUFF,
	WATCH_RULE_DNSTUNNEL,
	WATCH_RULE_SCAN,
	WATCH_RULE_RATE,
	WATCH_RULE_COUNT
};

struct watch_rules {
	int enabled[WATCH_RULE_COUNT];
	uint64_t smtp_accepts;  /* accepts to 25, 465, 587 */
	uint64_t cred_streams;  /* short closes to port 443 */
	uint64_t cred_hosts;    /* ... going to at most this many hosts */
	int64_t short_us;       /* a stream shorter than this is short */
	uint64_t dns_streams;   /* accepts to 53, 853 (0: not checked) */
	uint64_t dns_bytes;     /* bytes of closes to 53, 853 (0: not checked) */
	uint64_t scan_hosts;    /* distinct destination hosts (0: not checked) */
	uint64_t scan_ports;    /* distinct destination ports (0: not checked) */
	uint64_t scan_bytes;    /* ... with at most this many bytes per stream */
	uint64_t rate_accepts;  /* accepts of any kind */
};

/* One bucket's figures over its window, from watch_bucket_agg(). */
struct watch_agg {
	uint64_t accepts, closes, bytes, short_streams;
	uint64_t smtp, dns_streams, dns_bytes, short_https;
	uint64_t hosts, ports, https_hosts; /* estimated distinct counts */
};

struct watch_fig {
	const char *name;
	uint64_t value;
};

const char *watch_rule_name(enum watch_rule_id id);
void watch_rules_default(struct watch_rules *r);

/* Parse a rules file over r (defaults first). 0, or -1 with "line N: why". */
int watch_rules_parse(const char *text, size_t n, struct watch_rules *r, char *err, size_t errlen);
/* Every rule as a rules-file line; the length, or -1 if out is too small. */
int watch_rules_format(const struct watch_rules *r, char *out, size_t outlen);

/* Bit i set when rule i is enabled and matches a. */
unsigned watch_rules_eval(const struct watch_rules *r, const struct watch_agg *a);
/* The figures that back a finding of rule id; their count. */
size_t watch_rules_evidence(enum watch_rule_id id, const struct watch_agg *a,
                            struct watch_fig figs[WATCH_FIGS_MAX]);

#endif
