/* SPDX-License-Identifier: MIT */
#include "fform.h"

#include <stdlib.h>
#include <string.h>

#include "base/num.h"

/* URL-decode p[0..n) into out (room for n + 1); its length, or -1. */
static ssize_t
unescape(const uint8_t *p, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '+') {
			out[o++] = ' ';
		} else if (p[i] == '%') {
			int h, l;

			if (n - i < 3 || (h = num_hexval(p[i + 1])) < 0 || (l = num_hexval(p[i + 2])) < 0)
				return -1;
			out[o++] = (char)(h << 4 | l);
			i += 2;
		} else {
			out[o++] = (char)p[i];
		}
	}
	out[o] = '\0';
	return (ssize_t)o;
}

static int
name_is(const uint8_t *k, size_t kn, const char *name)
{
	return kn == strlen(name) && memcmp(k, name, kn) == 0;
}

ssize_t
fform_decode(const uint8_t *p, size_t n, struct fform *out)
{
	const uint8_t *end = p + n, *s = p;
	int seen_data = 0, seen_to = 0;

	memset(out, 0, sizeof(*out));
	while (s < end) {
		const uint8_t *amp = memchr(s, '&', (size_t)(end - s));
		const uint8_t *e = amp != NULL ? amp : end;
		const uint8_t *eq = memchr(s, '=', (size_t)(e - s));
		const uint8_t *v = eq != NULL ? eq + 1 : e;
		size_t kn = (size_t)((eq != NULL ? eq : e) - s), vn = (size_t)(e - v);
		char *tmp;
		ssize_t len;

		if ((tmp = malloc(vn + 1)) == NULL)
			goto bad;
		if ((len = unescape(v, vn, tmp)) < 0) {
			free(tmp);
			goto bad;
		}
		if (name_is(s, kn, "data") && !seen_data) {
			seen_data = 1;
			out->data = tmp;
			out->data_len = (size_t)len;
			tmp = NULL;
		} else if (name_is(s, kn, "send-to") && !seen_to) {
			seen_to = 1;
			if ((size_t)len > FFORM_SENDTO_MAX || memchr(tmp, '\0', (size_t)len) != NULL) {
				free(tmp);
				goto bad;
			}
			memcpy(out->send_to, tmp, (size_t)len + 1);
		} else if (name_is(s, kn, "type") && !out->has_type) {
			char *ep;

			if (len == 0 || len > 9 || (tmp[0] == '-' ? len == 1 : 0)) {
				free(tmp);
				goto bad;
			}
			out->type = strtol(tmp, &ep, 10);
			if (*ep != '\0' || !((tmp[0] >= '0' && tmp[0] <= '9') || tmp[0] == '-')) {
				free(tmp);
				goto bad;
			}
			out->has_type = 1;
		}
		free(tmp);
		s = amp != NULL ? amp + 1 : end;
	}
	return (ssize_t)n;
bad:
	fform_free(out);
	return -1;
}

void
fform_free(struct fform *f)
{
	free(f->data);
	f->data = NULL;
	f->data_len = 0;
}
