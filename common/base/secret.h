/* SPDX-License-Identifier: MIT */
/*
 * Secrets (meek auth tokens, TURN passwords and static secrets) come from
 * files, never argv (DESIGN.md §7). This module reads them with a hard
 * size cap, compares them in constant time and wipes them after use.
 */
#ifndef PW_SECRET_H
#define PW_SECRET_H

#include <stddef.h>

#define SECRET_MAX 1024 /* bytes of one secret file, after trimming */

/*
 * Read the first line of PATH (a trailing "\n" or "\r\n" removed) into
 * buf, NUL-terminated. Returns its length, or -1 with a message in err
 * (empty file, longer than cap - 1, not readable). The file's other bytes
 * are ignored only if they are blank lines; anything else is an error, so
 * a stray second token is not silently dropped.
 */
int secret_read_file(const char *path, char *buf, size_t cap, char *err, size_t errlen);

/* 1 when equal. Time depends on the lengths only, not on the contents. */
int secret_eq(const void *a, size_t alen, const void *b, size_t blen);

/* Zero memory in a way the compiler may not remove. */
void secret_wipe(void *p, size_t n);

#endif
