/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for meek-client's option parsers (client/meekc_parse.c):
 * --url, --front (against a fixed URL and the parsed one) and --header.
 * The input is split at the first NUL: URL before it, the rest tried as a
 * front and as a header. Checks: results are NUL-terminated, within their
 * limits, free of bytes that could break a request head, and a front
 * always has a name to verify.
 */
#include "meek-client/meekc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static void
fz_clean(const char *s, size_t max)
{
	size_t i, len = strnlen(s, max + 1);

	if (len > max)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

static void
fz_front(const char *s, const struct meekc_url *u)
{
	struct meekc_front f;
	char err[128];

	if (meekc_parse_front(s, u, &f, err, sizeof(err)) != 0)
		return;
	fz_clean(f.host, MEEKC_HOST_MAX);
	fz_clean(f.sni, MEEKC_HOST_MAX);
	fz_clean(f.verify, MEEKC_HOST_MAX);
	if (f.verify[0] == '\0' || f.host[0] == '\0' || f.port == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct meekc_url u, fixed;
	char *a, *b, err[128], line[MEEKC_HEADER_LINE_MAX + 8];
	const uint8_t *nul = memchr(p, 0, n);
	size_t alen = nul != NULL ? (size_t)(nul - p) : n;
	int w;

	a = malloc(alen + 1);
	b = malloc(n - alen + 1);
	if (a == NULL || b == NULL)
		abort();
	memcpy(a, p, alen);
	a[alen] = '\0';
	memcpy(b, nul != NULL ? nul + 1 : p + n, nul != NULL ? n - alen - 1 : 0);
	b[nul != NULL ? n - alen - 1 : 0] = '\0';

	if (meekc_parse_url("https://meek.example/", 0, &fixed, err, sizeof(err)) != 0)
		abort();
	if (meekc_parse_url(a, 1, &u, err, sizeof(err)) == 0) {
		fz_clean(u.host, MEEKC_HOST_MAX);
		fz_clean(u.path, MEEKC_PATH_MAX);
		if (u.port == 0 || u.path[0] != '/' || u.host[0] == '\0')
			abort();
		if (!u.https && meekc_parse_url(a, 0, &u, err, sizeof(err)) != -1)
			abort();
		fz_front(b, &u);
	}
	fz_front(a, &fixed);
	fz_front(b, &fixed);
	w = meekc_parse_header(b, line, sizeof(line), err, sizeof(err));
	if (w >= 0) {
		if ((size_t)w != strlen(line) || w < 4 || memcmp(line + w - 2, "\r\n", 2) != 0 ||
		    memchr(line, '\n', (size_t)w - 1) != NULL || memchr(line, '\r', (size_t)w - 2))
			abort();
	}
	free(a);
	free(b);
	return 0;
}
