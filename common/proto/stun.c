/* SPDX-License-Identifier: MIT */
/*
 * STUN messages (RFC 8489): the decoder, the generic attribute
 * accessors, MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, and the
 * builder. ChannelData, the stream splitter, credentials, the TURN
 * attribute helpers and names are in stun_turn.c; see stun.h for the
 * rules both follow.
 *
 * Integrity is computed over iovecs (a patched copy of the 20-byte
 * header, then the message body up to the attribute), so a received
 * buffer is never written. The builder keeps the header length equal
 * to what it has written, which is the length both HMACs and the CRC
 * want at the moment their attribute is appended.
 */
#include "proto/stun.h"

#include <netinet/in.h>
#include <string.h>

#include "tls/crypto.h"

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

uint16_t
stun_type(uint16_t method, uint8_t cls)
{
	return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 |
	    (cls & 1) << 4 | (cls & 2) << 7);
}

void
stun_type_split(uint16_t type, uint16_t *method, uint8_t *cls)
{
	*method = (uint16_t)((type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2);
	*cls = (uint8_t)((type >> 4 & 1) | (type >> 7 & 2));
}

/* Types this codec knows; any other type below 0x8000 is reported as unknown. */
static int
stun_known_required(uint16_t t)
{
	switch (t) {
	case STUN_ATTR_MAPPED_ADDRESS: case STUN_ATTR_RESPONSE_ADDRESS:
	case STUN_ATTR_CHANGE_REQUEST: case STUN_ATTR_SOURCE_ADDRESS:
	case STUN_ATTR_CHANGED_ADDRESS: case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY: case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES: case STUN_ATTR_REFLECTED_FROM:
	case STUN_ATTR_CHANNEL_NUMBER: case STUN_ATTR_LIFETIME:
	case STUN_ATTR_XOR_PEER_ADDRESS: case STUN_ATTR_DATA: case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE: case STUN_ATTR_XOR_RELAYED_ADDRESS:
	case STUN_ATTR_REQUESTED_ADDRESS_FAMILY: case STUN_ATTR_EVEN_PORT:
	case STUN_ATTR_REQUESTED_TRANSPORT: case STUN_ATTR_DONT_FRAGMENT:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256: case STUN_ATTR_PASSWORD_ALGORITHM:
	case STUN_ATTR_USERHASH: case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_RESERVATION_TOKEN: case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE: case STUN_ATTR_PADDING:
	case STUN_ATTR_RESPONSE_PORT: case STUN_ATTR_CONNECTION_ID:
		return 1;
	}
	return 0;
}

static void
stun_note_unknown(struct stun_msg *m, uint16_t t)
{
	size_t i;

	for (i = 0; i < m->nunknown; i++)
		if (m->unknown[i] == t)
			return;
	if (m->nunknown < STUN_UNKNOWN_MAX)
		m->unknown[m->nunknown++] = t;
}

/* The length field and cookie of a header (n >= 8); -1 when not STUN. */
static ssize_t
stun_header_body(const uint8_t *p)
{
	size_t blen = rd16(p + 2);

	if ((p[0] & 0xC0) != 0 || rd32(p + 4) != STUN_MAGIC_COOKIE || blen % 4 != 0)
		return -1;
	return (ssize_t)blen;
}

/* Check the integrity/fingerprint attribute at index i against the rules of §14. */
static int
stun_check_special(struct stun_msg *m, const struct stun_attr *a, size_t off, size_t end)
{
	uint32_t crc;

	switch (a->type) {
	case STUN_ATTR_MESSAGE_INTEGRITY:
		if (a->len != STUN_MI_LEN || m->mi256_idx >= 0)
			return -1;
		m->mi_idx = (int)m->nattrs;
		break;
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		if (a->len < STUN_MI256_MIN || a->len > STUN_MI256_LEN || a->len % 4 != 0)
			return -1;
		m->mi256_idx = (int)m->nattrs;
		break;
	case STUN_ATTR_FINGERPRINT:
		/* off is where the attribute starts; it must be the last one. */
		if (a->len != STUN_FP_LEN || off + STUN_ATTR_HEADER_LEN + STUN_FP_LEN != end)
			return -1;
		crc = stun_crc32(m->raw, off) ^ STUN_FINGERPRINT_XOR;
		if (rd32(a->val) != crc)
			return -1;
		m->fp_idx = (int)m->nattrs;
		break;
	}
	return 0;
}

ssize_t
stun_decode(const uint8_t *p, size_t n, struct stun_msg *m)
{
	size_t off, end;
	ssize_t blen;

	if (n >= 1 && (p[0] & 0xC0) != 0)
		return -1;
	if (n < 8)
		return 0;
	if ((blen = stun_header_body(p)) < 0)
		return -1;
	end = STUN_HEADER_LEN + (size_t)blen;
	if (n < end)
		return 0;
	memset(m, 0, sizeof(*m));
	m->type = rd16(p);
	stun_type_split(m->type, &m->method, &m->cls);
	memcpy(m->tid, p + 8, STUN_TID_LEN);
	m->raw = p;
	m->len = end;
	m->mi_idx = m->mi256_idx = m->fp_idx = -1;
	for (off = STUN_HEADER_LEN; off < end;) {
		struct stun_attr a;
		size_t alen;
		int skip;

		/* end - off is a multiple of 4 and > 0, so a header fits. */
		a.type = rd16(p + off);
		a.len = rd16(p + off + 2);
		alen = a.len;
		if (pad4(alen) > end - off - STUN_ATTR_HEADER_LEN)
			return -1;
		a.val = p + off + STUN_ATTR_HEADER_LEN;
		if (m->fp_idx >= 0)
			return -1;
		/* §14.5/14.6: after an integrity attribute only the later ones count. */
		skip = (m->mi_idx >= 0 && a.type != STUN_ATTR_MESSAGE_INTEGRITY_SHA256 &&
		    a.type != STUN_ATTR_FINGERPRINT) ||
		    (m->mi256_idx >= 0 && a.type != STUN_ATTR_FINGERPRINT);
		if (!skip) {
			if (m->nattrs == STUN_ATTRS_MAX)
				return -1;
			if (stun_check_special(m, &a, off, end) < 0)
				return -1;
			if (STUN_ATTR_COMPREHENSION_REQUIRED(a.type) && !stun_known_required(a.type))
				stun_note_unknown(m, a.type);
			m->attrs[m->nattrs++] = a;
		}
		off += STUN_ATTR_HEADER_LEN + pad4(alen);
	}
	return (ssize_t)end;
}

int
stun_decode_dgram(const uint8_t *p, size_t n, struct stun_msg *m)
{
	ssize_t k = stun_decode(p, n, m);

	return k > 0 && (size_t)k == n ? 0 : -1;
}

const struct stun_attr *
stun_find(const struct stun_msg *m, uint16_t type)
{
	size_t i;

	for (i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

const struct stun_attr *
stun_find_next(const struct stun_msg *m, const struct stun_attr *prev)
{
	size_t i;

	if (prev < m->attrs || prev >= m->attrs + m->nattrs)
		return NULL;
	for (i = (size_t)(prev - m->attrs) + 1; i < m->nattrs; i++)
		if (m->attrs[i].type == prev->type)
			return &m->attrs[i];
	return NULL;
}

static int
stun_is_xor_type(uint16_t type)
{
	return type == STUN_ATTR_XOR_MAPPED_ADDRESS || type == STUN_ATTR_XOR_PEER_ADDRESS ||
	    type == STUN_ATTR_XOR_RELAYED_ADDRESS;
}

/* The 16-byte XOR pad: cookie then transaction id (RFC 8489 §14.2). */
static void
stun_xor_pad(const uint8_t tid[STUN_TID_LEN], uint8_t pad[16])
{
	wr32(pad, STUN_MAGIC_COOKIE);
	memcpy(pad + 4, tid, STUN_TID_LEN);
}

int
stun_attr_addr(const struct stun_msg *m, const struct stun_attr *a, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	uint8_t pad[16], ip[16];
	uint16_t port;
	int x, i;

	if (a == NULL || a->len < 4)
		return -1;
	x = stun_is_xor_type(a->type);
	stun_xor_pad(m->tid, pad);
	port = rd16(a->val + 2);
	if (x)
		port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	if (a->val[1] == STUN_FAMILY_IPV4 && a->len == 8) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		for (i = 0; i < 4; i++)
			ip[i] = (uint8_t)(a->val[4 + i] ^ (x ? pad[i] : 0));
		memset(ss, 0, sizeof(*ss));
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, ip, 4);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (a->val[1] == STUN_FAMILY_IPV6 && a->len == 20) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		for (i = 0; i < 16; i++)
			ip[i] = (uint8_t)(a->val[4 + i] ^ (x ? pad[i] : 0));
		memset(ss, 0, sizeof(*ss));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, ip, 16);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int
stun_attr_u32(const struct stun_attr *a, uint32_t *v)
{
	if (a == NULL || a->len != 4)
		return -1;
	*v = rd32(a->val);
	return 0;
}

int
stun_attr_u64(const struct stun_attr *a, uint64_t *v)
{
	if (a == NULL || a->len != 8)
		return -1;
	*v = (uint64_t)rd32(a->val) << 32 | rd32(a->val + 4);
	return 0;
}

int
stun_attr_error(const struct stun_attr *a, int *code, const char **reason, size_t *rlen)
{
	int cls, num;

	if (a == NULL || a->len < 4 || a->len - 4 > STUN_REASON_MAX)
		return -1;
	cls = a->val[2] & 0x07;
	num = a->val[3];
	if (cls < 3 || cls > 6 || num > 99)
		return -1;
	*code = cls * 100 + num;
	*reason = (const char *)a->val + 4;
	*rlen = a->len - 4u;
	return 0;
}

int
stun_attr_unknown(const struct stun_attr *a, uint16_t *types, size_t max, size_t *n)
{
	size_t i, k = 0;

	if (a == NULL || a->len % 2 != 0)
		return -1;
	for (i = 0; i + 2 <= a->len && k < max; i += 2)
		types[k++] = rd16(a->val + i);
	*n = k;
	return 0;
}

/* The HMAC of the message up to attrs[idx], header length covering it. */
static int
stun_mac(const struct stun_msg *m, int idx, int sha256, const uint8_t *key, size_t klen,
    uint8_t out[CRYPTO_SHA256_LEN])
{
	const struct stun_attr *a;
	uint8_t hdr[STUN_HEADER_LEN];
	struct iovec iov[2];
	size_t off;

	if (idx < 0 || (size_t)idx >= m->nattrs)
		return -1;
	a = &m->attrs[idx];
	off = (size_t)(a->val - m->raw) - STUN_ATTR_HEADER_LEN;
	memcpy(hdr, m->raw, STUN_HEADER_LEN);
	wr16(hdr + 2, (uint16_t)(off + STUN_ATTR_HEADER_LEN + a->len - STUN_HEADER_LEN));
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)(m->raw + STUN_HEADER_LEN);
	iov[1].iov_len = off - STUN_HEADER_LEN;
	if (sha256)
		return crypto_hmac_sha256(key, klen, iov, 2, out);
	return crypto_hmac_sha1(key, klen, iov, 2, out);
}

/* Constant-time compare: the MAC is a secret-dependent value. */
static int
stun_mac_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

int
stun_check_integrity_sha1(const struct stun_msg *m, const uint8_t *key, size_t klen)
{
	uint8_t mac[CRYPTO_SHA256_LEN];

	if (stun_mac(m, m->mi_idx, 0, key, klen, mac) < 0)
		return 0;
	return stun_mac_equal(mac, m->attrs[m->mi_idx].val, STUN_MI_LEN);
}

int
stun_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key, size_t klen)
{
	uint8_t mac[CRYPTO_SHA256_LEN];

	if (stun_mac(m, m->mi256_idx, 1, key, klen, mac) < 0)
		return 0;
	return stun_mac_equal(mac, m->attrs[m->mi256_idx].val, m->attrs[m->mi256_idx].len);
}

