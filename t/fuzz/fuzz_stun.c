/* SPDX-License-Identifier: MIT */
/*
 * STUN decoder. Input: one message (or anything). Whatever decodes must
 * keep every attribute inside the message, survive the integrity checks
 * and every accessor, and re-encode (attributes before the integrity
 * and fingerprint ones, in order) to something that decodes to the same
 * attributes with a valid MESSAGE-INTEGRITY and FINGERPRINT.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
poke_accessors(const struct stun_msg *m, const struct stun_attr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *reason;
	size_t rlen, nt;
	uint64_t u64;
	uint32_t u;
	uint16_t types[STUN_UNKNOWN_MAX], chan;
	uint8_t b1, b2;
	int code, r;

	if (stun_attr_addr(m, a, &ss, &sl) == 0 && sl > sizeof(ss))
		abort();
	(void)stun_attr_u32(a, &u);
	(void)stun_attr_u64(a, &u64);
	if (stun_attr_error(a, &code, &reason, &rlen) == 0 &&
	    (code < 300 || code > 699 || reason + rlen != (const char *)a->val + a->len))
		abort();
	if (stun_attr_unknown(a, types, STUN_UNKNOWN_MAX, &nt) == 0 && nt > STUN_UNKNOWN_MAX)
		abort();
	if (turn_attr_channel(a, &chan) == 0 && (chan < TURN_CHANNEL_MIN || chan > TURN_CHANNEL_MAX))
		abort();
	(void)turn_attr_transport(a, &b1);
	(void)turn_attr_family(a, &b1);
	(void)turn_attr_even_port(a, &r);
	(void)turn_attr_address_error(a, &b1, &code, &reason, &rlen);
	(void)turn_attr_icmp(a, &b1, &b2, &u);
	(void)stun_attr_name(a->type);
}

static void
reencode(const struct stun_msg *m)
{
	static uint8_t out[STUN_MSG_MAX];
	static const uint8_t key[] = "fuzz";
	struct stun_builder b;
	struct stun_msg m2;
	size_t i, n = 0;
	ssize_t k;

	stun_build_begin(&b, out, sizeof(out), m->method, m->cls, m->tid);
	for (i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (a->type == STUN_ATTR_MESSAGE_INTEGRITY || a->type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
		    a->type == STUN_ATTR_FINGERPRINT)
			break;
		stun_add(&b, a->type, a->val, a->len);
		n++;
	}
	stun_add_integrity(&b, key, sizeof(key) - 1);
	stun_add_fingerprint(&b);
	/* Room for MI and FP may be missing only if the input was near the maximum. */
	if ((k = stun_build_end(&b)) < 0) {
		if (m->len + STUN_MI_LEN + 4 + STUN_FP_LEN + 4 <= STUN_MSG_MAX)
			abort();
		return;
	}
	/* MI and FP may push the copy over the attribute limit. */
	if (n + 2 > STUN_ATTRS_MAX) {
		if (stun_decode(out, (size_t)k, &m2) != -1)
			abort();
		return;
	}
	if (stun_decode(out, (size_t)k, &m2) != k || m2.method != m->method || m2.cls != m->cls)
		abort();
	if (m2.nattrs != n + 2 || m2.nunknown != m->nunknown)
		abort();
	for (i = 0; i < n; i++)
		if (m2.attrs[i].type != m->attrs[i].type || m2.attrs[i].len != m->attrs[i].len ||
		    memcmp(m2.attrs[i].val, m->attrs[i].val, m->attrs[i].len) != 0)
			abort();
	if (stun_check_integrity(&m2, key, sizeof(key) - 1) != 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	ssize_t k;
	size_t i;
	int kind;

	k = stun_decode(data, size, &m);
	if (k > 0 && stun_frame_len(data, size, 0, &kind) != k)
		abort();
	if (k <= 0)
		return 0;
	if ((size_t)k > size || m.len != (size_t)k || m.nattrs > STUN_ATTRS_MAX ||
	    m.nunknown > STUN_UNKNOWN_MAX)
		abort();
	for (i = 0; i < m.nattrs; i++) {
		const struct stun_attr *a = &m.attrs[i];

		if (a->val < data + STUN_HEADER_LEN || a->val + a->len > data + k)
			abort();
		poke_accessors(&m, a);
	}
	(void)stun_check_integrity(&m, (const uint8_t *)"k", 1);
	(void)stun_check_integrity_sha1(&m, (const uint8_t *)"k", 1);
	(void)stun_check_integrity_sha256(&m, (const uint8_t *)"k", 1);
	reencode(&m);
	return 0;
}
