/* SPDX-License-Identifier: MIT */
/*
 * The STUN/TURN codec, built and decoded: round trips of every
 * attribute kind and address family; message types, unknown required
 * attributes, attributes after MESSAGE-INTEGRITY, builder limits;
 * ChannelData; drip and glued streams of STUN and ChannelData through
 * the splitter; random garbage; credentials against values computed
 * independently when the test was written.
 */
#include "proto/stun.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "stun_attr.h"

static const uint8_t tid0[STUN_TID_LEN] = "pipeworks!!";

/* Every attribute kind this codec builds, decoded back. */
START_TEST(test_roundtrip_attrs)
{
	static const char *const addrs[] = { "192.0.2.77", "2001:db8::1:2", "127.0.0.1", "::1" };
	static const uint16_t atypes[] = {
		STUN_ATTR_MAPPED_ADDRESS, STUN_ATTR_XOR_MAPPED_ADDRESS, STUN_ATTR_XOR_PEER_ADDRESS,
		STUN_ATTR_XOR_RELAYED_ADDRESS, STUN_ATTR_OTHER_ADDRESS, STUN_ATTR_RESPONSE_ORIGIN,
		STUN_ATTR_ALTERNATE_SERVER,
	};
	static const uint16_t unk[] = { 0x0031, 0x7777 };
	uint8_t buf[1024], data[300], fam, proto, key[32] = { 1, 2, 3 };
	struct stun_builder b;
	struct stun_msg m;
	struct sockaddr_storage ss;
	const struct stun_attr *a;
	const char *reason;
	uint16_t types[4], chan;
	uint32_t u;
	uint64_t u64;
	size_t ai, ti, rlen, nt;
	ssize_t k;
	int code, r;

	for (ai = 0; ai < sizeof(addrs) / sizeof(addrs[0]); ai++) {
		stun_build_begin(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_SUCCESS, tid0);
		sa_make(&ss, addrs[ai], 40000 + (int)ai);
		for (ti = 0; ti < sizeof(atypes) / sizeof(atypes[0]); ti++)
			stun_add_addr(&b, atypes[ti], (struct sockaddr *)&ss);
		stun_add_fingerprint(&b);
		k = stun_build_end(&b);
		ck_assert_int_gt(k, 0);
		ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
		ck_assert_uint_eq(m.nattrs, ti + 1);
		for (ti = 0; ti < sizeof(atypes) / sizeof(atypes[0]); ti++)
			check_addr(&m, atypes[ti], ss.ss_family, addrs[ai], 40000 + (int)ai);
		/* Only the XOR types differ from the plain encoding. */
		ck_assert(memcmp(m.attrs[0].val, m.attrs[1].val, m.attrs[0].len) != 0);
		ck_assert(memcmp(m.attrs[0].val, m.attrs[4].val, m.attrs[0].len) == 0);
	}

	for (ti = 0; ti < sizeof(data); ti++)
		data[ti] = (uint8_t)ti;
	stun_build_begin(&b, buf, sizeof(buf), TURN_SEND, STUN_INDICATION, tid0);
	stun_add_str(&b, STUN_ATTR_USERNAME, "1700000000:pipeworks");
	stun_add_str(&b, STUN_ATTR_REALM, "example.org");
	stun_add_str(&b, STUN_ATTR_NONCE, "n0nce");
	stun_add_str(&b, STUN_ATTR_SOFTWARE, "pipeworks");
	stun_add_u32(&b, STUN_ATTR_LIFETIME, 600);
	stun_add_u64(&b, STUN_ATTR_RESERVATION_TOKEN, 0x0102030405060708ull);
	stun_add(&b, STUN_ATTR_DATA, data, 301 - 1);
	stun_add(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	turn_add_transport(&b, TURN_TRANSPORT_UDP);
	turn_add_channel(&b, 0x4001);
	turn_add_family(&b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	turn_add_even_port(&b, 1);
	stun_add_u32(&b, STUN_ATTR_CHANGE_REQUEST, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	stun_add_error(&b, STUN_ERR_STALE_NONCE, "Stale Nonce");
	stun_add_unknown(&b, unk, 2);
	stun_add_integrity(&b, key, sizeof(key));
	stun_add_integrity_sha256(&b, key, sizeof(key));
	stun_add_fingerprint(&b);
	k = stun_build_end(&b);
	ck_assert_int_gt(k, 0);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	ck_assert_uint_eq(m.method, TURN_SEND);
	ck_assert_uint_eq(m.cls, STUN_INDICATION);
	ck_assert_uint_eq(m.nunknown, 0);
	check_str_attr(&m, STUN_ATTR_USERNAME, "1700000000:pipeworks");
	check_str_attr(&m, STUN_ATTR_NONCE, "n0nce");
	ck_assert_int_eq(stun_attr_u32(stun_find(&m, STUN_ATTR_LIFETIME), &u), 0);
	ck_assert_uint_eq(u, 600);
	ck_assert_int_eq(stun_attr_u64(stun_find(&m, STUN_ATTR_RESERVATION_TOKEN), &u64), 0);
	ck_assert(u64 == 0x0102030405060708ull);
	a = stun_find(&m, STUN_ATTR_DATA);
	ck_assert_uint_eq(a->len, 300);
	ck_assert(memcmp(a->val, data, 300) == 0);
	ck_assert_uint_eq(stun_find(&m, STUN_ATTR_DONT_FRAGMENT)->len, 0);
	ck_assert_int_eq(turn_attr_transport(stun_find(&m, STUN_ATTR_REQUESTED_TRANSPORT), &proto), 0);
	ck_assert_uint_eq(proto, 17);
	ck_assert_int_eq(turn_attr_channel(stun_find(&m, STUN_ATTR_CHANNEL_NUMBER), &chan), 0);
	ck_assert_uint_eq(chan, 0x4001);
	ck_assert_int_eq(turn_attr_family(stun_find(&m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY), &fam), 0);
	ck_assert_uint_eq(fam, STUN_FAMILY_IPV6);
	ck_assert_int_eq(turn_attr_even_port(stun_find(&m, STUN_ATTR_EVEN_PORT), &r), 0);
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(stun_attr_u32(stun_find(&m, STUN_ATTR_CHANGE_REQUEST), &u), 0);
	ck_assert_uint_eq(u, 6);
	ck_assert_int_eq(stun_attr_error(stun_find(&m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen), 0);
	ck_assert_int_eq(code, 438);
	ck_assert_uint_eq(rlen, 11);
	ck_assert(memcmp(reason, "Stale Nonce", 11) == 0);
	ck_assert_int_eq(stun_attr_unknown(stun_find(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES), types, 4, &nt), 0);
	ck_assert_uint_eq(nt, 2);
	ck_assert_uint_eq(types[1], 0x7777);
	ck_assert_int_ge(m.mi_idx, 0);
	ck_assert_int_ge(m.mi256_idx, 0);
	ck_assert_int_eq(stun_check_integrity_sha1(&m, key, sizeof(key)), 1);
	ck_assert_int_eq(stun_check_integrity_sha256(&m, key, sizeof(key)), 1);
	ck_assert_int_eq(stun_check_integrity(&m, key, sizeof(key)), 1);
	key[0] ^= 1;
	ck_assert_int_eq(stun_check_integrity_sha1(&m, key, sizeof(key)), 0);
	ck_assert_int_eq(stun_check_integrity(&m, key, sizeof(key)), 0);

	/* Wrong sizes are refused by the accessors. */
	ck_assert_int_eq(stun_attr_u32(stun_find(&m, STUN_ATTR_DATA), &u), -1);
	ck_assert_int_eq(stun_attr_u32(NULL, &u), -1);
	ck_assert_int_eq(stun_attr_addr(&m, stun_find(&m, STUN_ATTR_USERNAME), &ss, &(socklen_t){ 0 }), -1);
	ck_assert_int_eq(stun_attr_error(stun_find(&m, STUN_ATTR_LIFETIME), &code, &reason, &rlen), -1);
}
END_TEST

/* Attributes built raw: ICMP, ADDRESS-ERROR-CODE, ADDITIONAL-ADDRESS-FAMILY. */
START_TEST(test_raw_turn_attrs)
{
	uint8_t buf[128], type, code8, fam;
	struct stun_builder b;
	struct stun_msg m;
	const char *reason;
	size_t rlen;
	uint32_t u;
	int code;

	stun_build_begin(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid0);
	stun_add(&b, STUN_ATTR_ICMP, "\0\0\x03\x0d\x00\x00\x05\xdc", 8);
	stun_add(&b, STUN_ATTR_ADDRESS_ERROR_CODE, "\x02\x00\x04\x28No v6", 9);
	turn_add_family(&b, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	stun_add(&b, STUN_ATTR_EVEN_PORT, "\0\0", 2);
	ck_assert_int_eq(stun_decode(buf, (size_t)stun_build_end(&b), &m), stun_build_end(&b));
	ck_assert_int_eq(turn_attr_icmp(stun_find(&m, STUN_ATTR_ICMP), &type, &code8, &u), 0);
	ck_assert(type == 3 && code8 == 13 && u == 1500);
	ck_assert_int_eq(turn_attr_address_error(stun_find(&m, STUN_ATTR_ADDRESS_ERROR_CODE), &fam,
	    &code, &reason, &rlen), 0);
	ck_assert(fam == STUN_FAMILY_IPV6 && code == 440 && rlen == 5);
	ck_assert_int_eq(turn_attr_family(stun_find(&m, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY), &fam), 0);
	ck_assert_uint_eq(fam, STUN_FAMILY_IPV6);
	ck_assert_int_eq(turn_attr_even_port(stun_find(&m, STUN_ATTR_EVEN_PORT), &code), -1);
	ck_assert_int_eq(turn_attr_icmp(stun_find(&m, STUN_ATTR_EVEN_PORT), &type, &code8, &u), -1);
}
END_TEST

START_TEST(test_types_and_names)
{
	uint16_t meth;
	uint8_t cls;

	ck_assert_uint_eq(stun_type(TURN_ALLOCATE, STUN_REQUEST), 0x0003);
	ck_assert_uint_eq(stun_type(TURN_ALLOCATE, STUN_SUCCESS), 0x0103);
	ck_assert_uint_eq(stun_type(TURN_ALLOCATE, STUN_ERROR_RESP), 0x0113);
	ck_assert_uint_eq(stun_type(TURN_SEND, STUN_INDICATION), 0x0016);
	ck_assert_uint_eq(stun_type(TURN_DATA, STUN_INDICATION), 0x0017);
	ck_assert_uint_eq(stun_type(TURN_CHANNEL_BIND, STUN_SUCCESS), 0x0109);
	ck_assert_uint_eq(stun_type(0xFFF, STUN_ERROR_RESP), 0x3FFF);
	for (meth = 0; meth <= 0xFFF; meth++)
		for (cls = 0; cls < 4; cls++) {
			uint16_t m2;
			uint8_t c2;

			stun_type_split(stun_type(meth, cls), &m2, &c2);
			ck_assert_uint_eq(m2, meth);
			ck_assert_uint_eq(c2, cls);
		}
	ck_assert_str_eq(stun_method_name(TURN_CREATE_PERMISSION), "CreatePermission");
	ck_assert_str_eq(stun_attr_name(STUN_ATTR_XOR_RELAYED_ADDRESS), "XOR-RELAYED-ADDRESS");
	ck_assert_str_eq(stun_class_name(STUN_ERROR_RESP), "error");
	ck_assert_ptr_null(stun_attr_name(0x7777));
	ck_assert_ptr_null(stun_method_name(0x0FF));
	ck_assert_uint_eq(stun_crc32("123456789", 9), 0xCBF43926u);
}
END_TEST

START_TEST(test_unknown_required)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	ssize_t k;
	int i;

	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add(&b, 0x0031, "x", 1);
	stun_add(&b, 0x8031, "y", 1);          /* optional: not reported */
	stun_add(&b, 0x0031, "z", 1);          /* repeated: reported once */
	for (i = 0; i < STUN_UNKNOWN_MAX + 3; i++)
		stun_add(&b, (uint16_t)(0x0040 + i), NULL, 0);
	k = stun_build_end(&b);
	ck_assert_int_gt(k, 0);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	ck_assert_uint_eq(m.nunknown, STUN_UNKNOWN_MAX);
	ck_assert_uint_eq(m.unknown[0], 0x0031);
	ck_assert_uint_eq(m.unknown[1], 0x0040);
	ck_assert_ptr_nonnull(stun_find(&m, 0x8031));
	ck_assert_ptr_eq(stun_find_next(&m, stun_find(&m, 0x0031)), &m.attrs[2]);
	ck_assert_ptr_null(stun_find_next(&m, &m.attrs[2]));
}
END_TEST

/* Attributes after MESSAGE-INTEGRITY (bar MI-SHA256 and FINGERPRINT) are ignored. */
START_TEST(test_after_integrity)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	ssize_t k;

	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add_str(&b, STUN_ATTR_USERNAME, "u");
	stun_add_integrity(&b, (const uint8_t *)"k", 1);
	stun_add(&b, 0x0031, "x", 1);
	stun_add_str(&b, STUN_ATTR_SOFTWARE, "late");
	stun_add_integrity_sha256(&b, (const uint8_t *)"k", 1);
	stun_add_str(&b, STUN_ATTR_REALM, "later");
	stun_add_fingerprint(&b);
	k = stun_build_end(&b);
	ck_assert_int_gt(k, 0);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	ck_assert_uint_eq(m.nattrs, 4);
	ck_assert_uint_eq(m.nunknown, 0);
	ck_assert_ptr_null(stun_find(&m, STUN_ATTR_SOFTWARE));
	ck_assert_ptr_null(stun_find(&m, STUN_ATTR_REALM));
	ck_assert_int_eq(m.mi_idx, 1);
	ck_assert_int_eq(m.mi256_idx, 2);
	ck_assert_int_eq(m.fp_idx, 3);
	ck_assert_int_eq(stun_check_integrity_sha1(&m, (const uint8_t *)"k", 1), 1);
	ck_assert_int_eq(stun_check_integrity_sha256(&m, (const uint8_t *)"k", 1), 1);
	/* Tampering with an ignored attribute breaks the FINGERPRINT, not the MI. */
	buf[STUN_HEADER_LEN + 8 + 24 + 4] ^= 1;
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), -1);
}
END_TEST

START_TEST(test_builder_limits)
{
	static const uint8_t zero[STUN_BODY_MAX];
	uint8_t buf[STUN_MSG_MAX + 8], small[24];
	struct stun_builder b;
	struct sockaddr sa = { .sa_family = AF_UNIX };
	struct stun_msg m;
	int i;
	ssize_t k;

	stun_build_begin(&b, small, sizeof(small), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add(&b, STUN_ATTR_DATA, NULL, 0);
	ck_assert_int_eq(stun_build_end(&b), 24);
	stun_add(&b, STUN_ATTR_DATA, NULL, 0);
	ck_assert_int_eq(stun_build_end(&b), -1);
	stun_build_begin(&b, small, 10, STUN_BINDING, STUN_REQUEST, tid0);
	ck_assert_int_eq(stun_build_end(&b), -1);
	stun_build_begin(&b, buf, sizeof(buf), 0x1000, STUN_REQUEST, tid0);
	ck_assert_int_eq(stun_build_end(&b), -1);

	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add_fingerprint(&b);
	stun_add_str(&b, STUN_ATTR_SOFTWARE, "after");
	ck_assert_int_eq(stun_build_end(&b), -1);

	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &sa);
	ck_assert_int_eq(stun_build_end(&b), -1);
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add_error(&b, 700, "no");
	ck_assert_int_eq(stun_build_end(&b), -1);
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	turn_add_channel(&b, 0x5000);
	ck_assert_int_eq(stun_build_end(&b), -1);
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	turn_add_channel(&b, 0x3FFF);
	ck_assert_int_eq(stun_build_end(&b), -1);

	/* The largest message fits STUN_MSG_MAX exactly; one more byte does not. */
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add(&b, STUN_ATTR_PADDING, zero, STUN_BODY_MAX - 4);
	k = stun_build_end(&b);
	ck_assert_int_eq(k, STUN_MSG_MAX);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	stun_add(&b, STUN_ATTR_PADDING, NULL, 0);
	ck_assert_int_eq(stun_build_end(&b), -1);

	/* STUN_ATTRS_MAX attributes decode; one more is refused. */
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	for (i = 0; i < STUN_ATTRS_MAX; i++)
		stun_add(&b, STUN_ATTR_PADDING, NULL, 0);
	k = stun_build_end(&b);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	stun_add(&b, STUN_ATTR_PADDING, NULL, 0);
	k = stun_build_end(&b);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), -1);
	/* ... unless the extra ones follow MESSAGE-INTEGRITY and are ignored. */
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	stun_add_integrity(&b, (const uint8_t *)"k", 1);
	for (i = 0; i < 2 * STUN_ATTRS_MAX; i++)
		stun_add(&b, STUN_ATTR_PADDING, NULL, 0);
	k = stun_build_end(&b);
	ck_assert_int_eq(stun_decode(buf, (size_t)k, &m), k);
	ck_assert_uint_eq(m.nattrs, 1);
}
END_TEST

