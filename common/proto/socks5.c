/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 messages (RFC 1928), no-auth only (see socks5.h). Every parser
 * rejects a wrong version byte as soon as it sees it, so a non-SOCKS
 * peer is turned away after one byte rather than after a timeout. The
 * RSV byte of requests and replies is ignored, as common servers and
 * clients do: refusing it buys nothing. The address part is
 * socksaddr's.
 */
#include "proto/socks5.h"

#include <string.h>

ssize_t
socks5_parse_greeting(const uint8_t *p, size_t n, int *noauth)
{
	size_t nm;

	if (n < 1)
		return 0;
	if (p[0] != SOCKS5_VERSION)
		return -1;
	if (n < 2)
		return 0;
	nm = p[1];
	/* RFC 1928 §3: NMETHODS is 1..255; a client offering none is broken. */
	if (nm == 0)
		return -1;
	if (n < 2 + nm)
		return 0;
	*noauth = memchr(p + 2, SOCKS5_METHOD_NOAUTH, nm) != NULL;
	return (ssize_t)(2 + nm);
}

/*
 * Requests and replies share one shape, VER CODE RSV ATYP ADDR PORT; RSV
 * is ignored, as common implementations do.
 */
static ssize_t
socks5_parse_msg(const uint8_t *p, size_t n, uint8_t *code, struct socksaddr *sa)
{
	ssize_t k;

	if (n < 1)
		return 0;
	if (p[0] != SOCKS5_VERSION)
		return -1;
	if (n < 4)
		return 0;
	k = socksaddr_decode(p + 3, n - 3, sa);
	if (k <= 0)
		return k;
	*code = p[1];
	return 3 + k;
}

ssize_t
socks5_parse_request(const uint8_t *p, size_t n, struct socks5_request *req, uint8_t *reply)
{
	ssize_t k;

	*reply = SOCKS5_REP_GENERAL_FAILURE;
	k = socks5_parse_msg(p, n, &req->cmd, &req->dst);
	if (k < 0 && n >= 4 && p[0] == SOCKS5_VERSION && p[3] != SOCKS_ATYP_IPV4 &&
	    p[3] != SOCKS_ATYP_IPV6 && p[3] != SOCKS_ATYP_DOMAIN)
		*reply = SOCKS5_REP_ATYP_UNSUPPORTED;
	return k;
}

size_t
socks5_encode_method(uint8_t method, uint8_t out[2])
{
	out[0] = SOCKS5_VERSION;
	out[1] = method;
	return 2;
}

static ssize_t
socks5_encode_msg(uint8_t code, const struct socksaddr *sa, uint8_t *out, size_t outlen)
{
	struct socksaddr any;
	ssize_t k;

	if (sa == NULL) {
		memset(&any, 0, sizeof(any));
		any.atyp = SOCKS_ATYP_IPV4;
		sa = &any;
	}
	if (outlen < 3)
		return -1;
	k = socksaddr_encode(sa, out + 3, outlen - 3);
	if (k < 0)
		return -1;
	out[0] = SOCKS5_VERSION;
	out[1] = code;
	out[2] = 0;
	return 3 + k;
}

ssize_t
socks5_encode_reply(uint8_t rep, const struct socksaddr *bnd, uint8_t *out, size_t outlen)
{
	return socks5_encode_msg(rep, bnd, out, outlen);
}

size_t
socks5_encode_greeting(uint8_t out[3])
{
	out[0] = SOCKS5_VERSION;
	out[1] = 1;
	out[2] = SOCKS5_METHOD_NOAUTH;
	return 3;
}

ssize_t
socks5_parse_method(const uint8_t *p, size_t n, uint8_t *method)
{
	if (n < 1)
		return 0;
	if (p[0] != SOCKS5_VERSION)
		return -1;
	if (n < 2)
		return 0;
	*method = p[1];
	return 2;
}

ssize_t
socks5_encode_request(uint8_t cmd, const struct socksaddr *dst, uint8_t *out, size_t outlen)
{
	if (dst == NULL)
		return -1;
	return socks5_encode_msg(cmd, dst, out, outlen);
}

ssize_t
socks5_parse_reply(const uint8_t *p, size_t n, uint8_t *rep, struct socksaddr *bnd)
{
	struct socksaddr tmp;

	return socks5_parse_msg(p, n, rep, bnd ? bnd : &tmp);
}

const char *
socks5_reply_str(uint8_t rep)
{
	switch (rep) {
	case SOCKS5_REP_SUCCEEDED:
		return "succeeded";
	case SOCKS5_REP_GENERAL_FAILURE:
		return "general SOCKS server failure";
	case SOCKS5_REP_NOT_ALLOWED:
		return "connection not allowed by ruleset";
	case SOCKS5_REP_NET_UNREACHABLE:
		return "network unreachable";
	case SOCKS5_REP_HOST_UNREACHABLE:
		return "host unreachable";
	case SOCKS5_REP_REFUSED:
		return "connection refused";
	case SOCKS5_REP_TTL_EXPIRED:
		return "TTL expired";
	case SOCKS5_REP_CMD_UNSUPPORTED:
		return "command not supported";
	case SOCKS5_REP_ATYP_UNSUPPORTED:
		return "address type not supported";
	default:
		return "unknown SOCKS5 reply code";
	}
}
