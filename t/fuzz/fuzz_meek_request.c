/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for meek-server's request path (server/meek_req.c over
 * common/http.c): the input is a connection's byte stream. Heads are
 * parsed and classified under an open and an authenticated
 * configuration, bodies are framed by Content-Length, and what follows
 * is the next (pipelined) request, as meek_conn.c does. Beyond "no
 * crash" it checks the contract: statuses come from the check order, an
 * accepted request has a valid session id, a body and response cap
 * within --max-body, and every canned answer parses back as a response
 * with the length it claims. The raw input is also tried as an
 * X-Forwarded-For value and a session id, and every head's
 * X-Forwarded-For fields through the trusted-hops pick.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "meek-server/meek_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static struct http_head fz_h, fz_resp;

static const struct meek_cfg fz_cfgs[2] = {
	{ "/", NULL, 0, MEEK_BODY_DEFAULT, 0 },
	{ "/meek/", "token", 5, 4096, 1 },
};

static void
fz_answer(int status, const struct meek_req *r)
{
	char out[MEEK_ERR_MAX];
	ssize_t n = status == 0 ? meek_format_ok(out, sizeof(out), r->body_len, !r->keep_alive, NULL, NULL)
	                        : meek_format_error(out, sizeof(out), status, r->msg, r->head_only,
	                                            !r->keep_alive, "Thu, 01 Jan 1970 00:00:00 GMT");

	if (n <= 0 || http_parse_response_head((const uint8_t *)out, (size_t)n, &fz_resp) <= 0)
		abort();
	if (fz_resp.status != (status == 0 ? 200 : status) || !fz_resp.has_content_length)
		abort();
}

static void
fz_check(int status, const struct meek_req *r, const struct meek_cfg *cfg)
{
	switch (status) {
	case 0:
		if (!meek_session_id_ok(r->sid, r->sid_len) || strlen(r->sid) != r->sid_len)
			abort();
		if (r->body_len > cfg->max_body || r->resp_cap == 0 || r->resp_cap > cfg->max_body)
			abort();
		if (r->has_fwd && !cfg->trust_forwarded)
			abort();
		break;
	case 400: case 403: case 404: case 405: case 411: case 413:
		if (r->msg == NULL)
			abort();
		break;
	default:
		abort();
	}
	fz_answer(status, r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct meek_req r;
	struct sockaddr_storage ss;
	size_t off = 0, i;
	ssize_t h;
	int status = 0, st2;

	(void)meek_forwarded_addr((const char *)p, n, &ss);
	(void)meek_session_id_ok((const char *)p, n);
	while (off < n && (h = http_parse_request_head(p + off, n - off, &fz_h)) > 0) {
		off += (size_t)h;
		/* The forwarded-address pick over every X-Forwarded-For field. */
		for (i = 1; i <= 3; i++)
			if (meek_forwarded_pick(&fz_h, (unsigned)i, &ss) == 0 &&
			    ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
				abort();
		for (i = 0; i < 2; i++) {
			status = meek_classify(&fz_h, &fz_cfgs[i], &r);
			fz_check(status, &r, &fz_cfgs[i]);
		}
		st2 = meek_classify(&fz_h, &fz_cfgs[0], &r);
		if (st2 != 0 && r.has_body)
			break; /* the server closes: the body is never framed */
		if (fz_h.chunked)
			break;
		if (r.body_len > n - off)
			break;
		off += (size_t)r.body_len;
	}
	(void)status;
	return 0;
}
