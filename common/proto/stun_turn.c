/* SPDX-License-Identifier: MIT */
/*
 * The TURN half of the STUN codec (RFC 8656) and the small pieces both
 * halves use: ChannelData framing, the stream splitter that tells STUN
 * from ChannelData, the TURN attribute helpers, long-term and TURN REST
 * credentials, CRC-32 and names for logs. See stun.h.
 *
 * ChannelData numbers are checked against 0x4000..0x4FFF both ways; the
 * rest of 0x4000..0x7FFF is reserved by RFC 8656 and a frame there is
 * treated as garbage, not as a channel we have not bound.
 */
#include "proto/stun.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tls/crypto.h"

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

ssize_t
turn_channeldata_decode(const uint8_t *p, size_t n, int stream, uint16_t *chan,
    const uint8_t **data, size_t *len)
{
	size_t dlen, total;
	uint16_t c;

	if (n >= 1 && (p[0] & 0xC0) != 0x40)
		return -1;
	if (n < TURN_CHANNELDATA_HEADER_LEN)
		return 0;
	c = rd16(p);
	if (c < TURN_CHANNEL_MIN || c > TURN_CHANNEL_MAX)
		return -1;
	dlen = rd16(p + 2);
	total = TURN_CHANNELDATA_HEADER_LEN + (stream ? pad4(dlen) : dlen);
	if (n < total)
		return 0;
	*chan = c;
	*data = p + TURN_CHANNELDATA_HEADER_LEN;
	*len = dlen;
	return (ssize_t)total;
}

ssize_t
turn_channeldata_encode(uint8_t *buf, size_t cap, uint16_t chan, const void *data, size_t len,
    int stream)
{
	size_t total = TURN_CHANNELDATA_HEADER_LEN + (stream ? pad4(len) : len);

	if (chan < TURN_CHANNEL_MIN || chan > TURN_CHANNEL_MAX || len > TURN_CHANNELDATA_PAYLOAD_MAX ||
	    total > cap)
		return -1;
	buf[0] = (uint8_t)(chan >> 8);
	buf[1] = (uint8_t)chan;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	if (len > 0)
		memmove(buf + TURN_CHANNELDATA_HEADER_LEN, data, len);
	memset(buf + TURN_CHANNELDATA_HEADER_LEN + len, 0, total - TURN_CHANNELDATA_HEADER_LEN - len);
	return (ssize_t)total;
}

ssize_t
stun_frame_len(const uint8_t *p, size_t n, int stream, int *kind)
{
	size_t blen;
	uint16_t c;

	if (n < 1)
		return 0;
	switch (p[0] & 0xC0) {
	case 0x00:
		/* Type, length and cookie: 8 bytes decide. */
		if (n < 8)
			return 0;
		blen = rd16(p + 2);
		if (p[4] != 0x21 || p[5] != 0x12 || p[6] != 0xA4 || p[7] != 0x42 || blen % 4 != 0)
			return -1;
		*kind = STUN_FRAME_STUN;
		return (ssize_t)(STUN_HEADER_LEN + blen);
	case 0x40:
		if (n < 2)
			return 0;
		c = rd16(p);
		if (c > TURN_CHANNEL_MAX)
			return -1;
		if (n < TURN_CHANNELDATA_HEADER_LEN)
			return 0;
		blen = rd16(p + 2);
		*kind = STUN_FRAME_CHANNELDATA;
		return (ssize_t)(TURN_CHANNELDATA_HEADER_LEN + (stream ? pad4(blen) : blen));
	}
	return -1;
}

int
turn_attr_channel(const struct stun_attr *a, uint16_t *chan)
{
	uint16_t c;

	if (a == NULL || a->len != 4)
		return -1;
	c = rd16(a->val);
	if (c < TURN_CHANNEL_MIN || c > TURN_CHANNEL_MAX)
		return -1;
	*chan = c;
	return 0;
}

int
turn_attr_transport(const struct stun_attr *a, uint8_t *proto)
{
	if (a == NULL || a->len != 4)
		return -1;
	*proto = a->val[0];
	return 0;
}

int
turn_attr_family(const struct stun_attr *a, uint8_t *family)
{
	if (a == NULL || a->len != 4 ||
	    (a->val[0] != STUN_FAMILY_IPV4 && a->val[0] != STUN_FAMILY_IPV6))
		return -1;
	*family = a->val[0];
	return 0;
}

int
turn_attr_even_port(const struct stun_attr *a, int *reserve)
{
	if (a == NULL || a->len != 1)
		return -1;
	*reserve = (a->val[0] & 0x80) != 0;
	return 0;
}

