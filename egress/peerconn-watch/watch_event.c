/* SPDX-License-Identifier: MIT */
/*
 * The event-line parser of peerconn-watch (see watch_event.h). One pass
 * over the line with a cursor; strings of known keys are decoded into
 * fixed buffers on the stack, everything else is only validated. The
 * grammar is RFC 8259's, restricted to one object per line: any byte
 * after the closing brace but white space makes the line garbage, and
 * so does a line that ends early.
 */
#include "watch_event.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"

#define WATCH_US_PER_S 1000000LL
#define WATCH_TIME_S_MAX 1000000000000LL /* seconds; larger times are garbage */
#define WATCH_KEYNAME_MAX 16             /* longer keys are unknown anyway */

struct jp {
	const unsigned char *p, *end;
};

/* A value parsed for a known key: its kind and where its text is. */
enum jv_kind { JV_NULL, JV_STRING, JV_NUMBER };

struct jv {
	enum jv_kind kind;
	char s[WATCH_EVENT_STR_MAX + 1]; /* decoded string, NUL-terminated */
	size_t n;
	const unsigned char *num; /* number text, not decoded */
	size_t numlen;
	int num_int; /* no fraction, no exponent */
};

static int jp_value(struct jp *j, int depth);

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
jp_hex4(struct jp *j, unsigned *cp)
{
	int i, v;

	if (j->end - j->p < 4)
		return -1;
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((v = num_hexval(j->p[i])) < 0)
			return -1;
		*cp = *cp << 4 | (unsigned)v;
	}
	j->p += 4;
	return 0;
}

/* Store byte c at out[*n] if there is room; count it either way. */
static void
put(char *out, size_t cap, size_t *n, unsigned c, int *over)
{
	if (out != NULL && *n < cap)
		out[*n] = (char)c;
	else if (out != NULL)
		*over = 1;
	(*n)++;
}

/* \uXXXX (and its low surrogate) as UTF-8; j->p is after the 'u'. */
static int
jp_escape_u(struct jp *j, char *out, size_t cap, size_t *n, int *over)
{
	unsigned cp, lo;

	if (jp_hex4(j, &cp) == -1 || (cp >= 0xdc00 && cp <= 0xdfff))
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
			return -1;
		j->p += 2;
		if (jp_hex4(j, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp < 0x80) {
		put(out, cap, n, cp, over);
	} else if (cp < 0x800) {
		put(out, cap, n, 0xc0 | cp >> 6, over);
		put(out, cap, n, 0x80 | (cp & 0x3f), over);
	} else if (cp < 0x10000) {
		put(out, cap, n, 0xe0 | cp >> 12, over);
		put(out, cap, n, 0x80 | (cp >> 6 & 0x3f), over);
		put(out, cap, n, 0x80 | (cp & 0x3f), over);
	} else {
		put(out, cap, n, 0xf0 | cp >> 18, over);
		put(out, cap, n, 0x80 | (cp >> 12 & 0x3f), over);
		put(out, cap, n, 0x80 | (cp >> 6 & 0x3f), over);
		put(out, cap, n, 0x80 | (cp & 0x3f), over);
	}
	return 0;
}

/*
 * A string at j->p ('"'). Decoded into out (cap bytes) unless out is
 * NULL. Return 0, 1 when it was longer than cap (out holds the start),
 * or -1 on a syntax error.
 */
static int
jp_string(struct jp *j, char *out, size_t cap, size_t *len)
{
	size_t n = 0;
	int over = 0;
	unsigned c;

	j->p++;
	while (j->p < j->end) {
		c = *j->p++;
		if (c == '"') {
			if (len != NULL)
				*len = n < cap ? n : cap;
			return over;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			put(out, cap, &n, c, &over);
			continue;
		}
		if (j->p == j->end)
			return -1;
		switch (c = *j->p++) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (jp_escape_u(j, out, cap, &n, &over) == -1)
				return -1;
			continue;
		default:
			return -1;
		}
		put(out, cap, &n, c, &over);
	}
	return -1;
}

static int
jp_digits(struct jp *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : -1;
}

/* A number at j->p; *is_int when it has no fraction and no exponent. */
static int
jp_number(struct jp *j, int *is_int)
{
	*is_int = 1;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (jp_digits(j) == -1)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		*is_int = 0;
		if (jp_digits(j) == -1)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		*is_int = 0;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (jp_digits(j) == -1)
			return -1;
	}
	return 0;
}