START_TEST(test_channeldata)
{
	uint8_t buf[TURN_CHANNELDATA_MAX], pay[TURN_CHANNELDATA_PAYLOAD_MAX + 1];
	const uint8_t *d;
	uint16_t c;
	size_t len, i;
	ssize_t k;

	memset(pay, 0xab, sizeof(pay));
	for (i = 0; i < 9; i++) {
		k = turn_channeldata_encode(buf, sizeof(buf), 0x4001, pay, i, 1);
		ck_assert_int_eq(k, (ssize_t)(4 + ((i + 3) & ~(size_t)3)));
		ck_assert_int_eq(turn_channeldata_decode(buf, (size_t)k, 1, &c, &d, &len), k);
		ck_assert_uint_eq(len, i);
		ck_assert_uint_eq(c, 0x4001);
		k = turn_channeldata_encode(buf, sizeof(buf), 0x4fff, pay, i, 0);
		ck_assert_int_eq(k, (ssize_t)(4 + i));
		ck_assert_int_eq(turn_channeldata_decode(buf, (size_t)k, 0, &c, &d, &len), k);
		ck_assert_uint_eq(len, i);
		ck_assert_uint_eq(c, 0x4fff);
	}
	k = turn_channeldata_encode(buf, sizeof(buf), 0x4000, pay, TURN_CHANNELDATA_PAYLOAD_MAX, 1);
	ck_assert_int_eq(k, TURN_CHANNELDATA_MAX);
	ck_assert_int_eq(turn_channeldata_decode(buf, (size_t)k, 1, &c, &d, &len), k);
	ck_assert_uint_eq(len, TURN_CHANNELDATA_PAYLOAD_MAX);
	ck_assert_int_eq(turn_channeldata_encode(buf, sizeof(buf), 0x4000, pay,
	    TURN_CHANNELDATA_PAYLOAD_MAX + 1, 1), -1);
	ck_assert_int_eq(turn_channeldata_encode(buf, sizeof(buf), 0x3FFF, pay, 1, 1), -1);
	ck_assert_int_eq(turn_channeldata_encode(buf, sizeof(buf), 0x5000, pay, 1, 1), -1);
	ck_assert_int_eq(turn_channeldata_encode(buf, 7, 0x4000, pay, 4, 0), -1);
	ck_assert_int_eq(turn_channeldata_encode(buf, 7, 0x4000, pay, 3, 1), -1);
	ck_assert_int_eq(turn_channeldata_encode(buf, 7, 0x4000, pay, 3, 0), 7);
	/* Every channel number: in range both ways, out of range neither. */
	for (i = 0x4000; i <= 0x7FFF; i++) {
		int ok = i <= TURN_CHANNEL_MAX;

		buf[0] = (uint8_t)(i >> 8);
		buf[1] = (uint8_t)i;
		buf[2] = buf[3] = 0;
		ck_assert_int_eq(turn_channeldata_decode(buf, 4, 1, &c, &d, &len), ok ? 4 : -1);
		ck_assert_int_eq(turn_channeldata_encode(buf, 4, (uint16_t)i, NULL, 0, 1), ok ? 4 : -1);
	}
}
END_TEST

