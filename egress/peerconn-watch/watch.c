/* SPDX-License-Identifier: MIT */
/*
 * The engine (see watch.h) and its two output formats. Lines go to a
 * stdio stream; the caller flushes it after each batch of input, so a
 * replay does not pay one write per finding and a live reader still
 * sees findings as soon as their read completes.
 */
#include "watch.h"

#include <string.h>

#include "base/log.h"

#define US 1000000LL

struct top {
	const struct watch_bucket *b;
	struct watch_agg a;
};

int
watch_init(struct watch *w, const struct watch_rules *r, int64_t window_us, uint32_t cap,
           int json, FILE *out, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->rules = *r;
	w->window_us = window_us;
	w->json = json;
	w->out = out;
	w->now_us = -1;
	return watch_table_init(&w->table, cap, window_us, seed);
}

void
watch_free(struct watch *w)
{
	watch_table_free(&w->table);
}

static void
print_time(FILE *out, int64_t us)
{
	fprintf(out, "%lld.%06lld", (long long)(us / US), (long long)(us % US));
}

static void
finding(struct watch *w, int64_t t, enum watch_rule_id id, const char *bucket,
        const struct watch_agg *a)
{
	struct watch_fig figs[WATCH_FIGS_MAX];
	size_t i, n = watch_rules_evidence(id, a, figs);

	if (w->json) {
		fputs("{\"time\":", w->out);
		print_time(w->out, t);
		fprintf(w->out, ",\"rule\":\"%s\",\"bucket\":\"%s\"", watch_rule_name(id), bucket);
		for (i = 0; i < n; i++)
			fprintf(w->out, ",\"%s\":%llu", figs[i].name, (unsigned long long)figs[i].value);
		fputs("}\n", w->out);
		return;
	}
	print_time(w->out, t);
	fprintf(w->out, "\t%s\t%s\t", watch_rule_name(id), bucket);
	for (i = 0; i < n; i++)
		fprintf(w->out, "%s%s=%llu", i ? " " : "", figs[i].name,
		        (unsigned long long)figs[i].value);
	fputc('\n', w->out);
}

static void
evaluate(struct watch *w, struct watch_bucket *b, int64_t t)
{
	char name[WATCH_KEY_STR_MAX];
	struct watch_agg a;
	unsigned m;
	int id;

	watch_bucket_agg(&w->table, b, t, &a);
	if ((m = watch_rules_eval(&w->rules, &a)) == 0)
		return;
	name[0] = '\0';
	for (id = 0; id < WATCH_RULE_COUNT; id++) {
		if (!(m & 1u << id))
			continue;
		if (b->last_report[id] != INT64_MIN && t - b->last_report[id] < w->window_us)
			continue;
		b->last_report[id] = t;
		b->findings++;
		w->st.findings++;
		if (name[0] == '\0')
			watch_key_format(&b->key, name, sizeof(name));
		finding(w, t, (enum watch_rule_id)id, name, &a);
	}
}

void
watch_line(void *arg, const char *line, size_t n)
{
	struct watch *w = arg;
	struct watch_event ev;
	struct watch_bucket *b;
	uint64_t evicted = w->table.evicted;

	if (line == NULL) {
		w->st.lines++;
		w->st.garbage++;
		return;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n == 0)
		return;
	w->st.lines++;
	switch (watch_event_parse(line, n, &ev)) {
	case WATCH_PARSE_GARBAGE:
		w->st.garbage++;
		return;
	case WATCH_PARSE_UNKNOWN:
		w->st.unknown++;
		return;
	case WATCH_PARSE_OK:
		break;
	}
	w->st.events++;
	if (ev.time_us > w->now_us)
		w->now_us = ev.time_us;
	b = watch_table_get(&w->table, &ev.key);
	if (evicted == 0 && w->table.evicted > 0)
		log_warnx("%u buckets tracked: evicting the least recently seen from now on",
		          w->table.cap);
	if (watch_bucket_add(&w->table, b, &ev, w->rules.short_us) == -1) {
		w->st.late++;
		return;
	}
	evaluate(w, b, ev.time_us);
}