int
stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t klen)
{
	if (m->mi256_idx >= 0)
		return stun_check_integrity_sha256(m, key, klen);
	return stun_check_integrity_sha1(m, key, klen);
}

/* --- builder --- */

void
stun_build_begin(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method, uint8_t cls,
    const uint8_t tid[STUN_TID_LEN])
{
	b->buf = buf;
	b->cap = cap < STUN_MSG_MAX ? cap : STUN_MSG_MAX;
	b->len = 0;
	b->err = 0;
	b->sealed = 0;
	if (cap < STUN_HEADER_LEN || method > 0x0FFF || cls > 3) {
		b->err = 1;
		return;
	}
	wr16(buf, stun_type(method, cls));
	wr16(buf + 2, 0);
	wr32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	b->len = STUN_HEADER_LEN;
}

/* Reserve room for an attribute of len bytes; its value pointer, or NULL. */
static uint8_t *
stun_reserve(struct stun_builder *b, uint16_t type, size_t len)
{
	uint8_t *v;
	size_t total;

	if (b->err || b->sealed)
		goto fail;
	if (len > 0xFFFF || pad4(len) + STUN_ATTR_HEADER_LEN > b->cap - b->len)
		goto fail;
	total = STUN_ATTR_HEADER_LEN + pad4(len);
	wr16(b->buf + b->len, type);
	wr16(b->buf + b->len + 2, (uint16_t)len);
	v = b->buf + b->len + STUN_ATTR_HEADER_LEN;
	memset(v + len, 0, pad4(len) - len);
	b->len += total;
	wr16(b->buf + 2, (uint16_t)(b->len - STUN_HEADER_LEN));
	return v;
fail:
	b->err = 1;
	return NULL;
}