int
turn_attr_address_error(const struct stun_attr *a, uint8_t *family, int *code,
    const char **reason, size_t *rlen)
{
	/* ERROR-CODE's layout with the family in the first byte. */
	if (stun_attr_error(a, code, reason, rlen) < 0)
		return -1;
	*family = a->val[0];
	return 0;
}

int
turn_attr_icmp(const struct stun_attr *a, uint8_t *type, uint8_t *code, uint32_t *data)
{
	if (a == NULL || a->len != 8)
		return -1;
	*type = a->val[2];
	*code = a->val[3];
	*data = (uint32_t)a->val[4] << 24 | (uint32_t)a->val[5] << 16 | (uint32_t)a->val[6] << 8 |
	    a->val[7];
	return 0;
}

void
turn_add_channel(struct stun_builder *b, uint16_t chan)
{
	if (chan < TURN_CHANNEL_MIN || chan > TURN_CHANNEL_MAX) {
		b->err = 1;
		return;
	}
	stun_add_u32(b, STUN_ATTR_CHANNEL_NUMBER, (uint32_t)chan << 16);
}

void
turn_add_transport(struct stun_builder *b, uint8_t proto)
{
	stun_add_u32(b, STUN_ATTR_REQUESTED_TRANSPORT, (uint32_t)proto << 24);
}

void
turn_add_family(struct stun_builder *b, uint16_t type, uint8_t family)
{
	if (family != STUN_FAMILY_IPV4 && family != STUN_FAMILY_IPV6) {
		b->err = 1;
		return;
	}
	stun_add_u32(b, type, (uint32_t)family << 24);
}

void
turn_add_even_port(struct stun_builder *b, int reserve)
{
	uint8_t v = reserve ? 0x80 : 0;

	stun_add(b, STUN_ATTR_EVEN_PORT, &v, 1);
}

int
stun_longterm_key(const char *user, const char *realm, const char *pass,
    uint8_t key[STUN_LONGTERM_KEY_LEN])
{
	char buf[STUN_USERNAME_MAX + STUN_REALM_MAX + STUN_PASSWORD_MAX + 3];
	size_t ul = strlen(user), rl = strlen(realm), pl = strlen(pass);
	int k;

	if (ul > STUN_USERNAME_MAX || rl > STUN_REALM_MAX || pl > STUN_PASSWORD_MAX)
		return -1;
	k = snprintf(buf, sizeof(buf), "%s:%s:%s", user, realm, pass);
	if (k < 0 || (size_t)k >= sizeof(buf))
		return -1;
	k = crypto_md5(buf, (size_t)k, key);
	/* The buffer holds the password. */
	memset(buf, 0, sizeof(buf));
	return k;
}

int
turn_rest_credentials(const void *secret, size_t slen, uint64_t expiry, const char *id, char *user,
    size_t ucap, char *pass, size_t pcap)
{
	uint8_t mac[CRYPTO_SHA1_LEN];
	struct iovec iov;
	int k;

	if (id != NULL && *id != '\0')
		k = snprintf(user, ucap, "%" PRIu64 ":%s", expiry, id);
	else
		k = snprintf(user, ucap, "%" PRIu64, expiry);
	if (k < 0 || (size_t)k >= ucap || (size_t)k > STUN_USERNAME_MAX)
		return -1;
	iov.iov_base = user;
	iov.iov_len = (size_t)k;
	if (crypto_hmac_sha1(secret, slen, &iov, 1, mac) < 0)
		return -1;
	return crypto_base64(mac, sizeof(mac), pass, pcap) < 0 ? -1 : 0;
}

/* Reflected CRC-32 with polynomial 0xEDB88320, one byte at a time from a table. */
static const uint32_t crc_table[256] = {
#define C1(c) ((c) & 1 ? 0xEDB88320u ^ ((c) >> 1) : (c) >> 1)
#define C8(c) C1(C1(C1(C1(C1(C1(C1(C1((uint32_t)(c)))))))))
#define R4(i) C8(i), C8((i) + 1), C8((i) + 2), C8((i) + 3)
#define R16(i) R4(i), R4((i) + 4), R4((i) + 8), R4((i) + 12)
#define R64(i) R16(i), R16((i) + 16), R16((i) + 32), R16((i) + 48)
	R64(0), R64(64), R64(128), R64(192)
#undef R64
#undef R16
#undef R4
#undef C8
#undef C1
};