/* a before b: more accepts, then more events, then the smaller key. */
static int
top_before(const struct top *a, const struct top *b)
{
	if (a->a.accepts != b->a.accepts)
		return a->a.accepts > b->a.accepts;
	if (a->b->total_events != b->b->total_events)
		return a->b->total_events > b->b->total_events;
	return memcmp(&a->b->key, &b->b->key, sizeof(a->b->key)) < 0;
}

static size_t
top_buckets(const struct watch *w, struct top top[WATCH_TOP])
{
	struct top c;
	size_t n = 0, i, j;

	for (i = 0; i < w->table.n; i++) {
		c.b = &w->table.b[i];
		watch_bucket_agg(&w->table, c.b, w->now_us, &c.a);
		if (n == WATCH_TOP && !top_before(&c, &top[n - 1]))
			continue;
		j = n < WATCH_TOP ? n++ : n - 1;
		for (; j > 0 && top_before(&c, &top[j - 1]); j--)
			top[j] = top[j - 1];
		top[j] = c;
	}
	return n;
}

static void
summary_tsv(const struct watch *w, const struct top *top, size_t n)
{
	const struct watch_stats *s = &w->st;
	char name[WATCH_KEY_STR_MAX];
	size_t i;

	fputs("# summary time=", w->out);
	print_time(w->out, w->now_us < 0 ? 0 : w->now_us);
	fprintf(w->out,
	        " lines=%llu events=%llu garbage=%llu unknown=%llu late=%llu findings=%llu"
	        " buckets=%u cap=%u evicted=%llu\n",
	        (unsigned long long)s->lines, (unsigned long long)s->events,
	        (unsigned long long)s->garbage, (unsigned long long)s->unknown,
	        (unsigned long long)s->late, (unsigned long long)s->findings, w->table.n,
	        w->table.cap, (unsigned long long)w->table.evicted);
	fputs("# bucket\taccepts\tcloses\thosts\tports\tbytes\tshort\tfindings\n", w->out);
	for (i = 0; i < n; i++) {
		const struct watch_agg *a = &top[i].a;

		watch_key_format(&top[i].b->key, name, sizeof(name));
		fprintf(w->out, "# %s\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%u\n", name,
		        (unsigned long long)a->accepts, (unsigned long long)a->closes,
		        (unsigned long long)a->hosts, (unsigned long long)a->ports,
		        (unsigned long long)a->bytes, (unsigned long long)a->short_streams,
		        top[i].b->findings);
	}
}

static void
summary_json(const struct watch *w, const struct top *top, size_t n)
{
	const struct watch_stats *s = &w->st;
	char name[WATCH_KEY_STR_MAX];
	size_t i;

	fputs("{\"summary\":{\"time\":", w->out);
	print_time(w->out, w->now_us < 0 ? 0 : w->now_us);
	fprintf(w->out,
	        ",\"lines\":%llu,\"events\":%llu,\"garbage\":%llu,\"unknown\":%llu,\"late\":%llu,"
	        "\"findings\":%llu,\"buckets\":%u,\"cap\":%u,\"evicted\":%llu,\"top\":[",
	        (unsigned long long)s->lines, (unsigned long long)s->events,
	        (unsigned long long)s->garbage, (unsigned long long)s->unknown,
	        (unsigned long long)s->late, (unsigned long long)s->findings, w->table.n,
	        w->table.cap, (unsigned long long)w->table.evicted);
	for (i = 0; i < n; i++) {
		const struct watch_agg *a = &top[i].a;

		watch_key_format(&top[i].b->key, name, sizeof(name));
		fprintf(w->out,
		        "%s{\"bucket\":\"%s\",\"accepts\":%llu,\"closes\":%llu,\"hosts\":%llu,"
		        "\"ports\":%llu,\"bytes\":%llu,\"short\":%llu,\"findings\":%u}",
		        i ? "," : "", name, (unsigned long long)a->accepts,
		        (unsigned long long)a->closes, (unsigned long long)a->hosts,
		        (unsigned long long)a->ports, (unsigned long long)a->bytes,
		        (unsigned long long)a->short_streams, top[i].b->findings);
	}
	fputs("]}}\n", w->out);
}

void
watch_summary(struct watch *w)
{
	struct top top[WATCH_TOP];
	size_t n = top_buckets(w, top);

	if (w->json)
		summary_json(w, top, n);
	else
		summary_tsv(w, top, n);
}
