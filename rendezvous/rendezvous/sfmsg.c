/* SPDX-License-Identifier: MIT */
#include "sfmsg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const nat_names[SF_NAT_N] = { "unknown", "restricted", "unrestricted" };

const char *
sf_nat_name(enum sf_nat nat)
{
	return (unsigned)nat < SF_NAT_N ? nat_names[nat] : "unknown";
}

/* "" is unknown, as Snowflake reads it; -1 for anything else it does not know. */
static int
nat_parse(const char *s, enum sf_nat *nat)
{
	int i;

	if (s[0] == '\0') {
		*nat = SF_NAT_UNKNOWN;
		return 0;
	}
	for (i = 0; i < SF_NAT_N; i++) {
		if (strcmp(s, nat_names[i]) == 0) {
			*nat = (enum sf_nat)i;
			return 0;
		}
	}
	return -1;
}

/* Go's encoding/json: an exact key first, else the first key equal but for ASCII case. */
static json_t *
field(json_t *obj, const char *name)
{
	const char *k;
	json_t *v;

	if ((v = json_object_get(obj, name)) != NULL)
		return json_is_null(v) ? NULL : v;
	json_object_foreach (obj, k, v) {
		if (strcasecmp(k, name) == 0)
			return json_is_null(v) ? NULL : v;
	}
	return NULL;
}

/*
 * A string field into a fixed buffer. 0 (absent is ""), or -1 for a
 * value of another JSON type or longer than cap - 1.
 */
static int
str_field(json_t *obj, const char *name, char *out, size_t cap)
{
	json_t *v = field(obj, name);
	size_t len;

	out[0] = '\0';
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	len = json_string_length(v);
	if (len >= cap || memchr(json_string_value(v), '\0', len) != NULL)
		return -1;
	memcpy(out, json_string_value(v), len + 1);
	return 0;
}

/* A string field copied into a new allocation (NULL and 0 when absent). */
static int
str_dup_field(json_t *obj, const char *name, char **out, size_t *outlen)
{
	json_t *v = field(obj, name);
	size_t len;

	*out = NULL;
	*outlen = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	len = json_string_length(v);
	if (len == 0)
		return 0;
	if ((*out = malloc(len + 1)) == NULL)
		return -1;
	memcpy(*out, json_string_value(v), len + 1);
	*outlen = len;
	return 0;
}

