/* SPDX-License-Identifier: MIT */
/*
 * The TURN credentials file parser (stun/turncred.c), line after line
 * over the input as a file reader calls it: a line consumed ends in its
 * newline and no later than the input; an accepted line has a turn: or
 * turns: server and printable, blank-free, NUL-terminated credentials;
 * a refusal leaves a reason and no secret behind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/turncred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_token(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0 || n == cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct turncred c;
	char err[128];
	uint8_t *copy;
	size_t off = 0;
	ssize_t r;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	while (off < size) {
		memset(err, 'x', sizeof(err));
		r = turncred_line(copy + off, size - off, &c, err, sizeof(err));
		if (r == 0)
			break;
		if (r < 0) {
			if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0' || c.user[0] || c.pass[0])
				abort();
			break;
		}
		if ((size_t)r > size - off || copy[off + (size_t)r - 1] != '\n')
			abort();
		if (!c.blank) {
			if (!c.uri.turn || c.uri.port == 0)
				abort();
			check_token(c.user, sizeof(c.user));
			check_token(c.pass, sizeof(c.pass));
		}
		turncred_wipe(&c);
		off += (size_t)r;
	}
	free(copy);
	return 0;
}
