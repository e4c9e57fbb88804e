/* SPDX-License-Identifier: MIT */
/*
 * STUN and TURN messages (RFC 8489, RFC 8656, RFC 5780): a pure codec
 * with no I/O, no allocation and no state beyond const tables. The
 * transaction layer, retransmission and the TURN client state machine
 * sit on top of it.
 *
 * Decoding leaves the message where it is: struct stun_msg is a view
 * whose attribute values point into the caller's buffer, which must
 * outlive it. The decoder enforces the framing rules that need the
 * whole message (magic cookie, length a multiple of 4, every attribute
 * inside the message, FINGERPRINT last and correct, at most
 * STUN_ATTRS_MAX attributes) and leaves attribute contents to the
 * accessors, which check them on use. Attributes after
 * MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
 * (and after MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT) are
 * skipped, as RFC 8489 §14.5 says; they are neither stored nor reported
 * as unknown.
 *
 * Encoding goes through struct stun_builder over a caller buffer: each
 * stun_add_* appends one attribute and keeps the header length right,
 * so MESSAGE-INTEGRITY and FINGERPRINT can be computed in place. An
 * overflow or a bad argument sets b->err and stun_build_end returns -1;
 * callers check once at the end.
 *
 * ChannelData (RFC 8656 §12) shares the transport with STUN: the first
 * two bits tell them apart (00 STUN, 01 ChannelData). Over TCP/TLS a
 * ChannelData frame is padded to 4 bytes; over UDP it need not be.
 */
#ifndef PW_STUN_H
#define PW_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_FINGERPRINT_XOR 0x5354554Eu
#define STUN_TID_LEN 12
#define STUN_ATTR_HEADER_LEN 4
#define STUN_BODY_MAX 65532         /* largest length field that is a multiple of 4 */
#define STUN_MSG_MAX (STUN_HEADER_LEN + STUN_BODY_MAX) /* 65552: any message fits */
#define STUN_ATTRS_MAX 40           /* attributes kept per decoded message; more is an error */
#define STUN_UNKNOWN_MAX 8          /* unknown comprehension-required types reported */
#define STUN_REASON_MAX 763         /* ERROR-CODE reason phrase, bytes (RFC 8489 §14.8) */
#define STUN_USERNAME_MAX 512       /* USERNAME value, bytes (< 513, RFC 8489 §14.3) */
#define STUN_REALM_MAX 763          /* REALM value, bytes */
#define STUN_NONCE_MAX 763          /* NONCE value, bytes */
#define STUN_PASSWORD_MAX 512       /* long-term password accepted by stun_longterm_key */
#define STUN_MI_LEN 20              /* MESSAGE-INTEGRITY (HMAC-SHA1) */
#define STUN_MI256_LEN 32           /* MESSAGE-INTEGRITY-SHA256 as we send it */
#define STUN_MI256_MIN 16           /* shortest truncation accepted (RFC 8489 §14.6) */
#define STUN_FP_LEN 4
#define STUN_LONGTERM_KEY_LEN 16    /* MD5 */

/* Message classes (the C1 C0 bits). */
enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR_RESP = 3,
};

/* Methods (12 bits). */
enum stun_method {
	STUN_BINDING = 0x001,
	TURN_ALLOCATE = 0x003,
	TURN_REFRESH = 0x004,
	TURN_SEND = 0x006,                /* indication only */
	TURN_DATA = 0x007,                /* indication only */
	TURN_CREATE_PERMISSION = 0x008,
	TURN_CHANNEL_BIND = 0x009,
	TURN_CONNECT = 0x00A,             /* RFC 6062, names only */
	TURN_CONNECTION_BIND = 0x00B,
	TURN_CONNECTION_ATTEMPT = 0x00C,
};

