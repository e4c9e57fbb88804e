/* SPDX-License-Identifier: MIT */
/*
 * sdp: the data-channel subset of SDP (sdp.h). The parser walks the
 * input line by line and never copies a length it did not check
 * against the line and the field it fills.
 */
#include "proto/sdp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"

struct line {
	const char *v; /* after "x=" */
	size_t n;
};

static int
line_is(const struct line *l, const char *attr)
{
	size_t k = strlen(attr);

	return l->n >= k && memcmp(l->v, attr, k) == 0;
}

/* A decimal number of at most 19 digits filling the whole span. */
static int
parse_u64(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/* ice-char (RFC 8839): ALPHA / DIGIT / "+" / "/". */
static int
parse_cred(const char *p, size_t n, size_t min, char *out)
{
	size_t i;

	if (n < min || n > SDP_CRED_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/*
 * "sha-256 AB:CD:…": 1 when taken, 0 for another hash function (skipped:
 * a browser may list several), -1 when malformed.
 */
static int
parse_fp(const char *p, size_t n, uint8_t fp[SDP_FP_LEN])
{
	const char *sp = memchr(p, ' ', n);
	size_t i, k;
	int hi, lo;

	if (sp == NULL || sp == p)
		return -1;
	k = (size_t)(sp - p);
	if (k != 7 || strncasecmp(p, "sha-256", 7) != 0)
		return 0;
	p = sp + 1;
	n -= k + 1;
	if (n != SDP_FP_LEN * 3 - 1)
		return -1;
	for (i = 0; i < SDP_FP_LEN; i++) {
		hi = num_hexval(p[i * 3]);
		lo = num_hexval(p[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i + 1 < SDP_FP_LEN && p[i * 3 + 2] != ':'))
			return -1;
		fp[i] = (uint8_t)(hi << 4 | lo);
	}
	return 1;
}

/* "application PORT UDP/DTLS/SCTP webrtc-datachannel" */
static int
parse_media(const struct line *l)
{
	static const char proto[] = " UDP/DTLS/SCTP webrtc-datachannel";
	const char *p = l->v, *end = l->v + l->n, *sp;
	uint64_t port;

	if (!line_is(l, "application "))
		return -1;
	p += strlen("application ");
	sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL || parse_u64(p, (size_t)(sp - p), &port) < 0 || port > 65535)
		return -1;
	if ((size_t)(end - sp) != strlen(proto) || memcmp(sp, proto, strlen(proto)) != 0)
		return -1;
	return 0;
}

/* One a= line; have: which required attributes were seen. */
static int
parse_attr(const struct line *l, struct sdp *d, int *have)
{
	const char *v;
	size_t n;
	uint64_t u;
	int r;

#define VALUE(name) (v = l->v + strlen(name), n = l->n - strlen(name))
	if (line_is(l, "ice-ufrag:")) {
		VALUE("ice-ufrag:");
		if ((*have & 1) || parse_cred(v, n, 4, d->ufrag) < 0)
			return -1;
		*have |= 1;
	} else if (line_is(l, "ice-pwd:")) {
		VALUE("ice-pwd:");
		if ((*have & 2) || parse_cred(v, n, 22, d->pwd) < 0)
			return -1;
		*have |= 2;
	} else if (line_is(l, "fingerprint:")) {
		VALUE("fingerprint:");
		if ((r = parse_fp(v, n, d->fp)) < 0 || (r == 1 && (*have & 4)))
			return -1;
		if (r == 1)
			*have |= 4;
	} else if (line_is(l, "setup:")) {
		VALUE("setup:");
		if (d->setup != SDP_SETUP_NONE)
			return -1;
		if (n == 7 && memcmp(v, "actpass", 7) == 0)
			d->setup = SDP_SETUP_ACTPASS;
		else if (n == 6 && memcmp(v, "active", 6) == 0)
			d->setup = SDP_SETUP_ACTIVE;
		else if (n == 7 && memcmp(v, "passive", 7) == 0)
			d->setup = SDP_SETUP_PASSIVE;
		else
			return -1;
	} else if (line_is(l, "sctp-port:")) {
		VALUE("sctp-port:");
		if (parse_u64(v, n, &u) < 0 || u == 0 || u > 65535)
			return -1;
		d->sctp_port = (uint16_t)u;
	} else if (line_is(l, "max-message-size:")) {
		VALUE("max-message-size:");
		if (parse_u64(v, n, &u) < 0)
			return -1;
		d->max_msg = u;
	} else if (line_is(l, "mid:")) {
		VALUE("mid:");
		if (n == 0 || n > SDP_MID_MAX)
			return -1;
		memcpy(d->mid, v, n);
		d->mid[n] = '\0';
	} else if (line_is(l, "candidate:")) {
		if (l->n >= SDP_CAND_MAX)
			return -1;
		if (d->ncand == SDP_CANDS_MAX) {
			d->cand_dropped++;
			return 0;
		}
		memcpy(d->cand[d->ncand], l->v, l->n);
		d->cand[d->ncand++][l->n] = '\0';
	} else if (l->n == strlen("end-of-candidates") && line_is(l, "end-of-candidates")) {
		d->end_of_candidates = 1;
	}
#undef VALUE
	return 0;
}

int
sdp_parse(const uint8_t *p, size_t n, struct sdp *d)
{
	const uint8_t *s = p, *end = p + n, *eol;
	struct line l;
	size_t len, i;
	int have = 0, media = 0;
	char type;

	memset(d, 0, sizeof(*d));
	d->sctp_port = 5000;
	d->max_msg = SDP_MAX_MSG_DEFAULT;
	if (n == 0)
		return 0;
	while (s < end) {
		if ((size_t)(s - p) > SDP_MAX)
			return -1;
		eol = memchr(s, '\n', (size_t)(end - s));
		if (eol == NULL)
			return (size_t)(end - s) > SDP_LINE_MAX + 1 ? -1 : 0;
		len = (size_t)(eol - s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len > SDP_LINE_MAX || len < 2 || s[1] != '=')
			return -1;
		for (i = 0; i < len; i++)
			if (s[i] < 0x20 || s[i] == 0x7f)
				return -1;
		type = (char)s[0];
		if (s == p) {
			if (len != 3 || memcmp(s, "v=0", 3) != 0)
				return -1;
		} else if (type == 'v') {
			break; /* the next description: ours ends here */
		}
		l.v = (const char *)s + 2;
		l.n = len - 2;
		switch (type) {
		case 'v':
			break;
		case 'o': case 's': case 't': case 'c': case 'b': case 'i': case 'u': case 'e':
		case 'p': case 'z': case 'k': case 'r':
			break;
		case 'm':
			if (media++ || parse_media(&l) < 0)
				return -1;
			break;
		case 'a':
			if (parse_attr(&l, d, &have) < 0)
				return -1;
			break;
		default:
			return -1;
		}
		s = eol + 1;
	}
	if (s == p || media != 1 || have != 7 || d->setup == SDP_SETUP_NONE)
		return -1;
	if ((size_t)(s - p) > SDP_MAX)
		return -1;
	return (int)(s - p);
}

const char *
sdp_setup_name(enum sdp_setup s)
{
	switch (s) {
	case SDP_SETUP_ACTPASS: return "actpass";
	case SDP_SETUP_ACTIVE: return "active";
	case SDP_SETUP_PASSIVE: return "passive";
	default: return "";
	}
}

/* Appends printf output; sets *err on overflow. */
static void
out_add(char *out, size_t cap, size_t *len, int *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
out_add(char *out, size_t cap, size_t *len, int *err, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*err || *len >= cap) {
		*err = 1;
		return;
	}
	va_start(ap, fmt);
	k = vsnprintf(out + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= cap - *len)
		*err = 1;
	else
		*len += (size_t)k;
}

int
sdp_write(const struct sdp *d, char *out, size_t cap)
{
	char fp[SDP_FP_LEN * 3];
	size_t len = 0, i;
	int err = 0;

	if (cap == 0 || d->setup == SDP_SETUP_NONE || d->ncand > SDP_CANDS_MAX)
		return -1;
	for (i = 0; i < SDP_FP_LEN; i++)
		snprintf(fp + i * 3, 4, "%02X%s", d->fp[i], i + 1 < SDP_FP_LEN ? ":" : "");
	/* The order and the lines Firefox writes for one data channel. */
	out_add(out, cap, &len, &err,
	        "v=0\r\n"
	        "o=mozilla...THIS_IS_SDPARTA-128.0 %" PRIu64 " 0 IN IP4 0.0.0.0\r\n"
	        "s=-\r\n"
	        "t=0 0\r\n"
	        "a=fingerprint:sha-256 %s\r\n"
	        "a=group:BUNDLE %s\r\n"
	        "a=ice-options:trickle\r\n"
	        "a=msid-semantic:WMS *\r\n"
	        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	        "c=IN IP4 0.0.0.0\r\n",
	        d->sess_id, fp, d->mid[0] ? d->mid : "0");
	for (i = 0; i < d->ncand; i++)
		out_add(out, cap, &len, &err, "a=%s\r\n", d->cand[i]);
	if (d->end_of_candidates)
		out_add(out, cap, &len, &err, "a=end-of-candidates\r\n");
	out_add(out, cap, &len, &err,
	        "a=sendrecv\r\n"
	        "a=ice-pwd:%s\r\n"
	        "a=ice-ufrag:%s\r\n"
	        "a=mid:%s\r\n"
	        "a=setup:%s\r\n"
	        "a=sctp-port:%u\r\n",
	        d->pwd, d->ufrag, d->mid[0] ? d->mid : "0", sdp_setup_name(d->setup),
	        (unsigned)d->sctp_port);
	out_add(out, cap, &len, &err, "a=max-message-size:%" PRIu64 "\r\n", d->max_msg);
	if (err)
		return -1;
	return (int)len;
}
