/* SPDX-License-Identifier: MIT */
/*
 * meek-client: configuration parsers and response framing (meekc_parse.c,
 * pure functions) and the polling engine (meekc.c). See meek-client(1)
 * and common/meek.h for the wire constants.
 *
 * The engine carries one meek session: stdin bytes become request
 * bodies, response bodies go to stdout. One request is in flight at a
 * time until the server offers the pipelining extension, then up to
 * its window; a request is kept, byte for byte, until it succeeds, so a
 * retry repeats the same X-Meek-Seq and body. Memory is bounded:
 * MEEK_BACKLOG_MAX of stdin backlog, and per request in flight one
 * request buffer and one response buffer sized from the body cap.
 */
#ifndef PW_MEEKC_H
#define PW_MEEKC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "proto/http.h"

#define MEEKC_HOST_MAX 255       /* URL and front host names, brackets excluded */
#define MEEKC_PATH_MAX 1024      /* URL path and query */
#define MEEKC_URL_MAX 1400       /* whole --url */
#define MEEKC_FRONTS_MAX 16      /* --front options */
#define MEEKC_HEADERS_MAX 16     /* --header options */
#define MEEKC_HEADER_LINE_MAX 1024 /* one --header, "Name: value" */
#define MEEKC_EXTRA_MAX 4096     /* all --header lines plus X-Meek-Auth, CRLFs included */
#define MEEKC_REQ_HEAD_MAX 6144  /* a request head we format */
#define MEEKC_CHUNK_SLACK 65536  /* room for chunk framing when a CDN re-chunks */
#define MEEKC_POLL_TIMEOUT_S 30  /* connect + TLS + request + response, per attempt */
#define MEEKC_BODY_MIN 1024      /* smallest --max-body */

struct meekc_url {
	int https;
	char host[MEEKC_HOST_MAX + 1]; /* without brackets */
	int host_is_v6;
	int host_is_ip;                /* an IPv4 or IPv6 literal */
	uint16_t port;
	int port_given;                /* port written in the URL */
	char path[MEEKC_PATH_MAX + 1]; /* "/" when the URL has none; query kept */
};

/*
 * "https://host[:port][/path[?query]]" (scheme case-insensitive; host a
 * DNS name, IPv4 or [IPv6] literal; no userinfo, no fragment; path bytes
 * visible ASCII). "http://" only when allow_http. 0 or -1 with err.
 */
int meekc_parse_url(const char *s, int allow_http, struct meekc_url *u, char *err,
                    size_t errlen);

struct meekc_front {
	char host[MEEKC_HOST_MAX + 1]; /* address to connect to, no brackets */
	int host_is_v6;
	uint16_t port;
	char sni[MEEKC_HOST_MAX + 1];    /* "" sends no SNI */
	char verify[MEEKC_HOST_MAX + 1]; /* name the certificate must carry */
};

/*
 * "ADDR[:PORT][,sni=NAME][,verify=NAME]", port 443 by default.
 * SNI: sni= when given (empty = none), else ADDR when it is a name, else
 * none. Verify name: verify=, else the SNI, else the URL host, except
 * that an explicit empty sni= with no verify= is an error (an Akamai
 * style front must say what to verify).
 */
int meekc_parse_front(const char *s, const struct meekc_url *u, struct meekc_front *f,
                      char *err, size_t errlen);

/*
 * A --header "Name: value": Name an RFC 9110 token that is not one
 * meek-client sets itself (Host, Content-Type, Content-Length,
 * Transfer-Encoding, Connection, X-Session-Id, X-Meek-Seq,
 * X-Meek-Max-Body, X-Meek-Auth); value without control bytes. Writes
 * the canonical "Name: value\r\n" line to out. Its length, or -1 with err.
 */
int meekc_parse_header(const char *s, char *out, size_t outlen, char *err, size_t errlen);

/* Next idle poll interval: 0 after a poll that moved bytes, then 100 ms × 1.5 up to 5 s. */
unsigned meekc_poll_next(unsigned cur_ms, int moved_bytes);

/* One framed response. */
struct meekc_resp {
	int status;     /* final status (1xx skipped) */
	int keep_alive; /* the connection may carry the next request */
	int chunked;    /* body must be decoded with http_chunked_decode */
	size_t body_off; /* body (encoded, if chunked) starts at p + body_off */
	size_t body_enc; /* encoded body bytes */
	size_t body_len; /* decoded body bytes */
};

/*
 * Frame the response at the start of p[0..n) for a request that allows
 * bodies up to cap. Interim 1xx heads are skipped. For a 200 the body is
 * framed by Content-Length or chunked coding and must not exceed cap;
 * for any other status the head alone completes the response (the
 * caller does not reuse the connection). Return the bytes of the whole
 * response (> 0), 0 for need more, -1 on a malformed or over-cap
 * response. h is scratch space.
 */
ssize_t meekc_resp_frame(const uint8_t *p, size_t n, size_t cap, struct http_head *h,
                         struct meekc_resp *r);

/* What an answer's status and Content-Type say about the far end. */
enum meekc_answer_kind {
	MEEKC_ANS_OK,       /* 200 from a meek server: session data */
	MEEKC_ANS_GONE,     /* 410: the server closed the session */
	MEEKC_ANS_RETRY,    /* 429, 502, 503, 504: transient, a counted retry */
	MEEKC_ANS_FAIL,     /* a refusal meek servers send (400, 403, 404, 405, 411, 413) */
	MEEKC_ANS_NOT_MEEK, /* a redirect, a web page, a status meek never sends */
};
enum meekc_answer_kind meekc_answer_kind(int status, const char *ctype);

/* Format the request head for a body of body_len bytes. Its length or -1. */
struct meekc_req_params {
	const struct meekc_url *url;
	const char *session_id;
	uint64_t seq;
	size_t max_body;
	const char *extra; /* complete header lines, or "" */
	const char *pipe;  /* X-Meek-Pipeline value, or NULL */
};
int meekc_format_head(const struct meekc_req_params *rp, size_t body_len, char *out,
                      size_t outlen);

/* The engine (meekc.c). */
struct meekc_config {
	struct meekc_url url;
	struct meekc_front fronts[MEEKC_FRONTS_MAX];
	size_t nfronts;
	struct sockaddr_storage addrs[MEEKC_FRONTS_MAX]; /* resolved fronts (or the URL host) */
	socklen_t addrlens[MEEKC_FRONTS_MAX];
	size_t naddrs;
	const char *ca_file;
	char extra[MEEKC_EXTRA_MAX]; /* --header lines and X-Meek-Auth */
	size_t max_body;
	int http1; /* --http1: never offer h2 */
	int tls_firefox; /* --tls firefox: NSS with Firefox's hello (nss/nssfd.h) */
};

/* Run the session until it ends; returns the exit status. */
int meekc_run(struct meekc_config *cfg);

#endif
