/* SPDX-License-Identifier: MIT */
/*
 * The Snowflake broker's messages (reference tor.md §3.2–3.3), as the
 * 2.5.1 client (protocol "1.0") and proxy (protocol "1.3") send them and
 * expect them back. Decoders are pure functions over (p, n) on a whole
 * request body: they return n when the message is good, -1 with a short
 * reason otherwise (for the client, the reason is the exact text Snowflake
 * puts in its "error" field). JSON goes through jansson; field names are
 * matched as Go's encoding/json does (exact first, then ASCII
 * case-insensitively), a field of the wrong JSON type is an error, null is
 * "absent". Encoders write the bytes Go's json.Marshal writes (field
 * order, omitempty on the client's fields, and its escaping of <, >, &,
 * U+2028 and U+2029), so a capture of our broker reads like Snowflake's.
 *
 * Limits: a body is at most SF_BODY_MAX bytes (Snowflake's readLimit); a
 * session id at most SF_SID_MAX bytes, a proxy type SF_TYPE_MAX, a relay
 * pattern SF_PATTERN_MAX; offers and answers are copied into allocations
 * the caller frees, never larger than the body.
 */
#ifndef RDV_SFMSG_H
#define RDV_SFMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SF_BODY_MAX 100000
#define SF_SID_MAX 64
#define SF_TYPE_MAX 32
#define SF_PATTERN_MAX 255
#define SF_FPR_LEN 40
#define SF_DEFAULT_FPR "2B280B23E1107BB62ABFC40DDCC8824814F80A72"

enum sf_nat { SF_NAT_UNKNOWN, SF_NAT_RESTRICTED, SF_NAT_UNRESTRICTED, SF_NAT_N };

/* "unknown", "restricted", "unrestricted" */
const char *sf_nat_name(enum sf_nat nat);

struct sf_client_poll {
	char *offer; /* the offer as sent: a string holding SDP JSON; caller frees */
	size_t offer_len;
	enum sf_nat nat;
	char fingerprint[SF_FPR_LEN + 2]; /* as sent (Go accepts 40 or 41 characters), or the default */
	int legacy;                       /* a bare SDP-JSON body (pre-1.0 clients) */
};

/*
 * A POST /client body: "1.0\n" + JSON, or a legacy body starting with '{'
 * whose NAT type comes from the Snowflake-NAT-Type header (legacy_nat,
 * may be NULL). On -1, *why is the error text for the client.
 */
ssize_t sf_client_poll_decode(const uint8_t *p, size_t n, const char *legacy_nat,
                              struct sf_client_poll *out, const char **why);
void sf_client_poll_free(struct sf_client_poll *c);

struct sf_proxy_poll {
	char sid[SF_SID_MAX + 1];
	char type[SF_TYPE_MAX + 1]; /* "unknown" when not one Snowflake knows */
	enum sf_nat nat;
	uint64_t clients;
	int has_pattern; /* AcceptedRelayPattern present (a 2.x proxy) */
	char pattern[SF_PATTERN_MAX + 1];
};

/* A POST /proxy body. -1: answered 400 (why says which check failed). */
ssize_t sf_proxy_poll_decode(const uint8_t *p, size_t n, struct sf_proxy_poll *out,
                             const char **why);

struct sf_answer {
	char sid[SF_SID_MAX + 1];
	char *answer; /* caller frees */
	size_t answer_len;
};

/* A POST /answer body. -1: answered 400. */
ssize_t sf_answer_decode(const uint8_t *p, size_t n, struct sf_answer *out, const char **why);
void sf_answer_free(struct sf_answer *a);

/*
 * Append s[0..n) to out as a JSON string, quotes included, escaped as Go
 * does. Return the length written, or -1 if it does not fit in cap
 * (out may be NULL with cap 0 to measure). The encoders below measure
 * the same way.
 */
ssize_t sf_json_quote(char *out, size_t cap, const char *s, size_t n);

/* {"answer":"…"} or {"error":"…"}: the client's poll response. */
ssize_t sf_client_response(char *out, size_t cap, const char *answer, size_t answer_len,
                           const char *error);
/* {"Status":status,"Offer":…,"NAT":…,"RelayURL":…}: a proxy's poll response. */
ssize_t sf_proxy_response(char *out, size_t cap, const char *status, const char *offer,
                          size_t offer_len, const char *nat, const char *relay);
/* {"Status":"success"} or {"Status":"client gone"} */
ssize_t sf_answer_response(char *out, size_t cap, int success);

/*
 * The proxy's relay-host rule (its -allowed-relay-hostname-pattern): a
 * trailing '$' is dropped, a leading '^' asks for the exact host,
 * otherwise the host must end with the pattern (so "example.com$" also
 * admits "other-example.com", as Snowflake's matcher does). 1 or 0.
 */
int sf_pattern_admits(const char *pattern, const char *host);

#endif
