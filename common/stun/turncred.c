/* SPDX-License-Identifier: MIT */
/*
 * See turncred.h. The parser works on the bytes as given (no NUL
 * needed) and copies the three fields out; the file reader keeps what it
 * read in one buffer that it wipes on every return.
 */
#include "stun/turncred.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/secret.h"

static int
is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

/* The next field in [*i, end): its start and length; 0 when there is none. */
static size_t
field(const uint8_t *p, size_t end, size_t *i, size_t *start)
{
	while (*i < end && is_blank(p[*i]))
		(*i)++;
	*start = *i;
	while (*i < end && !is_blank(p[*i]))
		(*i)++;
	return *i - *start;
}

/* Printable ASCII without blanks, fitting cap with its NUL. */
static int
copy_token(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t i;

	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

ssize_t
turncred_line(const uint8_t *p, size_t n, struct turncred *c, char *err, size_t errlen)
{
	const uint8_t *nl = memchr(p, '\n', n < TURNCRED_LINE_MAX ? n : TURNCRED_LINE_MAX);
	size_t end, i = 0, s, len;
	char uerr[96];

	memset(c, 0, sizeof(*c));
	if (errlen > 0)
		err[0] = '\0';
	if (nl == NULL) {
		if (n < TURNCRED_LINE_MAX)
			return 0;
		snprintf(err, errlen, "line longer than %d bytes", TURNCRED_LINE_MAX - 1);
		return -1;
	}
	end = (size_t)(nl - p);
	if (end > 0 && p[end - 1] == '\r')
		end--;
	if (field(p, end, &i, &s) == 0 || p[s] == '#') {
		c->blank = 1;
		return (ssize_t)(nl - p) + 1;
	}
	len = i - s;
	if (stun_uri_parse((const char *)p + s, len, &c->uri, uerr, sizeof(uerr)) == -1) {
		snprintf(err, errlen, "bad server: %s", uerr);
		return -1;
	}
	if (!c->uri.turn) {
		snprintf(err, errlen, "bad server: a turn: or turns: URI is needed");
		return -1;
	}
	len = field(p, end, &i, &s);
	if (copy_token(p + s, len, c->user, sizeof(c->user)) == -1) {
		snprintf(err, errlen, len == 0 ? "no username" : "bad username (printable, at most %d bytes)",
		    STUN_USERNAME_MAX);
		goto bad;
	}
	len = field(p, end, &i, &s);
	if (copy_token(p + s, len, c->pass, sizeof(c->pass)) == -1) {
		snprintf(err, errlen, len == 0 ? "no password" : "bad password (printable, at most %d bytes)",
		    STUN_PASSWORD_MAX);
		goto bad;
	}
	if (field(p, end, &i, &s) != 0) {
		snprintf(err, errlen, "more than three fields");
		goto bad;
	}
	return (ssize_t)(nl - p) + 1;
bad:
	turncred_wipe(c);
	return -1;
}

int
turncred_same(const struct stun_uri *a, const struct stun_uri *b)
{
	return a->turn == b->turn && a->transport == b->transport && a->port == b->port &&
	    strcmp(a->host, b->host) == 0;
}

void
turncred_wipe(struct turncred *c)
{
	secret_wipe(c->user, sizeof(c->user));
	secret_wipe(c->pass, sizeof(c->pass));
}

/* The whole file into buf (one byte kept for a final newline). -1 with err. */
static ssize_t
read_all(const char *path, uint8_t *buf, size_t cap, char *err, size_t errlen)
{
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		r = read(fd, buf + got, cap - 1 - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got == cap - 1) {
			close(fd);
			snprintf(err, errlen, "%s: larger than %d bytes", path, TURNCRED_FILE_MAX - 1);
			return -1;
		}
	}
	close(fd);
	if (got > 0 && buf[got - 1] != '\n')
		buf[got++] = '\n';
	return (ssize_t)got;
}

int
turncred_find(const char *path, const struct stun_uri *want, const struct stun_uri *alt,
              struct turncred *out, char *err, size_t errlen)
{
	uint8_t *buf = malloc(TURNCRED_FILE_MAX);
	struct turncred c, other;
	int have_other = 0, rc = 0;
	size_t off = 0, lineno = 0;
	ssize_t n, used;
	char why[128];

	memset(out, 0, sizeof(*out));
	memset(&other, 0, sizeof(other));
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((n = read_all(path, buf, TURNCRED_FILE_MAX, err, errlen)) == -1) {
		rc = -1;
		goto out;
	}
	while (off < (size_t)n) {
		lineno++;
		used = turncred_line(buf + off, (size_t)n - off, &c, why, sizeof(why));
		if (used <= 0) {
			snprintf(err, errlen, "%s: line %zu: %s", path, lineno,
			    used == 0 ? "unterminated" : why);
			rc = -1;
			goto out;
		}
		off += (size_t)used;
		if (c.blank)
			continue;
		if (rc == 0 && turncred_same(&c.uri, want)) {
			*out = c;
			rc = 1;
		} else if (!have_other && alt != NULL && turncred_same(&c.uri, alt)) {
			other = c;
			have_other = 1;
		}
		turncred_wipe(&c);
	}
	if (rc == 0 && have_other) {
		*out = other;
		out->uri = *want;
		rc = 1;
	}
out:
	if (rc == -1)
		turncred_wipe(out);
	turncred_wipe(&other);
	secret_wipe(buf, TURNCRED_FILE_MAX);
	free(buf);
	return rc;
}
