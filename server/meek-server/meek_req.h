/* SPDX-License-Identifier: MIT */
/*
 * The pure half of meek-server: what to do with one parsed request head,
 * and the bytes of the answers that do not come from an upstream.
 * No I/O, no globals, no libev; the same objects link into the server,
 * its Check suite and its fuzz target.
 *
 * meek_classify() applies the lantern-box meek-v1 check order to a head:
 * 404 (not --path, or GET/HEAD: what a plain server answers) -> 405
 * (not POST) -> 403 (X-Meek-Auth, constant time) -> 400 (X-Session-Id
 * missing or malformed) -> 411 (chunked body) -> 413 (Content-Length
 * over --max-body), else 0: a meek request the session layer serves
 * (which adds 503, 502, 410 and 200).
 */
#ifndef PW_MEEK_REQ_H
#define PW_MEEK_REQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "proto/http.h"
#include "proto/meek.h"
#include "proto/meekpipe.h"

#define MEEK_PATH_MAX 256        /* --path */
#define MEEK_RESP_HEAD_MAX 512   /* a response head we write */
#define MEEK_ERR_MAX 1024        /* a whole error response, head and body */
#define MEEK_DATE_MAX 40         /* "Sun, 06 Nov 1994 08:49:37 GMT" */

struct meek_cfg {
	const char *path;  /* exact request path served, query ignored */
	const char *token; /* X-Meek-Auth value, NULL for an open relay */
	size_t token_len;
	uint64_t max_body;     /* request body cap and response cap ceiling */
	int trust_forwarded;   /* take the client address from X-Forwarded-For */
	unsigned trusted_hops; /* ... the element this far from the right (1: the last) */
	int trust_meek_ip;     /* take it from Meek-IP when X-Forwarded-For gives none */
};

struct meek_req {
	char sid[MEEK_SESSION_ID_MAX + 1];
	size_t sid_len;
	int has_seq;
	uint64_t seq;
	uint64_t resp_cap;  /* negotiated response body cap */
	uint64_t body_len;  /* Content-Length, 0 when absent */
	int head_only;      /* HEAD: answer without a body */
	int keep_alive;     /* the connection may carry another request */
	int has_body;       /* a body follows the head (Content-Length > 0 or chunked) */
	const char *msg;    /* error message for a status, without "\n" */
	int pipe;           /* announced X-Meek-Pipeline (with X-Meek-Seq and base=) */
	struct meek_pipe pipe_p;
	int has_fwd;        /* fwd holds the forwarded client address */
	struct sockaddr_storage fwd;
};

/* 0 for a meek request to serve, else the HTTP status to answer with r->msg. */
int meek_classify(const struct http_head *h, const struct meek_cfg *cfg, struct meek_req *r);

/* 1 when the n bytes at p are an acceptable session id. */
int meek_session_id_ok(const char *p, size_t n);

/* Response cap from an X-Meek-Max-Body value (NULL when absent). */
uint64_t meek_resp_cap(const char *value, uint64_t max_body);

/*
 * The address the fronts added to X-Forwarded-For: the hops-th element
 * from the right, counting over every X-Forwarded-For field in order (a
 * proxy appends its peer's address; what a client wrote stays on the
 * left). Return 0, or -1 when there are fewer elements or it is not an
 * address.
 */
int meek_forwarded_pick(const struct http_head *h, unsigned hops, struct sockaddr_storage *ss);

/*
 * The address in the first element of an X-Forwarded-For (or Meek-IP)
 * value: IPv4, IPv6, [IPv6], either with ":port". Port 0 unless given.
 * Return 0, or -1 when the element is not an address.
 */
int meek_forwarded_addr(const char *v, size_t n, struct sockaddr_storage *ss);

/*
 * An error answer shaped like Go's http.Error: text/plain, nosniff,
 * body msg + "\n" (omitted when head_only). date may be NULL. Return the
 * length written, or -1.
 */
ssize_t meek_format_error(char *out, size_t cap, int status, const char *msg, int head_only,
                          int close, const char *date);

/*
 * The head of a 200 answer carrying len body bytes, with an
 * X-Meek-Pipeline answer when pipe is not NULL. Return its length or -1.
 */
ssize_t meek_format_ok(char *out, size_t cap, size_t len, int close, const char *date,
                       const struct meek_pipe *pipe);

#endif
