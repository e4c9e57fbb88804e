/* SPDX-License-Identifier: MIT */
/*
 * One egress event line (egress(8), events.h) read back by peerconn-watch.
 * A pure parser over (p, n) with no allocation and no I/O: a small strict
 * JSON tokenizer for one flat object. Keys it knows must hold the type
 * the schema gives them (or null, except time and event); unknown keys
 * are validated and skipped, their values may nest up to
 * WATCH_EVENT_DEPTH_MAX deep. Duplicate keys: the last one wins. Bytes
 * >= 0x80 inside strings are taken as they are (not checked as UTF-8).
 *
 * Times and durations are kept as integer microseconds so windows cut
 * the same way on every machine. The bucket key is the session ClientID
 * when there is one, else the source address: IPv4 /32, IPv6 /64 (an
 * IPv4-mapped IPv6 address counts as IPv4); anything else (null, a
 * name, a UNIX peer) falls into one "unknown" bucket.
 */
#ifndef PW_EGRESS_WATCH_EVENT_H
#define PW_EGRESS_WATCH_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define WATCH_EVENT_DEPTH_MAX 16  /* nesting inside unknown keys */
#define WATCH_EVENT_STR_MAX 512   /* decoded session, source, destination, result */
#define WATCH_EVENT_NUM_MAX 64    /* characters of one number of a known key */
#define WATCH_SESSION_MAX 16      /* ClientID bytes (32 hex digits) */
#define WATCH_KEY_STR_MAX 64      /* formatted bucket with NUL */

enum watch_parse {
	WATCH_PARSE_OK = 0,
	WATCH_PARSE_GARBAGE = -1, /* not JSON, truncated, wrong types, no time/event */
	WATCH_PARSE_UNKNOWN = -2, /* well-formed, but an event type other than accept/close */
};

enum watch_event_type { WATCH_EV_ACCEPT = 1, WATCH_EV_CLOSE };

enum watch_result {
	WATCH_RES_NONE = 0, /* absent or null */
	WATCH_RES_OK,
	WATCH_RES_REFUSED,
	WATCH_RES_UNREACHABLE,
	WATCH_RES_TIMEOUT,
	WATCH_RES_ERROR,
	WATCH_RES_OTHER, /* a string this version does not know */
};

enum watch_key_kind { WATCH_KEY_UNKNOWN = 0, WATCH_KEY_SESSION, WATCH_KEY_V4, WATCH_KEY_V6 };

/* A bucket key; compare with watch_key_eq. Unused bytes are zero. */
struct watch_key {
	uint8_t kind;
	uint8_t len; /* bytes used in b */
	uint8_t b[WATCH_SESSION_MAX];
};

struct watch_event {
	int64_t time_us;
	enum watch_event_type type;
	struct watch_key key;
	int has_dest;
	uint64_t dest_hash; /* of the host, ASCII letters folded to lower case */
	uint16_t dest_port; /* 0 when the destination has no usable port */
	uint64_t bytes_up, bytes_down;
	int64_t duration_us; /* -1 when absent */
	enum watch_result result;
};

enum watch_parse watch_event_parse(const char *p, size_t n, struct watch_event *ev);

int watch_key_eq(const struct watch_key *a, const struct watch_key *b);
/* "session:0123456789abcdef", "203.0.113.7", "2001:db8:1:2::/64", "unknown". */
void watch_key_format(const struct watch_key *k, char *out, size_t outlen);

#endif