static int
jp_literal(struct jp *j, const char *lit, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

/* An object or array at j->p, skipped; depth counts the levels above. */
static int
jp_container(struct jp *j, int depth)
{
	unsigned char close = *j->p == '{' ? '}' : ']';

	if (depth >= WATCH_EVENT_DEPTH_MAX)
		return -1;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (j->p == j->end || *j->p != '"' || jp_string(j, NULL, 0, NULL) == -1)
				return -1;
			jp_ws(j);
			if (j->p == j->end || *j->p++ != ':')
				return -1;
			jp_ws(j);
		}
		if (jp_value(j, depth + 1) == -1)
			return -1;
		jp_ws(j);
		if (j->p == j->end)
			return -1;
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
		jp_ws(j);
	}
}

static int
jp_value(struct jp *j, int depth)
{
	int is_int;

	if (j->p == j->end)
		return -1;
	switch (*j->p) {
	case '"':
		return jp_string(j, NULL, 0, NULL) == -1 ? -1 : 0;
	case '{':
	case '[':
		return jp_container(j, depth);
	case 't':
		return jp_literal(j, "true", 4);
	case 'f':
		return jp_literal(j, "false", 5);
	case 'n':
		return jp_literal(j, "null", 4);
	default:
		return jp_number(j, &is_int);
	}
}

/* The value of a known key: a string, a number or null; nothing else. */
static int
jp_known(struct jp *j, struct jv *v)
{
	if (j->p == j->end)
		return -1;
	if (*j->p == '"') {
		v->kind = JV_STRING;
		if (jp_string(j, v->s, WATCH_EVENT_STR_MAX, &v->n) != 0)
			return -1;
		v->s[v->n] = '\0';
		return 0;
	}
	if (*j->p == 'n') {
		v->kind = JV_NULL;
		return jp_literal(j, "null", 4);
	}
	v->kind = JV_NUMBER;
	v->num = j->p;
	if (jp_number(j, &v->num_int) == -1)
		return -1;
	v->numlen = (size_t)(j->p - v->num);
	return v->numlen <= WATCH_EVENT_NUM_MAX ? 0 : -1;
}

/* A non-negative number as integer microseconds (seconds when scale is 1e6). */
static int
num_us(const struct jv *v, int64_t *out)
{
	char tmp[WATCH_EVENT_NUM_MAX + 1];
	const unsigned char *p = v->num, *end = v->num + v->numlen;
	int64_t s = 0, frac = 0, mult = 100000;
	double d;

	if (*p == '-') {
		/* "-0" and "-0.0" are zero; anything else negative is not a time. */
		for (p++; p < end && (*p == '0' || *p == '.'); p++)
			;
		if (p == end) {
			*out = 0;
			return 0;
		}
		return -1;
	}
	if (memchr(p, 'e', v->numlen) == NULL && memchr(p, 'E', v->numlen) == NULL) {
		for (; p < end && *p != '.'; p++) {
			s = s * 10 + (*p - '0');
			if (s > WATCH_TIME_S_MAX)
				return -1;
		}
		/* Digits beyond microseconds are cut, not rounded. */
		for (p += p < end; p < end && mult > 0; p++, mult /= 10)
			frac += (*p - '0') * mult;
		*out = s * WATCH_US_PER_S + frac;
		return 0;
	}
	memcpy(tmp, v->num, v->numlen);
	tmp[v->numlen] = '\0';
	d = strtod(tmp, NULL);
	if (!isfinite(d) || d < 0 || d > (double)WATCH_TIME_S_MAX)
		return -1;
	*out = (int64_t)floor(d * 1e6 + 0.5);
	return 0;
}

static int
num_u64(const struct jv *v, uint64_t *out)
{
	char tmp[WATCH_EVENT_NUM_MAX + 1];
	const unsigned char *p;
	uint64_t x = 0;
	double d;

	if (v->num_int && v->num[0] != '-') {
		for (p = v->num; p < v->num + v->numlen; p++) {
			if (x > (UINT64_MAX - 9) / 10) {
				*out = UINT64_MAX;
				return 0;
			}
			x = x * 10 + (uint64_t)(*p - '0');
		}
		*out = x;
		return 0;
	}
	memcpy(tmp, v->num, v->numlen);
	tmp[v->numlen] = '\0';
	d = strtod(tmp, NULL);
	if (!(d > -1))
		return -1;
	*out = d < 1 ? 0 : d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
	return 0;
}

