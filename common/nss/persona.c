/* SPDX-License-Identifier: MIT */
/*
 * The personas, from the reference captures of Firefox ESR 153 on its
 * own NSS 3.125.1 (WebRTC: two RTCPeerConnections on loopback; HTTPS: a
 * fresh headless profile). Each list is in the order on the wire.
 */
#include "nss/persona.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * WebRTC: TLS 1.3 suites without AES-256-GCM, four ECDHE AEAD suites,
 * four ECDHE CBC suites; ecdsa_sha1 and the DSA schemes are offered, as
 * Firefox's transport layer lists them; use_srtp last, through the hook,
 * with the two GCM profiles first.
 */
const struct persona persona_firefox_webrtc = {
	.name = "firefox-webrtc",
	.dtls = 1,
	.vmin = PERSONA_DTLS12,
	.vmax = PERSONA_DTLS13,
	.nciphers = 10,
	.ciphers = { 0x1301, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc00a, 0xc009, 0xc013,
		0xc014 },
	.ngroups = 6,
	.groups = { PERSONA_GRP_X25519MLKEM768, PERSONA_GRP_X25519, PERSONA_GRP_P256, 0x0018,
		0x0100, 0x0101 },
	.key_shares = 2,
	.nsigalgs = 15,
	.sigalgs = { 0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
		0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202 },
	.nsrtp = 4,
	.srtp = { 0x0007, 0x0008, 0x0001, 0x0002 },
	.alpn = "webrtc,c-webrtc",
	.delegated_creds = 1,
	.dtls13_workaround = 1,
	.next = 11,
	.ext_order = { 23, 65281, 10, 11, 16, 34, 51, 43, 13, 28, 14 },
};

/*
 * HTTPS: sixteen suites down to plain RSA, seven groups with two
 * finite-field ones, three key shares, session tickets and the 32-byte
 * compatibility session id, OCSP and SCT requests, delegated
 * credentials, certificate compression and a GREASE ECH of 281 bytes.
 */
const struct persona persona_firefox_https = {
	.name = "firefox-https",
	.dtls = 0,
	.vmin = PERSONA_TLS12,
	.vmax = PERSONA_TLS13,
	.nciphers = 16,
	.ciphers = { 0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030,
		0xc00a, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035 },
	.ngroups = 7,
	.groups = { PERSONA_GRP_X25519MLKEM768, PERSONA_GRP_X25519, PERSONA_GRP_P256, 0x0018,
		0x0019, 0x0100, 0x0101 },
	.key_shares = 3,
	.nsigalgs = 11,
	.sigalgs = { 0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
		0x0203, 0x0201 },
	.alpn = "h2,http/1.1",
	.session_tickets = 1,
	.compat_session_id = 1,
	.ocsp = 1,
	.sct = 1,
	.delegated_creds = 1,
	.ech_grease = 1,
	.compress_cert = 1,
	.ech_grease_len = 281,
	.next = 16,
	.ext_order = { 23, 65281, 10, 11, 35, 16, 5, 34, 18, 51, 43, 13, 45, 28, 27, 65037 },
};

const struct persona *
persona_find(const char *name)
{
	static const struct persona *const all[] = { &persona_firefox_webrtc,
		&persona_firefox_https };
	size_t i;

	for (i = 0; name && i < N(all); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

static size_t
drop_u16(uint16_t *v, size_t n, uint16_t x)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++)
		if (v[i] != x)
			v[j++] = v[i];
	return j;
}

void
persona_reduce(const struct persona *p, struct persona *out, int dtls13, int mlkem, int certcomp)
{
	size_t n;

	*out = *p;
	if (p->dtls && !dtls13 && out->vmax == PERSONA_DTLS13)
		out->vmax = PERSONA_DTLS12;
	if (!mlkem) {
		n = drop_u16(out->groups, out->ngroups, PERSONA_GRP_X25519MLKEM768);
		/* The hybrid share goes with its group; the others keep theirs. */
		if (n < out->ngroups && out->key_shares > 1)
			out->key_shares--;
		out->ngroups = n;
	}
	if (!certcomp) {
		out->compress_cert = 0;
		out->next = drop_u16(out->ext_order, out->next, PERSONA_EXT_COMPRESS_CERT);
	}
}

static int
has_dup(const uint16_t *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (v[i] == v[j])
				return 1;
	return 0;
}

/* "a,b": non-empty names of at most 255 bytes, no empty element. */
static int
alpn_ok(const char *s)
{
	size_t len = 0;

	if (memchr(s, '\0', PERSONA_ALPN_MAX) == NULL)
		return 0;
	if (*s == '\0')
		return 1;
	for (;; s++) {
		if (*s == ',' || *s == '\0') {
			if (len == 0 || len > 255)
				return 0;
			if (*s == '\0')
				return 1;
			len = 0;
		} else {
			len++;
		}
	}
}

int
persona_check(const struct persona *p)
{
	if (p->nciphers == 0 || p->nciphers > PERSONA_CIPHERS_MAX || p->ngroups == 0 ||
	    p->ngroups > PERSONA_GROUPS_MAX || p->nsigalgs == 0 ||
	    p->nsigalgs > PERSONA_SIGALGS_MAX || p->nsrtp > PERSONA_SRTP_MAX ||
	    p->next > PERSONA_EXTS_MAX || p->key_shares > p->ngroups)
		return -1;
	if (has_dup(p->ciphers, p->nciphers) || has_dup(p->groups, p->ngroups) ||
	    has_dup(p->sigalgs, p->nsigalgs) || has_dup(p->srtp, p->nsrtp) ||
	    has_dup(p->ext_order, p->next))
		return -1;
	if (p->dtls ? (p->vmin != PERSONA_DTLS12 || (p->vmax != PERSONA_DTLS12 &&
	                                             p->vmax != PERSONA_DTLS13))
	            : (p->vmin < PERSONA_TLS12 || p->vmax > PERSONA_TLS13 || p->vmin > p->vmax))
		return -1;
	if (!p->dtls && p->nsrtp)
		return -1;
	return alpn_ok(p->alpn) ? 0 : -1;
}

size_t
persona_srtp_write(const uint16_t *prof, size_t n, uint8_t *out, size_t max)
{
	size_t i, len = 2 + 2 * n + 1;

	if (n == 0 || n > PERSONA_SRTP_MAX || len > max)
		return 0;
	out[0] = (uint8_t)(2 * n >> 8);
	out[1] = (uint8_t)(2 * n);
	for (i = 0; i < n; i++) {
		out[2 + 2 * i] = (uint8_t)(prof[i] >> 8);
		out[3 + 2 * i] = (uint8_t)prof[i];
	}
	out[len - 1] = 0;
	return len;
}

int
persona_srtp_pick(const uint8_t *p, size_t n, const uint16_t *ours, size_t nours, int want_one,
                  uint16_t *chosen)
{
	size_t list, i, j;

	if (n < 2)
		return -1;
	list = (size_t)p[0] << 8 | p[1];
	if (list == 0 || list % 2 || list > n - 2 || (want_one && list != 2))
		return -1;
	/* The MKI: its length byte, then exactly that many bytes, then nothing. */
	if (n - 2 - list < 1 || p[2 + list] != n - 3 - list)
		return -1;
	*chosen = 0;
	for (i = 0; i < nours && *chosen == 0; i++)
		for (j = 0; j < list; j += 2)
			if (((uint16_t)(p[2 + j] << 8) | p[3 + j]) == ours[i]) {
				*chosen = ours[i];
				break;
			}
	return 0;
}