uint32_t
stun_crc32(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint32_t c = 0xFFFFFFFFu;

	while (n-- > 0)
		c = crc_table[(c ^ *s++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

const char *
stun_class_name(uint8_t cls)
{
	static const char *const names[] = { "request", "indication", "success", "error" };

	return cls < 4 ? names[cls] : NULL;
}

const char *
stun_method_name(uint16_t method)
{
	switch (method) {
	case STUN_BINDING: return "Binding";
	case TURN_ALLOCATE: return "Allocate";
	case TURN_REFRESH: return "Refresh";
	case TURN_SEND: return "Send";
	case TURN_DATA: return "Data";
	case TURN_CREATE_PERMISSION: return "CreatePermission";
	case TURN_CHANNEL_BIND: return "ChannelBind";
	case TURN_CONNECT: return "Connect";
	case TURN_CONNECTION_BIND: return "ConnectionBind";
	case TURN_CONNECTION_ATTEMPT: return "ConnectionAttempt";
	}
	return NULL;
}

static const struct {
	uint16_t type;
	const char *name;
} attr_names[] = {
	{ STUN_ATTR_MAPPED_ADDRESS, "MAPPED-ADDRESS" },
	{ STUN_ATTR_RESPONSE_ADDRESS, "RESPONSE-ADDRESS" },
	{ STUN_ATTR_CHANGE_REQUEST, "CHANGE-REQUEST" },
	{ STUN_ATTR_SOURCE_ADDRESS, "SOURCE-ADDRESS" },
	{ STUN_ATTR_CHANGED_ADDRESS, "CHANGED-ADDRESS" },
	{ STUN_ATTR_USERNAME, "USERNAME" },
	{ STUN_ATTR_MESSAGE_INTEGRITY, "MESSAGE-INTEGRITY" },
	{ STUN_ATTR_ERROR_CODE, "ERROR-CODE" },
	{ STUN_ATTR_UNKNOWN_ATTRIBUTES, "UNKNOWN-ATTRIBUTES" },
	{ STUN_ATTR_REFLECTED_FROM, "REFLECTED-FROM" },
	{ STUN_ATTR_CHANNEL_NUMBER, "CHANNEL-NUMBER" },
	{ STUN_ATTR_LIFETIME, "LIFETIME" },
	{ STUN_ATTR_XOR_PEER_ADDRESS, "XOR-PEER-ADDRESS" },
	{ STUN_ATTR_DATA, "DATA" },
	{ STUN_ATTR_REALM, "REALM" },
	{ STUN_ATTR_NONCE, "NONCE" },
	{ STUN_ATTR_XOR_RELAYED_ADDRESS, "XOR-RELAYED-ADDRESS" },
	{ STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "REQUESTED-ADDRESS-FAMILY" },
	{ STUN_ATTR_EVEN_PORT, "EVEN-PORT" },
	{ STUN_ATTR_REQUESTED_TRANSPORT, "REQUESTED-TRANSPORT" },
	{ STUN_ATTR_DONT_FRAGMENT, "DONT-FRAGMENT" },
	{ STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "MESSAGE-INTEGRITY-SHA256" },
	{ STUN_ATTR_PASSWORD_ALGORITHM, "PASSWORD-ALGORITHM" },
	{ STUN_ATTR_USERHASH, "USERHASH" },
	{ STUN_ATTR_XOR_MAPPED_ADDRESS, "XOR-MAPPED-ADDRESS" },
	{ STUN_ATTR_RESERVATION_TOKEN, "RESERVATION-TOKEN" },
	{ STUN_ATTR_PRIORITY, "PRIORITY" },
	{ STUN_ATTR_USE_CANDIDATE, "USE-CANDIDATE" },
	{ STUN_ATTR_PADDING, "PADDING" },
	{ STUN_ATTR_RESPONSE_PORT, "RESPONSE-PORT" },
	{ STUN_ATTR_CONNECTION_ID, "CONNECTION-ID" },
	{ STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "ADDITIONAL-ADDRESS-FAMILY" },
	{ STUN_ATTR_ADDRESS_ERROR_CODE, "ADDRESS-ERROR-CODE" },
	{ STUN_ATTR_PASSWORD_ALGORITHMS, "PASSWORD-ALGORITHMS" },
	{ STUN_ATTR_ALTERNATE_DOMAIN, "ALTERNATE-DOMAIN" },
	{ STUN_ATTR_ICMP, "ICMP" },
	{ STUN_ATTR_SOFTWARE, "SOFTWARE" },
	{ STUN_ATTR_ALTERNATE_SERVER, "ALTERNATE-SERVER" },
	{ STUN_ATTR_FINGERPRINT, "FINGERPRINT" },
	{ STUN_ATTR_ICE_CONTROLLED, "ICE-CONTROLLED" },
	{ STUN_ATTR_ICE_CONTROLLING, "ICE-CONTROLLING" },
	{ STUN_ATTR_RESPONSE_ORIGIN, "RESPONSE-ORIGIN" },
	{ STUN_ATTR_OTHER_ADDRESS, "OTHER-ADDRESS" },
};

const char *
stun_attr_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (attr_names[i].type == type)
			return attr_names[i].name;
	return NULL;
}
