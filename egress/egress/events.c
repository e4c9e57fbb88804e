/* SPDX-License-Identifier: MIT */
/*
 * JSON formatting of stream events (see events.h). jansson builds the
 * object so escaping is never hand-rolled; key order is insertion order.
 * Reals are printed with 16 significant digits after rounding to
 * microseconds, enough for a current Unix time with six decimals and
 * short enough that 0.25 prints as 0.25.
 */
#include "events.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define EVENTS_STR_MAX 512 /* longer strings are cut; destinations are <= 264 */

static const char *const events_result_names[] = {
	[EVENTS_OK] = "ok",
	[EVENTS_REFUSED] = "refused",
	[EVENTS_UNREACHABLE] = "unreachable",
	[EVENTS_TIMEOUT] = "timeout",
	[EVENTS_ERROR] = "error",
};

const char *
events_result_str(enum events_result r)
{
	if ((unsigned)r >= sizeof(events_result_names) / sizeof(events_result_names[0]))
		return "error";
	return events_result_names[r];
}

/* A JSON string, or null; invalid UTF-8 degrades to '?' per high byte. */
static json_t *
events_string(const char *s)
{
	char tmp[EVENTS_STR_MAX];
	json_t *j;
	size_t i, n;

	if (s == NULL)
		return json_null();
	n = strnlen(s, sizeof(tmp) - 1);
	if ((j = json_stringn(s, n)) != NULL)
		return j;
	for (i = 0; i < n; i++)
		tmp[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	return json_stringn(tmp, n);
}

static json_t *
events_real(double v)
{
	if (!isfinite(v) || v < 0)
		v = 0;
	return json_real(round(v * 1e6) / 1e6);
}

static json_t *
events_count(uint64_t v)
{
	/* json_int_t is long long; 2^63 bytes will not be relayed in practice. */
	return json_integer(v > (uint64_t)LLONG_MAX ? LLONG_MAX : (json_int_t)v);
}

static json_t *
events_base(const struct events_stream *s, const char *event)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "time", events_real(s->time)) == -1 ||
	    json_object_set_new(o, "event", json_string(event)) == -1 ||
	    json_object_set_new(o, "session", events_string(s->session)) == -1 ||
	    json_object_set_new(o, "source", events_string(s->source)) == -1 ||
	    json_object_set_new(o, "destination", events_string(s->destination)) == -1 ||
	    (s->user != NULL && json_object_set_new(o, "user", events_string(s->user)) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Dump o (consumed) and terminate the line. */
static int
events_dump(json_t *o, char *out, size_t outlen)
{
	size_t n;

	if (o == NULL || outlen < 2) {
		json_decref(o);
		return -1;
	}
	n = json_dumpb(o, out, outlen - 1, JSON_COMPACT | JSON_REAL_PRECISION(16));
	json_decref(o);
	if (n == 0 || n > outlen - 2 || n > (size_t)EVENTS_LINE_MAX - 1)
		return -1;
	out[n++] = '\n';
	out[n] = '\0';
	return (int)n;
}

int
events_format_accept(const struct events_stream *s, char *out, size_t outlen)
{
	return events_dump(events_base(s, "accept"), out, outlen);
}

int
events_format_close(const struct events_stream *s, const struct events_close *c, char *out,
                    size_t outlen)
{
	json_t *o = events_base(s, "close");

	if (o != NULL &&
	    (json_object_set_new(o, "bytes_up", events_count(c->bytes_up)) == -1 ||
	     json_object_set_new(o, "bytes_down", events_count(c->bytes_down)) == -1 ||
	     json_object_set_new(o, "duration", events_real(c->duration)) == -1 ||
	     json_object_set_new(o, "result", json_string(events_result_str(c->result))) == -1)) {
		json_decref(o);
		return -1;
	}
	return events_dump(o, out, outlen);
}
