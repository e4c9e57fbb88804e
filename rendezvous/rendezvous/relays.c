/* SPDX-License-Identifier: MIT */
#include "relays.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/endpoint.h"

int
relays_add(struct relays *rs, const char *url, char *err, size_t errlen)
{
	struct endpoint ep;
	char why[128];
	size_t i;

	for (i = 0; i < rs->n; i++) {
		if (strcmp(rs->r[i].url, url) == 0)
			return (int)i;
	}
	if (strlen(url) > RELAY_URL_MAX) {
		snprintf(err, errlen, "relay URL longer than %d bytes", RELAY_URL_MAX);
		return -1;
	}
	if (strchr(url, '"') != NULL || strchr(url, '\\') != NULL ||
	    endpoint_parse(url, &ep, why, sizeof(why)) == -1 || (ep.kind != EP_WS && ep.kind != EP_WSS) ||
	    ep.nopts != 0) {
		snprintf(err, errlen, "want a ws:// or wss:// URL, not '%s'", url);
		return -1;
	}
	if (rs->n == RELAYS_MAX) {
		snprintf(err, errlen, "more than %d relays", RELAYS_MAX);
		return -1;
	}
	snprintf(rs->r[rs->n].url, sizeof(rs->r[rs->n].url), "%s", url);
	snprintf(rs->r[rs->n].host, sizeof(rs->r[rs->n].host), "%s", ep.host);
	rs->r[rs->n].tls = ep.kind == EP_WSS;
	if (ep.kind == EP_WS)
		rs->nontls |= (uint64_t)1 << rs->n;
	return (int)rs->n++;
}

ssize_t
relays_bridge_decode(const uint8_t *p, size_t n, char fpr[SF_FPR_LEN + 1], char url[RELAY_URL_MAX + 1])
{
	json_error_t err;
	json_t *j, *f, *u;
	const char *s;
	size_t i;
	ssize_t ret = -1;

	if (n == 0 || n > BRIDGE_LINE_MAX)
		return -1;
	if ((j = json_loadb((const char *)p, n, 0, &err)) == NULL)
		return -1;
	f = json_object_get(j, "fingerprint");
	u = json_object_get(j, "webSocketAddress");
	if (!json_is_object(j) || !json_is_string(f) || !json_is_string(u) ||
	    json_string_length(f) != SF_FPR_LEN || json_string_length(u) > RELAY_URL_MAX ||
	    json_string_length(u) == 0)
		goto out;
	s = json_string_value(f);
	for (i = 0; i < SF_FPR_LEN; i++) {
		if (!isxdigit((unsigned char)s[i]))
			goto out;
		fpr[i] = (char)toupper((unsigned char)s[i]);
	}
	fpr[SF_FPR_LEN] = '\0';
	memcpy(url, json_string_value(u), json_string_length(u) + 1);
	ret = (ssize_t)n;
out:
	json_decref(j);
	return ret;
}

static struct bridge *
bridge_find(const struct relays *rs, const char *fpr)
{
	size_t i;

	for (i = 0; i < rs->nb; i++) {
		if (strcasecmp(rs->b[i].fpr, fpr) == 0)
			return &rs->b[i];
	}
	return NULL;
}

int
relays_load_bridges(struct relays *rs, const char *path, char *err, size_t errlen)
{
	char line[BRIDGE_LINE_MAX + 2], fpr[SF_FPR_LEN + 1], url[RELAY_URL_MAX + 1], why[192];
	struct bridge *b;
	unsigned lineno = 0;
	FILE *f;
	int idx;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (rs->b == NULL && (rs->b = calloc(BRIDGES_MAX, sizeof(*rs->b))) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (relays_bridge_decode((const uint8_t *)line, len, fpr, url) == -1) {
			snprintf(err, errlen, "%s:%u: not a bridge line", path, lineno);
			goto bad;
		}
		if ((idx = relays_add(rs, url, why, sizeof(why))) == -1) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto bad;
		}
		if ((b = bridge_find(rs, fpr)) == NULL) {
			if (rs->nb == BRIDGES_MAX) {
				snprintf(err, errlen, "%s: more than %d bridges", path, BRIDGES_MAX);
				goto bad;
			}
			b = &rs->b[rs->nb++];
			snprintf(b->fpr, sizeof(b->fpr), "%s", fpr);
		}
		b->relays |= (uint64_t)1 << idx;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -1;
}

void
relays_free(struct relays *rs)
{
	free(rs->b);
	rs->b = NULL;
	rs->nb = 0;
}

uint64_t
relays_for_bridge(const struct relays *rs, const char *fpr)
{
	const struct bridge *b;

	if (rs->b == NULL)
		return rs->n == 64 ? UINT64_MAX : ((uint64_t)1 << rs->n) - 1;
	b = bridge_find(rs, fpr);
	return b != NULL ? b->relays : 0;
}

uint64_t
relays_for_proxy(const struct relays *rs, int has_pattern, const char *pattern, int nontls_ok)
{
	uint64_t mask = 0;
	size_t i;

	for (i = 0; i < rs->n; i++) {
		if (has_pattern && !sf_pattern_admits(pattern, rs->r[i].host))
			continue;
		if (!rs->r[i].tls && !nontls_ok)
			continue;
		mask |= (uint64_t)1 << i;
	}
	return mask;
}

int
relays_pick(const struct relays *rs, uint64_t mask)
{
	uint64_t tls = mask & ~rs->nontls;
	uint64_t m = tls != 0 ? tls : mask;

	return m == 0 ? -1 : __builtin_ctzll(m);
}