void
stun_add(struct stun_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *v = stun_reserve(b, type, len);

	if (v != NULL && len > 0)
		memcpy(v, val, len);
}

void
stun_add_str(struct stun_builder *b, uint16_t type, const char *s)
{
	stun_add(b, type, s, strlen(s));
}

void
stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t val)
{
	uint8_t *v = stun_reserve(b, type, 4);

	if (v != NULL)
		wr32(v, val);
}

void
stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t val)
{
	uint8_t *v = stun_reserve(b, type, 8);

	if (v != NULL) {
		wr32(v, (uint32_t)(val >> 32));
		wr32(v + 4, (uint32_t)val);
	}
}

void
stun_add_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa)
{
	uint8_t pad[16], *v;
	const uint8_t *ip;
	uint16_t port;
	size_t alen, i;
	int x = stun_is_xor_type(type);

	if (b->err)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		ip = (const uint8_t *)&sin->sin_addr;
		port = ntohs(sin->sin_port);
		alen = 4;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		ip = (const uint8_t *)&sin6->sin6_addr;
		port = ntohs(sin6->sin6_port);
		alen = 16;
	} else {
		b->err = 1;
		return;
	}
	if ((v = stun_reserve(b, type, 4 + alen)) == NULL)
		return;
	stun_xor_pad(b->buf + 8, pad);
	v[0] = 0;
	v[1] = alen == 4 ? STUN_FAMILY_IPV4 : STUN_FAMILY_IPV6;
	wr16(v + 2, x ? (uint16_t)(port ^ (STUN_MAGIC_COOKIE >> 16)) : port);
	for (i = 0; i < alen; i++)
		v[4 + i] = (uint8_t)(ip[i] ^ (x ? pad[i] : 0));
}