/* Attribute types. Below 0x8000 comprehension-required, above optional. */
#define STUN_ATTR_MAPPED_ADDRESS 0x0001
#define STUN_ATTR_RESPONSE_ADDRESS 0x0002      /* RFC 3489, known so not "unknown" */
#define STUN_ATTR_CHANGE_REQUEST 0x0003        /* RFC 5780 */
#define STUN_ATTR_SOURCE_ADDRESS 0x0004        /* RFC 3489 */
#define STUN_ATTR_CHANGED_ADDRESS 0x0005       /* RFC 3489 */
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define STUN_ATTR_ERROR_CODE 0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_REFLECTED_FROM 0x000B        /* RFC 3489 */
#define STUN_ATTR_CHANNEL_NUMBER 0x000C        /* RFC 8656 from here ... */
#define STUN_ATTR_LIFETIME 0x000D
#define STUN_ATTR_XOR_PEER_ADDRESS 0x0012
#define STUN_ATTR_DATA 0x0013
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define STUN_ATTR_REQUESTED_ADDRESS_FAMILY 0x0017
#define STUN_ATTR_EVEN_PORT 0x0018
#define STUN_ATTR_REQUESTED_TRANSPORT 0x0019
#define STUN_ATTR_DONT_FRAGMENT 0x001A
#define STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTR_PASSWORD_ALGORITHM 0x001D
#define STUN_ATTR_USERHASH 0x001E
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_RESERVATION_TOKEN 0x0022
#define STUN_ATTR_PRIORITY 0x0024              /* ICE (RFC 8445) */
#define STUN_ATTR_USE_CANDIDATE 0x0025
#define STUN_ATTR_PADDING 0x0026               /* RFC 5780 */
#define STUN_ATTR_RESPONSE_PORT 0x0027         /* RFC 5780 */
#define STUN_ATTR_CONNECTION_ID 0x002A         /* RFC 6062 */
#define STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY 0x8000
#define STUN_ATTR_ADDRESS_ERROR_CODE 0x8001
#define STUN_ATTR_PASSWORD_ALGORITHMS 0x8002
#define STUN_ATTR_ALTERNATE_DOMAIN 0x8003
#define STUN_ATTR_ICMP 0x8004
#define STUN_ATTR_SOFTWARE 0x8022
#define STUN_ATTR_ALTERNATE_SERVER 0x8023
#define STUN_ATTR_FINGERPRINT 0x8028
#define STUN_ATTR_ICE_CONTROLLED 0x8029
#define STUN_ATTR_ICE_CONTROLLING 0x802A
#define STUN_ATTR_RESPONSE_ORIGIN 0x802B       /* RFC 5780 */
#define STUN_ATTR_OTHER_ADDRESS 0x802C         /* RFC 5780 */

#define STUN_ATTR_COMPREHENSION_REQUIRED(t) ((uint16_t)(t) < 0x8000)

/* Address families inside address attributes. */
#define STUN_FAMILY_IPV4 0x01
#define STUN_FAMILY_IPV6 0x02

/* CHANGE-REQUEST flags (RFC 5780 §7.2). */
#define STUN_CHANGE_IP 0x04u
#define STUN_CHANGE_PORT 0x02u

/* REQUESTED-TRANSPORT protocol numbers. */
#define TURN_TRANSPORT_UDP 17
#define TURN_TRANSPORT_TCP 6

/* ChannelData (RFC 8656 §12). */
#define TURN_CHANNEL_MIN 0x4000
#define TURN_CHANNEL_MAX 0x4FFF
#define TURN_CHANNELDATA_HEADER_LEN 4
#define TURN_CHANNELDATA_PAYLOAD_MAX 65535
#define TURN_CHANNELDATA_MAX (TURN_CHANNELDATA_HEADER_LEN + 65536) /* padded, stream */

/* Frame kinds reported by stun_frame_len. */
#define STUN_FRAME_STUN 1
#define STUN_FRAME_CHANNELDATA 2

/* Common error codes. */
#define STUN_ERR_TRY_ALTERNATE 300
#define STUN_ERR_BAD_REQUEST 400
#define STUN_ERR_UNAUTHORIZED 401
#define STUN_ERR_FORBIDDEN 403
#define STUN_ERR_UNKNOWN_ATTRIBUTE 420
#define STUN_ERR_ALLOCATION_MISMATCH 437
#define STUN_ERR_STALE_NONCE 438
#define STUN_ERR_ADDRESS_FAMILY 440
#define STUN_ERR_WRONG_CREDENTIALS 441
#define STUN_ERR_UNSUPPORTED_TRANSPORT 442
#define STUN_ERR_PEER_FAMILY 443
#define STUN_ERR_ALLOCATION_QUOTA 486
#define STUN_ERR_SERVER_ERROR 500
#define STUN_ERR_INSUFFICIENT_CAPACITY 508

/* One attribute; val points into the decoded message (len bytes, no padding). */
struct stun_attr {
	uint16_t type;
	uint16_t len;
	const uint8_t *val;
};

/* A decoded message: a view into the caller's buffer. */
struct stun_msg {
	uint16_t type;                    /* the raw message type field */
	uint16_t method;                  /* enum stun_method */
	uint8_t cls;                      /* enum stun_class */
	uint8_t tid[STUN_TID_LEN];
	const uint8_t *raw;               /* the whole message, header included */
	size_t len;                       /* STUN_HEADER_LEN + length field */
	size_t nattrs;
	struct stun_attr attrs[STUN_ATTRS_MAX];
	int mi_idx, mi256_idx, fp_idx;    /* index into attrs, -1 when absent */
	size_t nunknown;                  /* comprehension-required types not known here */
	uint16_t unknown[STUN_UNKNOWN_MAX]; /* the first STUN_UNKNOWN_MAX of them, no repeats */
};

