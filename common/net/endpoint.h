/* SPDX-License-Identifier: MIT */
/*
 * The one address syntax of every pipeworks option (DESIGN.md §2):
 *
 *   tcp:HOST:PORT   HOST a name, an IPv4 literal or a bracketed [IPv6]
 *   udp:HOST:PORT
 *   unix:/path      absolute or relative; at most ENDPOINT_UNIX_MAX bytes
 *   ws://HOST[:PORT][/path]   wss://…   (default ports 80 / 443, path "/")
 *   -               stdin/stdout
 *
 * followed by options after commas: ",trusted", ",key=value". A comma
 * therefore cannot appear inside the address itself. Pure parser: no
 * resolution, no I/O.
 */
#ifndef PW_ENDPOINT_H
#define PW_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#define ENDPOINT_STR_MAX 1024   /* whole input string */
#define ENDPOINT_HOST_MAX 255   /* DNS name limit, brackets excluded */
#define ENDPOINT_UNIX_MAX 107   /* sizeof(sun_path) - 1 on Linux */
#define ENDPOINT_PATH_MAX 512   /* ws(s) URL path */
#define ENDPOINT_OPTS_MAX 8
#define ENDPOINT_OPTKEY_MAX 31
#define ENDPOINT_OPTVAL_MAX 255

enum endpoint_kind {
	EP_TCP = 1,
	EP_UDP,
	EP_UNIX,
	EP_WS,
	EP_WSS,
	EP_STDIO,
};

struct endpoint_opt {
	char key[ENDPOINT_OPTKEY_MAX + 1];
	char val[ENDPOINT_OPTVAL_MAX + 1]; /* "" when given without '=' */
	int has_val;
};

struct endpoint {
	enum endpoint_kind kind;
	char host[ENDPOINT_HOST_MAX + 1]; /* tcp/udp/ws(s); no brackets */
	int host_is_v6;                   /* host was written as [v6] */
	uint16_t port;                    /* tcp/udp/ws(s); 0 allowed (ephemeral) */
	char path[ENDPOINT_PATH_MAX + 1]; /* unix: socket path; ws(s): URL path */
	size_t nopts;
	struct endpoint_opt opts[ENDPOINT_OPTS_MAX];
};

/*
 * Parse s into ep. Return 0, or -1 with a short reason in err (always
 * NUL-terminated when errlen > 0).
 */
int endpoint_parse(const char *s, struct endpoint *ep, char *err, size_t errlen);

/* Canonical text without options ("tcp:[::1]:80"); -1 if out is too small. */
int endpoint_format(const struct endpoint *ep, char *out, size_t outlen);

/* The option named key, or NULL. */
const struct endpoint_opt *endpoint_opt(const struct endpoint *ep, const char *key);

#endif