static json_t *
load_object(const uint8_t *p, size_t n)
{
	json_error_t err;
	json_t *j;

	if (n == 0 || n > SF_BODY_MAX)
		return NULL;
	j = json_loadb((const char *)p, n, 0, &err);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Go's strings.Split(v, ".")[0] == "1". */
static int
major_is_1(const char *v)
{
	return v[0] == '1' && (v[1] == '\0' || v[1] == '.');
}

ssize_t
sf_client_poll_decode(const uint8_t *p, size_t n, const char *legacy_nat, struct sf_client_poll *out,
                      const char **why)
{
	const uint8_t *nl;
	char nat[16];
	json_t *j;

	memset(out, 0, sizeof(*out));
	*why = "unsupported message version";
	if (n == 0 || n > SF_BODY_MAX)
		return -1;
	if (p[0] == '{') {
		/* Legacy: the body is the SDP JSON itself, the NAT type in a header. */
		if ((out->offer = malloc(n + 1)) == NULL)
			return -1;
		memcpy(out->offer, p, n);
		out->offer[n] = '\0';
		out->offer_len = n;
		out->legacy = 1;
		if (legacy_nat == NULL || nat_parse(legacy_nat, &out->nat) == -1)
			out->nat = SF_NAT_UNKNOWN;
		memcpy(out->fingerprint, SF_DEFAULT_FPR, SF_FPR_LEN + 1);
		return (ssize_t)n;
	}
	if ((nl = memchr(p, '\n', n)) == NULL || nl - p != 3 || memcmp(p, "1.0", 3) != 0)
		return -1;
	*why = "cannot decode client poll request";
	if ((j = load_object(nl + 1, n - 4)) == NULL)
		return -1;
	if (str_dup_field(j, "offer", &out->offer, &out->offer_len) == -1 ||
	    str_field(j, "nat", nat, sizeof(nat)) == -1 ||
	    str_field(j, "fingerprint", out->fingerprint, sizeof(out->fingerprint)) == -1) {
		/* a fingerprint too long to hold is one Go could not decode either */
		*why = out->offer != NULL ? "cannot decode fingerprint" : *why;
		goto bad;
	}
	if (out->offer == NULL) {
		*why = "no supplied offer";
		goto bad;
	}
	if (out->fingerprint[0] == '\0')
		memcpy(out->fingerprint, SF_DEFAULT_FPR, SF_FPR_LEN + 1);
	if (strlen(out->fingerprint) / 2 != 20) {
		*why = "cannot decode fingerprint";
		goto bad;
	}
	if (nat_parse(nat, &out->nat) == -1) {
		*why = "invalid NAT type";
		goto bad;
	}
	json_decref(j);
	return (ssize_t)n;
bad:
	json_decref(j);
	sf_client_poll_free(out);
	return -1;
}

void
sf_client_poll_free(struct sf_client_poll *c)
{
	free(c->offer);
	c->offer = NULL;
	c->offer_len = 0;
}

static const char *const known_types[] = { "standalone", "webext", "badge", "iptproxy" };

ssize_t
sf_proxy_poll_decode(const uint8_t *p, size_t n, struct sf_proxy_poll *out, const char **why)
{
	char version[16], nat[16];
	json_t *j, *v;
	size_t i;
	int known = 0;

	memset(out, 0, sizeof(*out));
	*why = "malformed JSON";
	if ((j = load_object(p, n)) == NULL)
		return -1;
	*why = "bad field";
	if (str_field(j, "Sid", out->sid, sizeof(out->sid)) == -1 ||
	    str_field(j, "Version", version, sizeof(version)) == -1 ||
	    str_field(j, "Type", out->type, sizeof(out->type)) == -1 ||
	    str_field(j, "NAT", nat, sizeof(nat)) == -1)
		goto bad;
	if ((v = field(j, "Clients")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			goto bad;
		out->clients = (uint64_t)json_integer_value(v);
	}
	if ((v = field(j, "AcceptedRelayPattern")) != NULL) {
		if (str_field(j, "AcceptedRelayPattern", out->pattern, sizeof(out->pattern)) == -1)
			goto bad;
		out->has_pattern = 1;
	}
	if (!major_is_1(version)) {
		*why = "using unknown version";
		goto bad;
	}
	if (out->sid[0] == '\0') {
		*why = "no supplied session id";
		goto bad;
	}
	if (nat_parse(nat, &out->nat) == -1) {
		*why = "invalid NAT type";
		goto bad;
	}
	for (i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		known |= strcmp(out->type, known_types[i]) == 0;
	if (!known)
		snprintf(out->type, sizeof(out->type), "unknown");
	json_decref(j);
	return (ssize_t)n;
bad:
	json_decref(j);
	return -1;
}

ssize_t
sf_answer_decode(const uint8_t *p, size_t n, struct sf_answer *out, const char **why)
{
	char version[16];
	json_t *j;

	memset(out, 0, sizeof(*out));
	*why = "malformed JSON";
	if ((j = load_object(p, n)) == NULL)
		return -1;
	*why = "bad field";
	if (str_field(j, "Version", version, sizeof(version)) == -1 ||
	    str_field(j, "Sid", out->sid, sizeof(out->sid)) == -1 ||
	    str_dup_field(j, "Answer", &out->answer, &out->answer_len) == -1)
		goto bad;
	if (!major_is_1(version)) {
		*why = "using unknown version";
		goto bad;
	}
	if (out->sid[0] == '\0' || out->answer == NULL) {
		*why = "no supplied sid or answer";
		goto bad;
	}
	json_decref(j);
	return (ssize_t)n;
bad:
	json_decref(j);
	sf_answer_free(out);
	return -1;
}

void
sf_answer_free(struct sf_answer *a)
{
	free(a->answer);
	a->answer = NULL;
	a->answer_len = 0;
}

/* Appending writer: counts past cap so the caller learns it did not fit. */
struct w {
	char *p;
	size_t cap, len;
};

static void
w_put(struct w *w, const char *s, size_t n)
{
	if (w->len + n < w->cap)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
w_str(struct w *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void
w_quote(struct w *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char e[6];
	size_t i;

	w_put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = u[i];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			w_put(w, e, 2);
		} else if (c == '\n') {
			w_put(w, "\\n", 2);
		} else if (c == '\r') {
			w_put(w, "\\r", 2);
		} else if (c == '\t') {
			w_put(w, "\\t", 2);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			w_put(w, e, 6);
		} else if (c == 0xe2 && i + 2 < n && u[i + 1] == 0x80 && (u[i + 2] & 0xfe) == 0xa8) {
			/* U+2028, U+2029: Go escapes them for JavaScript's sake */
			w_str(w, u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else {
			w_put(w, (const char *)&u[i], 1);
		}
	}
	w_put(w, "\"", 1);
}

static ssize_t
w_end(struct w *w)
{
	if (w->p == NULL)
		return (ssize_t)w->len; /* measuring */
	if (w->len >= w->cap)
		return -1;
	w->p[w->len] = '\0';
	return (ssize_t)w->len;
}

ssize_t
sf_json_quote(char *out, size_t cap, const char *s, size_t n)
{
	struct w w = { out, cap, 0 };

	w_quote(&w, s, n);
	return w_end(&w);
}

ssize_t
sf_client_response(char *out, size_t cap, const char *answer, size_t answer_len, const char *error)
{
	struct w w = { out, cap, 0 };

	w_put(&w, "{", 1);
	if (answer != NULL && answer_len > 0) {
		w_str(&w, "\"answer\":");
		w_quote(&w, answer, answer_len);
	}
	if (error != NULL && error[0] != '\0') {
		w_str(&w, answer != NULL && answer_len > 0 ? ",\"error\":" : "\"error\":");
		w_quote(&w, error, strlen(error));
	}
	w_put(&w, "}", 1);
	return w_end(&w);
}

ssize_t
sf_proxy_response(char *out, size_t cap, const char *status, const char *offer, size_t offer_len,
                  const char *nat, const char *relay)
{
	struct w w = { out, cap, 0 };

	w_str(&w, "{\"Status\":");
	w_quote(&w, status, strlen(status));
	w_str(&w, ",\"Offer\":");
	w_quote(&w, offer != NULL ? offer : "", offer != NULL ? offer_len : 0);
	w_str(&w, ",\"NAT\":");
	w_quote(&w, nat != NULL ? nat : "", nat != NULL ? strlen(nat) : 0);
	w_str(&w, ",\"RelayURL\":");
	w_quote(&w, relay != NULL ? relay : "", relay != NULL ? strlen(relay) : 0);
	w_put(&w, "}", 1);
	return w_end(&w);
}

ssize_t
sf_answer_response(char *out, size_t cap, int success)
{
	int len = snprintf(out, cap, "{\"Status\":\"%s\"}", success ? "success" : "client gone");

	return len < 0 || (size_t)len >= cap ? -1 : len;
}

int
sf_pattern_admits(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);
	int exact = 0;

	if (pl > 0 && pattern[pl - 1] == '$')
		pl--;
	if (pl > 0 && pattern[0] == '^') {
		exact = 1;
		pattern++;
		pl--;
	}
	if (exact)
		return hl == pl && memcmp(host, pattern, pl) == 0;
	return hl >= pl && memcmp(host + hl - pl, pattern, pl) == 0;
}