/*
 * Decode the message at the start of p. Return its length (header
 * included; bytes after it are not looked at), 0 when p holds less
 * than the whole message (for a datagram that means truncated), or -1
 * when it is not a valid STUN message: top bits not 00, no magic
 * cookie, length not a multiple of 4, an attribute overrunning, more
 * than STUN_ATTRS_MAX attributes, a malformed MESSAGE-INTEGRITY(-SHA256)
 * or FINGERPRINT, FINGERPRINT not last or not matching. Unknown
 * comprehension-required attributes are not an error here: they are
 * listed in m->unknown and the caller answers 420 (a request) or fails
 * the transaction (a response).
 */
ssize_t stun_decode(const uint8_t *p, size_t n, struct stun_msg *m);

/* stun_decode for one whole datagram: -1 unless the message is exactly n bytes. */
int stun_decode_dgram(const uint8_t *p, size_t n, struct stun_msg *m);

/* Compose and split the 16-bit message type. */
uint16_t stun_type(uint16_t method, uint8_t cls);
void stun_type_split(uint16_t type, uint16_t *method, uint8_t *cls);

/* First attribute of that type, or NULL. */
const struct stun_attr *stun_find(const struct stun_msg *m, uint16_t type);
/* The next attribute of prev's type after prev, or NULL (several XOR-RELAYED-ADDRESS). */
const struct stun_attr *stun_find_next(const struct stun_msg *m, const struct stun_attr *prev);

/*
 * Attribute accessors: 0 and the value, or -1 when the attribute is
 * NULL or malformed. Nothing is written on -1.
 */
/* An address attribute; XOR-MAPPED, XOR-PEER and XOR-RELAYED are unXORed, others read plain. */
int stun_attr_addr(const struct stun_msg *m, const struct stun_attr *a, struct sockaddr_storage *ss,
    socklen_t *sslen);
int stun_attr_u32(const struct stun_attr *a, uint32_t *v);  /* exactly 4 bytes */
int stun_attr_u64(const struct stun_attr *a, uint64_t *v);  /* exactly 8 bytes */
/* ERROR-CODE: code 300..699; reason points into the message, not NUL-terminated. */
int stun_attr_error(const struct stun_attr *a, int *code, const char **reason, size_t *rlen);
/* UNKNOWN-ATTRIBUTES: up to max types copied, *n the number copied. */
int stun_attr_unknown(const struct stun_attr *a, uint16_t *types, size_t max, size_t *n);
/* CHANNEL-NUMBER: the channel, checked against TURN_CHANNEL_MIN..MAX. */
int turn_attr_channel(const struct stun_attr *a, uint16_t *chan);
/* REQUESTED-TRANSPORT: the protocol number. */
int turn_attr_transport(const struct stun_attr *a, uint8_t *proto);
/* REQUESTED-/ADDITIONAL-ADDRESS-FAMILY: STUN_FAMILY_IPV4 or _IPV6. */
int turn_attr_family(const struct stun_attr *a, uint8_t *family);
/* EVEN-PORT: the R (reserve next port) bit. */
int turn_attr_even_port(const struct stun_attr *a, int *reserve);
/* ADDRESS-ERROR-CODE: family, code, reason (as stun_attr_error). */
int turn_attr_address_error(const struct stun_attr *a, uint8_t *family, int *code,
    const char **reason, size_t *rlen);
/* ICMP: type, code and the 32-bit error data. */
int turn_attr_icmp(const struct stun_attr *a, uint8_t *type, uint8_t *code, uint32_t *data);

/*
 * Integrity (RFC 8489 §14.5, §14.6): the HMAC over the message up to the
 * attribute, with the header length covering the attribute, computed
 * without touching the buffer. Return 1 when it matches, 0 when it does
 * not, the attribute is missing, or the HMAC failed. key is the
 * long-term key (stun_longterm_key) or the short-term password.
 * stun_check_integrity uses MESSAGE-INTEGRITY-SHA256 when present (it is
 * the stronger one and RFC 8489 lets a sender include both), else
 * MESSAGE-INTEGRITY.
 */
int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t klen);
int stun_check_integrity_sha1(const struct stun_msg *m, const uint8_t *key, size_t klen);
int stun_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key, size_t klen);