/*
 * A stream of STUN messages and ChannelData frames glued together, read
 * back through the splitter all at once and one byte at a time.
 */
static size_t
make_stream(uint8_t *out, size_t cap, size_t *nframes)
{
	struct stun_builder b;
	struct sockaddr_storage ss;
	size_t off = 0, i;
	ssize_t k;

	*nframes = 0;
	for (i = 0; i < 6; i++) {
		if (i % 2 == 0) {
			stun_build_begin(&b, out + off, cap - off, STUN_BINDING, STUN_SUCCESS, tid0);
			sa_make(&ss, i % 4 ? "2001:db8::7" : "198.51.100.4", 3478 + (int)i);
			stun_add_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&ss);
			stun_add(&b, STUN_ATTR_SOFTWARE, "abcdef", i);
			stun_add_fingerprint(&b);
			k = stun_build_end(&b);
		} else
			k = turn_channeldata_encode(out + off, cap - off, (uint16_t)(0x4000 + i),
			    "payload!", i, 1);
		ck_assert_int_gt(k, 0);
		off += (size_t)k;
		(*nframes)++;
	}
	return off;
}

static size_t
read_frames(const uint8_t *p, size_t n)
{
	struct stun_msg m;
	const uint8_t *d;
	uint16_t c;
	size_t len, frames = 0;
	ssize_t k;
	int kind;

	while ((k = stun_frame_len(p, n, 1, &kind)) > 0 && (size_t)k <= n) {
		if (kind == STUN_FRAME_STUN) {
			ck_assert_int_eq(stun_decode(p, (size_t)k, &m), k);
			ck_assert_int_ge(m.fp_idx, 0);
		} else
			ck_assert_int_eq(turn_channeldata_decode(p, (size_t)k, 1, &c, &d, &len), k);
		p += k;
		n -= (size_t)k;
		frames++;
	}
	ck_assert_int_ge(k, 0);
	return frames;
}

