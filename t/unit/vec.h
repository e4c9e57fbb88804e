/* SPDX-License-Identifier: MIT */
/*
 * Protocol vectors for the Check suites, read from text files under
 * t/data/ (relative to $PW_TOP, default "."). One vector a line:
 *
 *   KIND RESULT [key=value ...] : HEX BYTES ...
 *
 * The separator is " : " (spaces around), so values may hold colons.
 * '#' starts a comment line; hex may be split by spaces. Header-only
 * (static functions) so each suite stays a single translation unit;
 * limits are fixed and generous, and exceeding one fails the test.
 */
#ifndef PW_T_VEC_H
#define PW_T_VEC_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define VEC_MAX 128
#define VEC_BYTES_MAX 1200
#define VEC_KV_MAX 8
#define VEC_LINE_MAX 4096

struct vec {
	int lineno;
	char kind[32];
	char result[16];
	int nkv;
	char key[VEC_KV_MAX][32];
	char val[VEC_KV_MAX][256];
	uint8_t bytes[VEC_BYTES_MAX];
	size_t len;
};

static inline int
vec_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline void
vec_parse_line(char *line, int lineno, struct vec *v)
{
	char *colon = strstr(line, " : "), *tok, *save = NULL;
	int hi = -1;
	const char *h;

	ck_assert_msg(colon != NULL, "line %d: no ' : '", lineno);
	*colon = '\0';
	memset(v, 0, sizeof(*v));
	v->lineno = lineno;
	tok = strtok_r(line, " \t", &save);
	ck_assert_msg(tok && strlen(tok) < sizeof(v->kind), "line %d: kind", lineno);
	strcpy(v->kind, tok);
	tok = strtok_r(NULL, " \t", &save);
	ck_assert_msg(tok && strlen(tok) < sizeof(v->result), "line %d: result", lineno);
	strcpy(v->result, tok);
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		char *eq = strchr(tok, '=');

		ck_assert_msg(eq && v->nkv < VEC_KV_MAX, "line %d: bad key=value", lineno);
		*eq = '\0';
		ck_assert(strlen(tok) < sizeof(v->key[0]) && strlen(eq + 1) < sizeof(v->val[0]));
		strcpy(v->key[v->nkv], tok);
		strcpy(v->val[v->nkv], eq + 1);
		v->nkv++;
	}
	for (h = colon + 3; *h && *h != '\n'; h++) {
		int d;

		if (*h == ' ' || *h == '\t' || *h == '\r')
			continue;
		d = vec_hexval((unsigned char)*h);
		ck_assert_msg(d >= 0, "line %d: bad hex", lineno);
		if (hi < 0) {
			hi = d;
			continue;
		}
		ck_assert_msg(v->len < VEC_BYTES_MAX, "line %d: too many bytes", lineno);
		v->bytes[v->len++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	ck_assert_msg(hi < 0, "line %d: odd number of hex digits", lineno);
}

/* Load every vector of t/data/<rel>; returns a malloc'ed array. */
static inline struct vec *
vec_load(const char *rel, size_t *count)
{
	const char *top = getenv("PW_TOP");
	char path[1024], line[VEC_LINE_MAX];
	struct vec *v = calloc(VEC_MAX, sizeof(*v));
	FILE *f;
	int lineno = 0;

	ck_assert_ptr_nonnull(v);
	snprintf(path, sizeof(path), "%s/t/data/%s", top && *top ? top : ".", rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s (run from the repo root or set PW_TOP)", path);
	*count = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line;

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\n' || *s == '\0')
			continue;
		ck_assert_msg(*count < VEC_MAX, "%s: too many vectors", path);
		vec_parse_line(s, lineno, &v[*count]);
		(*count)++;
	}
	fclose(f);
	ck_assert_msg(*count > 0, "%s: no vectors", path);
	return v;
}

/* The value of key, or NULL. */
static inline const char *
vec_get(const struct vec *v, const char *key)
{
	int i;

	for (i = 0; i < v->nkv; i++)
		if (strcmp(v->key[i], key) == 0)
			return v->val[i];
	return NULL;
}

static inline long
vec_num(const struct vec *v, const char *key)
{
	const char *s = vec_get(v, key);
	char *end;
	long r;

	ck_assert_msg(s != NULL, "line %d: no %s=", v->lineno, key);
	r = strtol(s, &end, 0);
	ck_assert_msg(*end == '\0', "line %d: bad number for %s", v->lineno, key);
	return r;
}

/* A parser under test, adapted to one shape: consumed, 0 more, -1 error. */
typedef ssize_t (*vec_parse_fn)(const uint8_t *p, size_t n, void *ctx);

/*
 * The stream properties every parser must have, checked on one vector:
 * "ok" needs every strict prefix to ask for more, the whole to parse, and
 * the same length consumed when another copy or early data follows
 * (glued); "more" asks for more at every length; "err" fails on the
 * whole input, and once a prefix has failed every longer one fails too.
 */
static inline void
vec_check_stream(const struct vec *v, vec_parse_fn fn, void *ctx)
{
	static uint8_t glued[2 * VEC_BYTES_MAX + 1];
	size_t i;
	int failed = 0;

	for (i = 0; i < v->len; i++) {
		ssize_t k = fn(v->bytes, i, ctx);

		if (strcmp(v->result, "err") == 0) {
			ck_assert_msg(k == 0 || k == -1, "line %d: n=%zu k=%zd", v->lineno, i, k);
			ck_assert_msg(!(failed && k == 0), "line %d: error then more", v->lineno);
			failed = k == -1;
		} else
			ck_assert_msg(k == 0, "line %d: n=%zu: %zd, want 0", v->lineno, i, k);
	}
	if (strcmp(v->result, "more") == 0) {
		ck_assert_msg(fn(v->bytes, v->len, ctx) == 0, "line %d: want more", v->lineno);
		return;
	}
	if (strcmp(v->result, "err") == 0) {
		ck_assert_msg(fn(v->bytes, v->len, ctx) == -1, "line %d: want error", v->lineno);
		return;
	}
	ck_assert_msg(strcmp(v->result, "ok") == 0, "line %d: bad result", v->lineno);
	ck_assert_msg(fn(v->bytes, v->len, ctx) == (ssize_t)v->len, "line %d: want %zu",
	    v->lineno, v->len);
	memcpy(glued, v->bytes, v->len);
	memcpy(glued + v->len, v->bytes, v->len);
	ck_assert_msg(fn(glued, 2 * v->len, ctx) == (ssize_t)v->len, "line %d: glued", v->lineno);
	glued[v->len] = 0xaa;
	ck_assert_msg(fn(glued, v->len + 1, ctx) == (ssize_t)v->len, "line %d: early data",
	    v->lineno);
}

/* Decode the hex string s ("-" is empty) into out; return its length. */
static inline size_t
vec_hexstr(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	for (; s[0] && s[1]; s += 2) {
		int a = vec_hexval((unsigned char)s[0]), b = vec_hexval((unsigned char)s[1]);

		ck_assert_msg(a >= 0 && b >= 0 && n < max, "bad hex string");
		out[n++] = (uint8_t)(a << 4 | b);
	}
	ck_assert_msg(*s == '\0', "odd hex string");
	return n;
}

#endif