static int
parse_session(const struct jv *v, struct watch_key *k)
{
	size_t i;
	int hi, lo;

	memset(k, 0, sizeof(*k));
	if (v->n == 0 || v->n % 2 != 0 || v->n > 2 * WATCH_SESSION_MAX)
		return -1;
	for (i = 0; i < v->n; i += 2) {
		if ((hi = num_hexval((unsigned char)v->s[i])) < 0 ||
		    (lo = num_hexval((unsigned char)v->s[i + 1])) < 0)
			return -1;
		k->b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	k->kind = WATCH_KEY_SESSION;
	k->len = (uint8_t)(v->n / 2);
	return 0;
}

/* "ip:port", "[v6]:port", or a bare address; anything else is unknown. */
static void
parse_source(const char *s, size_t n, struct watch_key *k)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char host[INET6_ADDRSTRLEN];
	const char *h = s, *e, *colon;
	uint8_t a[16];

	memset(k, 0, sizeof(*k));
	if (n > 0 && s[0] == '[') {
		h = s + 1;
		if ((e = memchr(h, ']', n - 1)) == NULL)
			return;
	} else if ((colon = memchr(s, ':', n)) != NULL &&
	           memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) == NULL) {
		e = colon;
	} else {
		e = s + n;
	}
	if ((size_t)(e - h) >= sizeof(host))
		return;
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	if (inet_pton(AF_INET, host, a) == 1) {
		k->kind = WATCH_KEY_V4;
		k->len = 4;
		memcpy(k->b, a, 4);
	} else if (inet_pton(AF_INET6, host, a) == 1) {
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			k->kind = WATCH_KEY_V4;
			k->len = 4;
			memcpy(k->b, a + 12, 4);
		} else {
			k->kind = WATCH_KEY_V6;
			k->len = 8;
			memcpy(k->b, a, 8);
		}
	}
}

/* "host:port" or "[v6]:port": hash of the folded host, and the port. */
static void
parse_dest(const char *s, size_t n, struct watch_event *ev)
{
	const char *h = s, *e = s + n, *port = NULL, *colon;
	uint64_t hash = 0xcbf29ce484222325ULL;
	unsigned long pv = 0;
	unsigned char c;

	if (n > 0 && s[0] == '[' && (colon = memchr(s, ']', n)) != NULL) {
		h = s + 1;
		e = colon;
		if (colon + 1 < s + n && colon[1] == ':')
			port = colon + 2;
	} else if ((colon = memrchr(s, ':', n)) != NULL) {
		e = colon;
		port = colon + 1;
	}
	for (; h < e; h++) {
		c = (unsigned char)*h;
		hash = (hash ^ (c >= 'A' && c <= 'Z' ? c | 0x20 : c)) * 0x100000001b3ULL;
	}
	ev->has_dest = 1;
	ev->dest_hash = hash;
	ev->dest_port = 0;
	if (port == NULL || port == s + n || s + n - port > 5)
		return;
	for (; port < s + n; port++) {
		if (*port < '0' || *port > '9')
			return;
		pv = pv * 10 + (unsigned long)(*port - '0');
	}
	if (pv <= 65535)
		ev->dest_port = (uint16_t)pv;
}

static enum watch_result
parse_result(const char *s)
{
	static const char *const names[] = { "ok", "refused", "unreachable", "timeout", "error" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum watch_result)(WATCH_RES_OK + i);
	return WATCH_RES_OTHER;
}

enum key_id { K_OTHER, K_TIME, K_EVENT, K_SESSION, K_SOURCE, K_DEST, K_UP, K_DOWN, K_DUR, K_RESULT };

static enum key_id
key_id(const char *k, size_t n)
{
	static const struct {
		const char *name;
		enum key_id id;
	} keys[] = {
		{ "time", K_TIME },         { "event", K_EVENT },         { "session", K_SESSION },
		{ "source", K_SOURCE },     { "destination", K_DEST },    { "bytes_up", K_UP },
		{ "bytes_down", K_DOWN },   { "duration", K_DUR },        { "result", K_RESULT },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == n && memcmp(keys[i].name, k, n) == 0)
			return keys[i].id;
	return K_OTHER;
}

/* Apply one known key's value to ev; flags track what was seen. */
struct seen {
	int time, event, unknown_type, session;
	struct watch_key session_key, source_key;
};

