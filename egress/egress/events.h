/* SPDX-License-Identifier: MIT */
/*
 * Stream events as JSON lines, the egress side of peerconn-watch (the
 * successor of Lantern's tracker/peerconn accept/close notifications).
 * Formatting is pure: the caller supplies the clock and the counters,
 * gets one line ending in '\n' in its own buffer, and hands it to the
 * event sink (evsink.h). Keys, in order:
 *
 *   time         Unix seconds, microsecond fraction
 *   event        "accept" | "close"
 *   session      ClientID as hex, or null for plain SOCKS5 connections
 *   user         the session's user (--users); only in events of secure sessions
 *   source       "ip:port" of the client, or null when unknown
 *   destination  "host:port" as requested, IPv6 in brackets
 *   bytes_up, bytes_down, duration, result      close only
 *
 * Strings that are not valid UTF-8 (a SOCKS5 domain name may hold any
 * byte but NUL) have each byte >= 0x80 replaced by '?', so every line
 * is valid JSON.
 */
#ifndef PW_EGRESS_EVENTS_H
#define PW_EGRESS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define EVENTS_LINE_MAX 1024 /* longest line events_format_* produce */

enum events_result {
	EVENTS_OK = 0,
	EVENTS_REFUSED,     /* policy, or the destination refused the connection */
	EVENTS_UNREACHABLE, /* no route, DNS failure */
	EVENTS_TIMEOUT,     /* connect, DNS or idle timeout */
	EVENTS_ERROR,       /* anything else */
};

struct events_stream {
	double time;             /* Unix seconds of this event */
	const char *session;     /* NULL → null */
	const char *source;      /* NULL → null */
	const char *destination; /* NULL → null */
	const char *user;        /* NULL → no key */
};

struct events_close {
	uint64_t bytes_up;   /* client → destination */
	uint64_t bytes_down; /* destination → client */
	double duration;     /* seconds since accept */
	enum events_result result;
};

const char *events_result_str(enum events_result r);

/* Return the line length (newline included), or -1 if it does not fit. */
int events_format_accept(const struct events_stream *s, char *out, size_t outlen);
int events_format_close(const struct events_stream *s, const struct events_close *c, char *out,
                        size_t outlen);

#endif