void
stun_add_error(struct stun_builder *b, int code, const char *reason)
{
	size_t rlen = reason != NULL ? strlen(reason) : 0;
	uint8_t *v;

	if (code < 300 || code > 699 || rlen > STUN_REASON_MAX) {
		b->err = 1;
		return;
	}
	if ((v = stun_reserve(b, STUN_ATTR_ERROR_CODE, 4 + rlen)) == NULL)
		return;
	v[0] = v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	if (rlen > 0)
		memcpy(v + 4, reason, rlen);
}

void
stun_add_unknown(struct stun_builder *b, const uint16_t *types, size_t n)
{
	uint8_t *v;
	size_t i;

	if (n > 0xFFFF / 2) {
		b->err = 1;
		return;
	}
	if ((v = stun_reserve(b, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		wr16(v + 2 * i, types[i]);
}

static void
stun_add_mac(struct stun_builder *b, uint16_t type, int sha256, const uint8_t *key, size_t klen)
{
	uint8_t mac[CRYPTO_SHA256_LEN], *v;
	size_t mlen = sha256 ? STUN_MI256_LEN : STUN_MI_LEN, covered;
	struct iovec iov;
	int r;

	if (b->err)
		return;
	covered = b->len;
	/* Reserving first sets the header length to include this attribute. */
	if ((v = stun_reserve(b, type, mlen)) == NULL)
		return;
	iov.iov_base = b->buf;
	iov.iov_len = covered;
	r = sha256 ? crypto_hmac_sha256(key, klen, &iov, 1, mac) :
	    crypto_hmac_sha1(key, klen, &iov, 1, mac);
	if (r < 0) {
		b->err = 1;
		return;
	}
	memcpy(v, mac, mlen);
}

void
stun_add_integrity(struct stun_builder *b, const uint8_t *key, size_t klen)
{
	stun_add_mac(b, STUN_ATTR_MESSAGE_INTEGRITY, 0, key, klen);
}

void
stun_add_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t klen)
{
	stun_add_mac(b, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 1, key, klen);
}

void
stun_add_fingerprint(struct stun_builder *b)
{
	size_t covered = b->len;
	uint8_t *v = stun_reserve(b, STUN_ATTR_FINGERPRINT, STUN_FP_LEN);

	if (v == NULL)
		return;
	wr32(v, stun_crc32(b->buf, covered) ^ STUN_FINGERPRINT_XOR);
	b->sealed = 1;
}

ssize_t
stun_build_end(struct stun_builder *b)
{
	return b->err ? -1 : (ssize_t)b->len;
}

int
stun_new_tid(uint8_t tid[STUN_TID_LEN])
{
	return crypto_random(tid, STUN_TID_LEN);
}
