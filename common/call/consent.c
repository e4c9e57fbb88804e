/* SPDX-License-Identifier: MIT */
/*
 * ICE consent freshness requests and responses of a call (consent.h).
 */
#include "call/consent.h"

#include <string.h>

#include "base/hex.h"

void
consent_creds_init(struct consent_creds *cr, const uint8_t km[CONSENT_KM_LEN])
{
	hex_encode(cr->ufrag_c, km, 4);
	hex_encode(cr->ufrag_s, km + 4, 4);
	hex_encode(cr->pwd_s, km + 8, 16);
}

/* What the client's request says in USERNAME: the receiver's ufrag first. */
static void
username(const struct consent_creds *cr, char out[18])
{
	memcpy(out, cr->ufrag_s, 8);
	out[8] = ':';
	memcpy(out + 9, cr->ufrag_c, 8);
	out[17] = 0;
}

ssize_t
consent_request_build(const struct consent_creds *cr, const uint8_t tid[STUN_TID_LEN], uint64_t tiebreaker,
                      uint8_t *out, size_t cap)
{
	struct stun_builder b;
	char u[18];

	username(cr, u);
	stun_build_begin(&b, out, cap, STUN_BINDING, STUN_REQUEST, tid);
	stun_add_str(&b, STUN_ATTR_USERNAME, u);
	stun_add_u32(&b, STUN_ATTR_PRIORITY, CONSENT_PRIORITY);
	stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLING, tiebreaker);
	stun_add_integrity(&b, (const uint8_t *)cr->pwd_s, 32);
	stun_add_fingerprint(&b);
	return stun_build_end(&b);
}

int
consent_request_check(const struct consent_creds *cr, const uint8_t *p, size_t n, uint8_t tid[STUN_TID_LEN])
{
	struct stun_msg m;
	const struct stun_attr *a;
	char u[18];

	if (stun_decode_dgram(p, n, &m) < 0 || m.method != STUN_BINDING || m.cls != STUN_REQUEST ||
	    m.fp_idx < 0 || m.mi_idx < 0)
		return 0;
	username(cr, u);
	if ((a = stun_find(&m, STUN_ATTR_USERNAME)) == NULL || a->len != 17 || memcmp(a->val, u, 17) != 0)
		return 0;
	if (stun_check_integrity_sha1(&m, (const uint8_t *)cr->pwd_s, 32) != 1)
		return 0;
	memcpy(tid, m.tid, STUN_TID_LEN);
	return 1;
}

ssize_t
consent_response_build(const struct consent_creds *cr, const uint8_t tid[STUN_TID_LEN],
                       const struct sockaddr *from, uint8_t *out, size_t cap)
{
	struct stun_builder b;

	stun_build_begin(&b, out, cap, STUN_BINDING, STUN_SUCCESS, tid);
	if (from != NULL)
		stun_add_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, from);
	stun_add_integrity(&b, (const uint8_t *)cr->pwd_s, 32);
	stun_add_fingerprint(&b);
	return stun_build_end(&b);
}

int
consent_response_check(const struct consent_creds *cr, const uint8_t tid[STUN_TID_LEN], const uint8_t *p,
                       size_t n)
{
	struct stun_msg m;

	if (stun_decode_dgram(p, n, &m) < 0 || m.method != STUN_BINDING || m.cls != STUN_SUCCESS ||
	    m.fp_idx < 0 || memcmp(m.tid, tid, STUN_TID_LEN) != 0)
		return 0;
	return stun_check_integrity_sha1(&m, (const uint8_t *)cr->pwd_s, 32) == 1;
}