/* Encoder over a caller buffer. */
struct stun_builder {
	uint8_t *buf;
	size_t cap, len;
	int err;          /* set by any overflow or bad argument; sticky */
	int sealed;       /* FINGERPRINT added: nothing may follow */
};

void stun_build_begin(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method, uint8_t cls,
    const uint8_t tid[STUN_TID_LEN]);
/* Any attribute; val may be NULL when len is 0; padding is zeros. */
void stun_add(struct stun_builder *b, uint16_t type, const void *val, size_t len);
void stun_add_str(struct stun_builder *b, uint16_t type, const char *s); /* no NUL on the wire */
void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v);
void stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t v);
/* AF_INET / AF_INET6; XORed with the cookie and tid for the XOR-* types. */
void stun_add_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa);
/* ERROR-CODE; code 300..699, reason may be NULL (empty). */
void stun_add_error(struct stun_builder *b, int code, const char *reason);
void stun_add_unknown(struct stun_builder *b, const uint16_t *types, size_t n);
void turn_add_channel(struct stun_builder *b, uint16_t chan);       /* CHANNEL-NUMBER */
void turn_add_transport(struct stun_builder *b, uint8_t proto);     /* REQUESTED-TRANSPORT */
void turn_add_family(struct stun_builder *b, uint16_t type, uint8_t family);
void turn_add_even_port(struct stun_builder *b, int reserve);
/* MESSAGE-INTEGRITY(-SHA256) over everything so far; add after all covered attributes. */
void stun_add_integrity(struct stun_builder *b, const uint8_t *key, size_t klen);
void stun_add_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t klen);
/* FINGERPRINT; must be the last attribute. */
void stun_add_fingerprint(struct stun_builder *b);
/* The message length, or -1 if anything failed. */
ssize_t stun_build_end(struct stun_builder *b);

/* A random transaction id; 0 or -1. */
int stun_new_tid(uint8_t tid[STUN_TID_LEN]);

/*
 * ChannelData. Decode: channel, payload pointer into p and its length.
 * Return the frame length (with stream set, padded to 4, the padding
 * must be present; without, 4 + payload and any trailing bytes are the
 * caller's), 0 when incomplete, -1 when the top bits are not 01 or the
 * channel is outside TURN_CHANNEL_MIN..MAX. Encode: the frame into buf,
 * padded with zeros when stream is set; its length or -1 (no room, bad
 * channel, len > TURN_CHANNELDATA_PAYLOAD_MAX). data may be NULL when
 * len is 0.
 */
ssize_t turn_channeldata_decode(const uint8_t *p, size_t n, int stream, uint16_t *chan,
    const uint8_t **data, size_t *len);
ssize_t turn_channeldata_encode(uint8_t *buf, size_t cap, uint16_t chan, const void *data, size_t len,
    int stream);

/*
 * Split a byte stream (or classify a datagram): the length of the frame
 * at the start of p and its kind (STUN_FRAME_STUN or
 * STUN_FRAME_CHANNELDATA). 0 when more bytes are needed to know, -1 for
 * garbage (top bits 10/11, a STUN header without the cookie or with a
 * length not a multiple of 4, a channel out of range). Only the header
 * is checked: decode the frame with stun_decode or
 * turn_channeldata_decode. With stream set, ChannelData lengths are
 * padded to 4.
 */
ssize_t stun_frame_len(const uint8_t *p, size_t n, int stream, int *kind);

/*
 * Credentials. The long-term key is MD5(user ":" realm ":" pass)
 * (RFC 8489 §9.2.2; no SASLprep/OpaqueString processing, so non-ASCII
 * passwords must already be in that form). TURN REST credentials
 * (coturn use-auth-secret): user "EXPIRY:ID" (or "EXPIRY" when id is
 * NULL or empty), pass base64(HMAC-SHA1(secret, user)); ucap and pcap
 * include the NUL, pass needs 29 bytes. 0 or -1 (too long, no room).
 */
int stun_longterm_key(const char *user, const char *realm, const char *pass,
    uint8_t key[STUN_LONGTERM_KEY_LEN]);
int turn_rest_credentials(const void *secret, size_t slen, uint64_t expiry, const char *id, char *user,
    size_t ucap, char *pass, size_t pcap);
#define TURN_REST_PASS_LEN 29         /* base64 of 20 bytes + NUL */

/* CRC-32 (IEEE 802.3, reflected, as zlib), for FINGERPRINT. */
uint32_t stun_crc32(const void *p, size_t n);

/* Names for logs: "Binding", "XOR-MAPPED-ADDRESS", "success"; NULL when unknown. */
const char *stun_method_name(uint16_t method);
const char *stun_attr_name(uint16_t type);
const char *stun_class_name(uint8_t cls);

#endif
