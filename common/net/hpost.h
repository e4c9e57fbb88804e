/* SPDX-License-Identifier: MIT */
/*
 * One HTTP/1.1 POST on libev, as a broker's clients make them (Snowflake's
 * /client, /proxy, /answer): connect, send the request with
 * "Connection: close", read the response head (proto/http) and a body of
 * at most max_body bytes (Content-Length, or up to EOF), all within
 * timeout seconds. Plain http:// only (a broker behind TLS is reached
 * through a local front such as Caddy).
 *
 * The callback comes once, from the loop (never from inside hpost_start),
 * with the status and body, or status -1 and a short reason; the request
 * is freed after it returns. hpost_cancel drops a request without a call.
 */
#ifndef PW_HPOST_H
#define PW_HPOST_H

#include <ev.h>
#include <stddef.h>

#include "net/endpoint.h"

typedef void (*hpost_cb)(void *arg, int status, const char *body, size_t n, const char *err);

struct hpost;

/* Parse "http://HOST[:PORT][/path]" into ep (kind EP_TCP, path kept). 0, or -1 with err. */
int hpost_parse_url(const char *url, struct endpoint *ep, char *err, size_t errlen);

/* Start a POST to ep's host at path (relative to ep->path). NULL with errno on failure. */
struct hpost *hpost_start(struct ev_loop *loop, const struct endpoint *ep, const char *path,
                          const char *body, size_t n, double timeout, size_t max_body, hpost_cb cb,
                          void *arg);
void hpost_cancel(struct hpost *h);

#endif
