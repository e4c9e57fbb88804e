/* SPDX-License-Identifier: MIT */
/*
 * X-Meek-Pipeline values (see meekpipe.h). The parser walks the value
 * once, by index; nothing is copied and nothing past n is read.
 */
#include "proto/meekpipe.h"

#include <stdio.h>
#include <string.h>

enum { P_V, P_WINDOW, P_BASE, P_HOLD, P_OTHER };

static int
pipe_name(const char *s, size_t n)
{
	static const char *const names[] = { "v", "window", "base", "hold" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return (int)i;
	return P_OTHER;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One NAME=VALUE element in s[0..n), blanks trimmed. */
static int
pipe_elem(const char *s, size_t n, struct meek_pipe *p, unsigned *seen)
{
	const char *eq = memchr(s, '=', n);
	size_t nl, vl, i;
	uint64_t v = 0;
	int k;

	if (eq == NULL || eq == s)
		return -1;
	nl = (size_t)(eq - s);
	vl = n - nl - 1;
	if (vl == 0 || vl > 18)
		return -1;
	for (i = 0; i < vl; i++) {
		if (eq[1 + i] < '0' || eq[1 + i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(eq[1 + i] - '0');
	}
	k = pipe_name(s, nl);
	if (k != P_OTHER && (*seen & (1u << k)))
		return -1;
	*seen |= 1u << k;
	switch (k) {
	case P_V:
		return v == MEEK_PIPE_VERSION ? 0 : -1;
	case P_WINDOW:
		if (v < 1 || v > MEEK_PIPE_WINDOW_MAX)
			return -1;
		p->window = (unsigned)v;
		return 0;
	case P_BASE:
		p->base = v;
		p->has_base = 1;
		return 0;
	case P_HOLD:
		if (v > MEEK_HOLD_MAX_MS)
			return -1;
		p->hold_ms = (unsigned)v;
		return 0;
	}
	return 0;
}

int
meek_pipe_parse(const char *v, size_t n, struct meek_pipe *p)
{
	size_t i = 0, start, end;
	unsigned seen = 0;

	memset(p, 0, sizeof(*p));
	p->window = 1;
	if (n > MEEK_PIPE_VALUE_MAX)
		return -1;
	while (i <= n) {
		start = i;
		while (i < n && v[i] != ',')
			i++;
		end = i;
		while (start < end && is_blank(v[start]))
			start++;
		while (end > start && is_blank(v[end - 1]))
			end--;
		if (pipe_elem(v + start, end - start, p, &seen) == -1)
			return -1;
		i++;
	}
	return (seen & (1u << P_V)) ? 0 : -1;
}

int
meek_pipe_format(const struct meek_pipe *p, char *out, size_t cap)
{
	char base[32] = "", hold[24] = "";
	int w;

	if (p->has_base)
		snprintf(base, sizeof(base), ", base=%llu", (unsigned long long)p->base);
	if (p->hold_ms > 0)
		snprintf(hold, sizeof(hold), ", hold=%u", p->hold_ms);
	w = snprintf(out, cap, "v=%d, window=%u%s%s", MEEK_PIPE_VERSION, p->window, base, hold);
	if (w < 0 || (size_t)w >= cap)
		return -1;
	return w;
}
