/* SPDX-License-Identifier: MIT */
/*
 * The peerconn-watch engine: one event line in, zero or more finding
 * lines out. Parses the line (watch_event), counts it into its bucket
 * (watch_bucket), evaluates the rules (watch_rules) and writes each
 * finding to out, tab-separated or as JSON. A bucket reports a rule at
 * most once per window: after a finding, the same rule stays quiet for
 * that bucket until window seconds of event time have passed. Output
 * order is input order, rules in watch_rule_id order within one event,
 * so a replayed file always yields the same lines.
 */
#ifndef PW_EGRESS_WATCH_H
#define PW_EGRESS_WATCH_H

#include <stdint.h>
#include <stdio.h>

#include "watch_bucket.h"
#include "watch_rules.h"

#define WATCH_TOP 10 /* buckets in the summary */

struct watch_stats {
	uint64_t lines;    /* every line, blank ones excepted */
	uint64_t events;   /* accept and close events counted */
	uint64_t garbage;  /* not an event line: bad JSON, too long, wrong types */
	uint64_t unknown;  /* well-formed, event type neither accept nor close */
	uint64_t late;     /* older than their bucket's window: not counted */
	uint64_t findings;
};

struct watch {
	struct watch_rules rules;
	struct watch_table table;
	int64_t window_us;
	int json;
	FILE *out;
	int64_t now_us; /* newest event time seen, -1 before the first */
	struct watch_stats st;
};

int watch_init(struct watch *w, const struct watch_rules *r, int64_t window_us, uint32_t cap,
               int json, FILE *out, uint64_t seed);
void watch_free(struct watch *w);

/* A watch_line_cb (watch_lines.h): arg is the struct watch. */
void watch_line(void *arg, const char *line, size_t n);

/* Counters, then the WATCH_TOP buckets with the most accepts in their window. */
void watch_summary(struct watch *w);

#endif
