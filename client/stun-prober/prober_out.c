/* SPDX-License-Identifier: MIT */
/*
 * One output line per server, flushed at once so a pipeline sees each
 * result as it completes. Tab-separated columns in a fixed order (see
 * stun-prober(1)); "-" for an empty field; --nat adds mapping and
 * filtering, --turn adds alloc_ms and relayed, and reason is always last.
 * With -j the same fields as a JSON object per line (null when empty).
 * Every string from the network went through prober_sanitize first, so
 * no tab, newline or invalid UTF-8 reaches the output.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "prober_int.h"

void
prober_sanitize(char *out, size_t cap, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	if (cap == 0)
		return;
	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[n] = '\0';
}

static const char *
dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static json_t *
jstr(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
jms(const struct probe *p, double ms)
{
	(void)p;
	return ms > 0 ? json_real((double)(long long)(ms * 100 + 0.5) / 100) : json_null();
}

static void
print_json(const struct prober *pr, const struct probe *p)
{
	json_t *o = json_object();
	char *line;

	if (o == NULL)
		return;
	json_object_set_new(o, "server", json_string(p->name));
	json_object_set_new(o, "status", json_string(p->status));
	json_object_set_new(o, "rtt_ms", jms(p, p->rtt_ms));
	json_object_set_new(o, "mapped", jstr(p->mapped));
	json_object_set_new(o, "origin", jstr(p->origin));
	json_object_set_new(o, "other", jstr(p->other_s));
	json_object_set_new(o, "software", jstr(p->software));
	if (pr->o.nat) {
		json_object_set_new(o, "mapping", jstr(p->mapping));
		json_object_set_new(o, "filtering", jstr(p->filtering));
	}
	if (pr->o.turn) {
		json_object_set_new(o, "alloc_ms", jms(p, p->alloc_ms));
		json_object_set_new(o, "relayed", jstr(p->relayed));
	}
	json_object_set_new(o, "reason", jstr(p->reason));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (line == NULL) {
		log_warnx("%s: cannot format the JSON line", p->name);
		return;
	}
	printf("%s\n", line);
	free(line);
}

static void
ms_text(char *out, size_t cap, double ms)
{
	if (ms > 0)
		snprintf(out, cap, "%.2f", ms);
	else
		snprintf(out, cap, "-");
}

int
prober_print(const struct prober *pr, const struct probe *p)
{
	char rtt[32], alloc[32];

	if (pr->o.json) {
		print_json(pr, p);
	} else {
		ms_text(rtt, sizeof(rtt), p->rtt_ms);
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%s", p->name, p->status, rtt, dash(p->mapped),
		    dash(p->origin), dash(p->other_s), dash(p->software));
		if (pr->o.nat)
			printf("\t%s\t%s", dash(p->mapping), dash(p->filtering));
		if (pr->o.turn) {
			ms_text(alloc, sizeof(alloc), p->alloc_ms);
			printf("\t%s\t%s", alloc, dash(p->relayed));
		}
		printf("\t%s\n", dash(p->reason));
	}
	return fflush(stdout) == EOF || ferror(stdout) ? -1 : 0;
}
