/* SPDX-License-Identifier: MIT */
/*
 * See secret.h. The file is read with one bounded read; nothing of it is
 * logged.
 */
#include "base/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
secret_read_file(const char *path, char *buf, size_t cap, char *err, size_t errlen)
{
	char tmp[SECRET_MAX + 2];
	size_t n = 0, len, i;
	int fd;

	if (cap < 2) {
		snprintf(err, errlen, "%s: no room", path);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, tmp + n, sizeof(tmp) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			secret_wipe(tmp, sizeof(tmp));
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(tmp))
			break;
	}
	close(fd);
	for (len = 0; len < n && tmp[len] != '\n'; len++)
		;
	for (i = len; i < n; i++) {
		if (tmp[i] != '\n' && tmp[i] != '\r' && tmp[i] != ' ' && tmp[i] != '\t') {
			snprintf(err, errlen, "%s: more than one line, or longer than %d bytes",
			    path, SECRET_MAX);
			secret_wipe(tmp, sizeof(tmp));
			return -1;
		}
	}
	if (len > 0 && tmp[len - 1] == '\r')
		len--;
	if (len == 0 || len >= cap || len > SECRET_MAX || memchr(tmp, '\0', len)) {
		snprintf(err, errlen, "%s: %s", path,
		    len == 0 ? "empty" : "too long or contains NUL");
		secret_wipe(tmp, sizeof(tmp));
		return -1;
	}
	memcpy(buf, tmp, len);
	buf[len] = '\0';
	secret_wipe(tmp, sizeof(tmp));
	return (int)len;
}

int
secret_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile uint8_t *pa = a, *pb = b;
	size_t n = alen < blen ? alen : blen, i;
	uint8_t d = alen != blen;

	for (i = 0; i < n; i++)
		d |= pa[i] ^ pb[i];
	return d == 0;
}

void
secret_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}