START_TEST(test_glued_and_drip)
{
	uint8_t s[2048], acc[2048];
	size_t n, nframes, have = 0, got = 0, i;

	n = make_stream(s, sizeof(s), &nframes);
	ck_assert_uint_eq(read_frames(s, n), nframes);
	/* Drip: feed one byte at a time, consume whole frames as they complete. */
	for (i = 0; i < n; i++) {
		ssize_t k;
		int kind;

		acc[have++] = s[i];
		k = stun_frame_len(acc, have, 1, &kind);
		ck_assert_int_ge(k, 0);
		if (k > 0 && (size_t)k == have) {
			ck_assert_uint_eq(read_frames(acc, have), 1);
			got++;
			have = 0;
		} else
			ck_assert_uint_eq(read_frames(acc, have), 0);
	}
	ck_assert_uint_eq(have, 0);
	ck_assert_uint_eq(got, nframes);
}
END_TEST

/* Walk a possibly damaged stream, decoding what the splitter delimits. */
static void
walk_frames(const uint8_t *p, size_t n)
{
	struct stun_msg m;
	const uint8_t *d;
	uint16_t c;
	size_t len;
	ssize_t k, r;
	int kind;

	while ((k = stun_frame_len(p, n, 1, &kind)) > 0 && (size_t)k <= n) {
		if (kind == STUN_FRAME_STUN)
			r = stun_decode(p, (size_t)k, &m);
		else
			r = turn_channeldata_decode(p, (size_t)k, 1, &c, &d, &len);
		ck_assert(r == k || r == -1);
		p += k;
		n -= (size_t)k;
	}
}

