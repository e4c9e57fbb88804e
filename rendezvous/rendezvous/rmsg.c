/* SPDX-License-Identifier: MIT */
#include "rmsg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
proc_ok(const char *s, size_t n)
{
	size_t i;

	if (n != RMSG_PROC_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

static int
u64_field(const char *s, size_t n, int base, uint64_t *out)
{
	char tmp[24], *end;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (tmp[0] == '-' || tmp[0] == '+' || tmp[0] == ' ')
		return -1;
	*out = strtoull(tmp, &end, base);
	return *end == '\0' ? 0 : -1;
}

ssize_t
rmsg_ad_decode(const uint8_t *p, size_t n, struct rmsg_ad *ad)
{
	const char *f[5];
	size_t len[5], i, k = 0;
	const char *s = (const char *)p, *e = s + n;

	memset(ad, 0, sizeof(*ad));
	f[0] = s;
	for (; s < e; s++) {
		if (*s != '|')
			continue;
		if (k == 4)
			return -1;
		len[k] = (size_t)(s - f[k]);
		f[++k] = s + 1;
	}
	if (k != 4)
		return -1;
	len[4] = (size_t)(e - f[4]);
	if (!proc_ok(f[0], len[0]) || len[1] == 0 || len[1] > SF_SID_MAX)
		return -1;
	for (i = 0; i < len[1]; i++) {
		if ((unsigned char)f[1][i] < 0x21 || f[1][i] == '|')
			return -1;
	}
	if (u64_field(f[2], len[2], 16, &ad->relays) == -1 || u64_field(f[3], len[3], 10, &ad->expiry_ms) == -1 ||
	    u64_field(f[4], len[4], 10, &ad->clients) == -1)
		return -1;
	memcpy(ad->proc, f[0], len[0]);
	memcpy(ad->sid, f[1], len[1]);
	return (ssize_t)n;
}

ssize_t
rmsg_ad_encode(char *out, size_t cap, const struct rmsg_ad *ad)
{
	int n;

	if (strchr(ad->sid, '|') != NULL)
		return -1;
	n = snprintf(out, cap, "%s|%s|%llx|%llu|%llu", ad->proc, ad->sid, (unsigned long long)ad->relays,
	             (unsigned long long)ad->expiry_ms, (unsigned long long)ad->clients);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

static int
str(json_t *j, const char *k, char **out, size_t *len, size_t max)
{
	json_t *v = json_object_get(j, k);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max)
		return -1;
	if ((*out = malloc(json_string_length(v) + 1)) == NULL)
		return -1;
	memcpy(*out, json_string_value(v), json_string_length(v) + 1);
	if (len != NULL)
		*len = json_string_length(v);
	return 0;
}

static int
fixed(json_t *j, const char *k, char *out, size_t cap)
{
	json_t *v = json_object_get(j, k);

	if (!json_is_string(v) || json_string_length(v) >= cap || json_string_length(v) == 0)
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

ssize_t
rmsg_decode(const uint8_t *p, size_t n, struct rmsg *m)
{
	json_error_t err;
	json_t *j, *op, *nat;
	const char *o;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (n == 0 || n > RMSG_MAX || (j = json_loadb((const char *)p, n, 0, &err)) == NULL)
		return -1;
	op = json_object_get(j, "op");
	if (!json_is_object(j) || !json_is_string(op) || fixed(j, "sid", m->sid, sizeof(m->sid)) == -1)
		goto bad;
	o = json_string_value(op);
	if (strcmp(o, "offer") == 0)
		m->op = RMSG_OFFER;
	else if (strcmp(o, "nak") == 0)
		m->op = RMSG_NAK;
	else if (strcmp(o, "answer") == 0)
		m->op = RMSG_ANSWER;
	else
		goto bad;
	if (str(j, "offer", &m->offer, &m->offer_len, SF_BODY_MAX) == -1 ||
	    str(j, "relay", &m->relay, NULL, 255) == -1 ||
	    str(j, "answer", &m->answer, &m->answer_len, SF_BODY_MAX) == -1)
		goto bad;
	if (m->op != RMSG_ANSWER &&
	    (fixed(j, "from", m->from, sizeof(m->from)) == -1 || !proc_ok(m->from, strlen(m->from))))
		goto bad;
	if (m->op == RMSG_OFFER) {
		nat = json_object_get(j, "nat");
		if (m->offer == NULL || m->relay == NULL || !json_is_string(nat))
			goto bad;
		for (i = 0; i < SF_NAT_N && strcmp(json_string_value(nat), sf_nat_name((enum sf_nat)i)) != 0; i++)
			;
		if (i == SF_NAT_N)
			goto bad;
		m->nat = (enum sf_nat)i;
	}
	if (m->op == RMSG_ANSWER && m->answer == NULL)
		goto bad;
	json_decref(j);
	return (ssize_t)n;
bad:
	json_decref(j);
	rmsg_free(m);
	return -1;
}

void
rmsg_free(struct rmsg *m)
{
	free(m->offer);
	free(m->relay);
	free(m->answer);
	m->offer = m->relay = m->answer = NULL;
}
