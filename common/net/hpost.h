/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.1 POST on libev, as a broker's clients make them (Snowflake's
 * /client, /proxy, /answer): connect, send the request with
 * "Connection: close", read the response head (proto/http) and a body of
 * at most max_body bytes (Content-Length, or up to EOF), all within
 * timeout seconds. http:// or https://: TLS is spoken through the
 * base/tlsops.h calls the program sets in the parsed URL (an adapter's,
 * e.g. nss/nssfd.h's Firefox persona), offering ALPN http/1.1 alone,
 * since this is HTTP/1.1. Domain fronting: with a front, the TCP
 * connection, the SNI and the verified name are the front's, and only
 * the Host header names the URL's host (as Snowflake's broker is
 * reached through a CDN).
 *
 * The callback comes once, from the loop (never from inside hpost_start),
 * with the status and body, or status -1 and a short reason; the request
 * is freed after it returns. hpost_cancel drops a request without a call.
 */
#ifndef PW_HPOST_H
#define PW_HPOST_H

#include <ev.h>
#include <stddef.h>

#include "base/tlsops.h"
#include "net/endpoint.h"

typedef void (*hpost_cb)(void *arg, int status, const char *body, size_t n, const char *err);

struct hpost;

struct hpost_url {
	struct endpoint ep;                /* where to connect (EP_TCP); ep.path: the URL's path */
	char host[ENDPOINT_HOST_MAX + 16]; /* the Host header: host, with :port unless the default */
	int https;
	char sni[ENDPOINT_HOST_MAX + 1];    /* "" when none (an address literal) */
	char verify[ENDPOINT_HOST_MAX + 1]; /* the name the certificate must carry */
	const struct tlsops *tls;           /* https: set by the program before hpost_start */
};

/*
 * Parse "http[s]://HOST[:PORT][/path]" (ports 80 / 443 by default) into
 * u; front, when not NULL, is a host name to connect to instead (same
 * port), whose name the SNI and the certificate carry. 0, or -1 with err.
 */
int hpost_parse_url(const char *url, const char *front, struct hpost_url *u, char *err,
                    size_t errlen);

/* Start a POST to u at path (relative to u's path). NULL with errno on failure. */
struct hpost *hpost_start(struct ev_loop *loop, const struct hpost_url *u, const char *path,
                          const char *body, size_t n, double timeout, size_t max_body, hpost_cb cb,
                          void *arg);
void hpost_cancel(struct hpost *h);

#endif
