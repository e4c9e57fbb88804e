/* SPDX-License-Identifier: MIT */
/*
 * freddie's POST /v1/signal body: application/x-www-form-urlencoded with
 * the fields data, send-to and type (reference lantern.md §3.2). Pure
 * function over (p, n) on the whole body: n when it is well formed, -1
 * otherwise (a bad %-escape, a field over its cap, a type that is not a
 * decimal integer). Unknown fields are skipped; a repeated field keeps its
 * first value, as Go's FormValue does.
 */
#ifndef RDV_FFORM_H
#define RDV_FFORM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FFORM_SENDTO_MAX 64

struct fform {
	char *data; /* decoded, NUL-terminated; caller frees */
	size_t data_len;
	char send_to[FFORM_SENDTO_MAX + 1];
	int has_type;
	long type;
};

ssize_t fform_decode(const uint8_t *p, size_t n, struct fform *out);
void fform_free(struct fform *f);

#endif