static int
apply(enum key_id id, const struct jv *v, struct watch_event *ev, struct seen *sn)
{
	int want_num = id == K_TIME || id == K_UP || id == K_DOWN || id == K_DUR;

	if (v->kind == JV_NULL)
		return id == K_TIME || id == K_EVENT ? -1 : 0;
	if (want_num != (v->kind == JV_NUMBER))
		return -1;
	switch (id) {
	case K_TIME:
		sn->time = 1;
		return num_us(v, &ev->time_us);
	case K_EVENT:
		sn->event = 1;
		sn->unknown_type = 0;
		if (strcmp(v->s, "accept") == 0)
			ev->type = WATCH_EV_ACCEPT;
		else if (strcmp(v->s, "close") == 0)
			ev->type = WATCH_EV_CLOSE;
		else
			sn->unknown_type = 1;
		return 0;
	case K_SESSION:
		sn->session = 1;
		return parse_session(v, &sn->session_key);
	case K_SOURCE:
		parse_source(v->s, v->n, &sn->source_key);
		return 0;
	case K_DEST:
		parse_dest(v->s, v->n, ev);
		return 0;
	case K_UP:
		return num_u64(v, &ev->bytes_up);
	case K_DOWN:
		return num_u64(v, &ev->bytes_down);
	case K_DUR:
		return num_us(v, &ev->duration_us);
	case K_RESULT:
		ev->result = parse_result(v->s);
		return 0;
	case K_OTHER:
		break;
	}
	return 0;
}

enum watch_parse
watch_event_parse(const char *p, size_t n, struct watch_event *ev)
{
	struct jp j = { (const unsigned char *)p, (const unsigned char *)p + n };
	char kname[WATCH_KEYNAME_MAX];
	struct seen sn;
	struct jv v;
	enum key_id id;
	size_t klen;
	int r;

	memset(ev, 0, sizeof(*ev));
	memset(&sn, 0, sizeof(sn));
	ev->duration_us = -1;
	jp_ws(&j);
	if (j.p == j.end || *j.p++ != '{')
		return WATCH_PARSE_GARBAGE;
	jp_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto end;
	}
	for (;;) {
		if (j.p == j.end || *j.p != '"' || (r = jp_string(&j, kname, sizeof(kname), &klen)) == -1)
			return WATCH_PARSE_GARBAGE;
		jp_ws(&j);
		if (j.p == j.end || *j.p++ != ':')
			return WATCH_PARSE_GARBAGE;
		jp_ws(&j);
		id = r == 1 ? K_OTHER : key_id(kname, klen);
		if (id == K_OTHER) {
			if (jp_value(&j, 0) == -1)
				return WATCH_PARSE_GARBAGE;
		} else if (jp_known(&j, &v) == -1 || apply(id, &v, ev, &sn) == -1) {
			return WATCH_PARSE_GARBAGE;
		}
		jp_ws(&j);
		if (j.p == j.end)
			return WATCH_PARSE_GARBAGE;
		if (*j.p == '}') {
			j.p++;
			break;
		}
		if (*j.p++ != ',')
			return WATCH_PARSE_GARBAGE;
		jp_ws(&j);
	}
end:
	jp_ws(&j);
	if (j.p != j.end || !sn.time || !sn.event)
		return WATCH_PARSE_GARBAGE;
	if (sn.unknown_type)
		return WATCH_PARSE_UNKNOWN;
	ev->key = sn.session && sn.session_key.kind ? sn.session_key : sn.source_key;
	return WATCH_PARSE_OK;
}

int
watch_key_eq(const struct watch_key *a, const struct watch_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

void
watch_key_format(const struct watch_key *k, char *out, size_t outlen)
{
	char addr[INET6_ADDRSTRLEN];
	uint8_t a[16];
	size_t i, o;

	if (outlen == 0)
		return;
	switch (k->kind) {
	case WATCH_KEY_SESSION:
		o = (size_t)snprintf(out, outlen, "session:");
		for (i = 0; i < k->len && o + 2 < outlen; i++, o += 2)
			snprintf(out + o, outlen - o, "%02x", k->b[i]);
		return;
	case WATCH_KEY_V4:
		if (inet_ntop(AF_INET, k->b, addr, sizeof(addr)) == NULL)
			break;
		snprintf(out, outlen, "%s", addr);
		return;
	case WATCH_KEY_V6:
		memset(a, 0, sizeof(a));
		memcpy(a, k->b, 8);
		if (inet_ntop(AF_INET6, a, addr, sizeof(addr)) == NULL)
			break;
		snprintf(out, outlen, "%s/64", addr);
		return;
	}
	snprintf(out, outlen, "unknown");
}