/* Random bytes and random mutations of a valid message never crash or overread. */
START_TEST(test_garbage)
{
	uint8_t s[2048], mut[2048];
	struct stun_msg m;
	size_t n, nframes, i, j;
	unsigned seed = 7;

	n = make_stream(s, sizeof(s), &nframes);
	for (i = 0; i < 20000; i++) {
		size_t len = (size_t)rand_r(&seed) % 200;
		ssize_t k;
		int kind;

		for (j = 0; j < len; j++)
			mut[j] = (uint8_t)rand_r(&seed);
		if (len >= 8 && i % 2) {
			mut[0] &= 0x3F;
			memcpy(mut + 4, "\x21\x12\xa4\x42", 4);
		}
		k = stun_decode(mut, len, &m);
		ck_assert(k >= -1 && k <= (ssize_t)len);
		if (k > 0) {
			(void)stun_check_integrity(&m, (const uint8_t *)"k", 1);
			ck_assert(m.nattrs <= STUN_ATTRS_MAX);
		}
		k = stun_frame_len(mut, len, 1, &kind);
		ck_assert(k >= -1);
		memcpy(mut, s, n);
		mut[(size_t)rand_r(&seed) % n] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		walk_frames(mut, n);
	}
}
END_TEST

START_TEST(test_credentials)
{
	char user[64], pass[TURN_REST_PASS_LEN];
	uint8_t key[STUN_LONGTERM_KEY_LEN];
	static const uint8_t want_key[16] = {
		0x7b, 0x38, 0x36, 0xa2, 0x16, 0x15, 0xf9, 0xde,
		0x19, 0xee, 0xa2, 0x7a, 0x9b, 0x00, 0xae, 0x12,
	};
	char big[STUN_PASSWORD_MAX + 2];

	/* Expected values from python3 hmac/hashlib/base64 when the test was written. */
	ck_assert_int_eq(turn_rest_credentials("north-sea-secret", 16, 1700000000, "pipeworks", user,
	    sizeof(user), pass, sizeof(pass)), 0);
	ck_assert_str_eq(user, "1700000000:pipeworks");
	ck_assert_str_eq(pass, "iVHESVVyxp2Xb/qwJYsBj2RRRis=");
	ck_assert_int_eq(turn_rest_credentials("north-sea-secret", 16, 1700000000, NULL, user,
	    sizeof(user), pass, sizeof(pass)), 0);
	ck_assert_str_eq(user, "1700000000");
	ck_assert_str_eq(pass, "uY6YqZ1Fk/wHfRAktK92TOmJ9Hs=");
	ck_assert_int_eq(turn_rest_credentials("s", 1, 1700000000, "pipeworks", user, 12, pass,
	    sizeof(pass)), -1);
	ck_assert_int_eq(turn_rest_credentials("s", 1, 1, "x", user, sizeof(user), pass, 28), -1);

	ck_assert_int_eq(stun_longterm_key("alice", "example.org", "hunter2", key), 0);
	ck_assert(memcmp(key, want_key, 16) == 0);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(stun_longterm_key("alice", "example.org", big, key), -1);

	{
		uint8_t tid[STUN_TID_LEN], tid2[STUN_TID_LEN];

		ck_assert_int_eq(stun_new_tid(tid), 0);
		ck_assert_int_eq(stun_new_tid(tid2), 0);
		ck_assert(memcmp(tid, tid2, STUN_TID_LEN) != 0);
	}
}
END_TEST

static Suite *
stun_codec_suite(void)
{
	Suite *s = suite_create("stun-codec");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_roundtrip_attrs);
	tcase_add_test(tc, test_raw_turn_attrs);
	tcase_add_test(tc, test_types_and_names);
	tcase_add_test(tc, test_unknown_required);
	tcase_add_test(tc, test_after_integrity);
	tcase_add_test(tc, test_builder_limits);
	tcase_add_test(tc, test_channeldata);
	tcase_add_test(tc, test_glued_and_drip);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_credentials);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(stun_codec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
