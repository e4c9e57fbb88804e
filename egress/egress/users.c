/* SPDX-License-Identifier: MIT */
/* The users file (see users.h). */
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/secret.h"

/* One token of printable non-space bytes at *p (max bytes): its length, 0 if none or too long. */
static size_t
token(const char *p, const char *end, size_t max)
{
	size_t n = 0;

	while (p + n < end && p[n] > ' ' && p[n] <= '~')
		n++;
	return n <= max ? n : 0;
}

static int
parse_line(const char *p, const char *end, struct user *out)
{
	size_t n = token(p, end, USERS_NAME_MAX), s;

	if (n == 0 || p + n >= end || (p[n] != ' ' && p[n] != '\t'))
		return -1;
	memcpy(out->name, p, n);
	out->name[n] = '\0';
	p += n + 1;
	s = token(p, end, USERS_SECRET_MAX);
	if (s == 0 || p + s != end)
		return -1;
	memcpy(out->secret, p, s);
	out->slen = s;
	return 0;
}

static int
name_taken(const struct user *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return 1;
	return 0;
}

int
users_parse(struct users *u, const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *eol;
	struct user *v = NULL, *nv;
	size_t n = 0, cap = 0, line = 0;

	for (; p < end; p = eol + 1) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol > p && eol[-1] == '\r' ? eol - 1 == p : eol == p)
			continue;
		if (*p == '#')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (n >= USERS_MAX || (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				snprintf(err, errlen, "line %zu: too many users (at most %d)", line, USERS_MAX);
				goto fail;
			}
			v = nv;
		}
		if (parse_line(p, eol > p && eol[-1] == '\r' ? eol - 1 : eol, &v[n]) == -1) {
			snprintf(err, errlen, "line %zu: want NAME SECRET (printable, no spaces, "
			         "name up to %d bytes, secret up to %d)", line, USERS_NAME_MAX,
			         USERS_SECRET_MAX);
			goto fail;
		}
		if (name_taken(v, n, v[n].name)) {
			snprintf(err, errlen, "line %zu: user %s appears twice", line, v[n].name);
			goto fail;
		}
		n++;
	}
	users_free(u);
	u->v = v;
	u->n = n;
	return 0;
fail:
	if (v != NULL)
		secret_wipe(v, cap * sizeof(*v));
	free(v);
	return -1;
}

int
users_load(struct users *u, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((size_t)st.st_size > USERS_FILE_MAX || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, USERS_FILE_MAX);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077)
		log_warnx("%s: readable by others than its owner (chmod 600)", path);
	r = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (r != (ssize_t)st.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		return -1;
	}
	rc = users_parse(u, buf, (size_t)r, err, errlen);
	secret_wipe(buf, (size_t)r);
	free(buf);
	return rc;
}

void
users_free(struct users *u)
{
	if (u->v != NULL)
		secret_wipe(u->v, u->n * sizeof(*u->v));
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

int
users_has(const struct users *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			return 1;
	return 0;
}

int
users_check(const struct users *u, const char *name, const uint8_t *secret, size_t slen)
{
	static const uint8_t none[USERS_SECRET_MAX];
	const struct user *hit = NULL;
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			hit = &u->v[i];
	/* An unknown name costs a comparison too. */
	if (hit == NULL) {
		(void)secret_eq(none, slen <= sizeof(none) ? slen : sizeof(none), secret, slen);
		return 0;
	}
	return secret_eq(hit->secret, hit->slen, secret, slen);
}
