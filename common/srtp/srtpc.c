/* SPDX-License-Identifier: MIT */
#include "srtp/srtpc.h"

#include <limits.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SRTPC_ROOM >= SRTP_MAX_TRAILER_LEN, "SRTPC_ROOM");

/* libsrtp keeps one template stream per session: one session each way. */
struct srtpc {
	srtp_t tx, rx;
};

static int srtpc_inited;

int
srtpc_global_init(char *err, size_t errlen)
{
	srtp_err_status_t st;

	if (srtpc_inited)
		return 0;
	st = srtp_init();
	if (st != srtp_err_status_ok) {
		snprintf(err, errlen, "srtp_init: error %d", (int)st);
		return -1;
	}
	srtpc_inited = 1;
	return 0;
}

size_t
srtpc_keymat_len(uint16_t profile)
{
	switch (profile) {
	case SRTPC_PROFILE:
		return 2 * (SRTPC_KEY_LEN + SRTPC_SALT_LEN);
	case SRTPC_PROFILE_GCM:
		return 2 * (SRTPC_KEY_LEN + SRTPC_GCM_SALT_LEN);
	default:
		return 0;
	}
}

struct srtpc *
srtpc_new(const uint8_t *keymat, int client, char *err, size_t errlen)
{
	return srtpc_new_profile(SRTPC_PROFILE, keymat, client, err, errlen);
}

struct srtpc *
srtpc_new_profile(uint16_t profile, const uint8_t *keymat, int client, char *err, size_t errlen)
{
	int gcm = profile == SRTPC_PROFILE_GCM;
	size_t sl = gcm ? SRTPC_GCM_SALT_LEN : SRTPC_SALT_LEN;
	const uint8_t *ckey = keymat, *skey = keymat + SRTPC_KEY_LEN;
	const uint8_t *csalt = keymat + 2 * SRTPC_KEY_LEN;
	const uint8_t *ssalt = csalt + sl;
	uint8_t txkey[SRTPC_KEY_LEN + SRTPC_SALT_LEN], rxkey[SRTPC_KEY_LEN + SRTPC_SALT_LEN];
	srtp_policy_t pol[2];
	srtp_err_status_t st;
	struct srtpc *s;

	if (srtpc_keymat_len(profile) == 0) {
		snprintf(err, errlen, "SRTP profile 0x%04x not supported", profile);
		return NULL;
	}
	if (srtpc_global_init(err, errlen) < 0)
		return NULL;
	memcpy(txkey, client ? ckey : skey, SRTPC_KEY_LEN);
	memcpy(txkey + SRTPC_KEY_LEN, client ? csalt : ssalt, sl);
	memcpy(rxkey, client ? skey : ckey, SRTPC_KEY_LEN);
	memcpy(rxkey + SRTPC_KEY_LEN, client ? ssalt : csalt, sl);
	memset(pol, 0, sizeof(pol));
	for (int i = 0; i < 2; i++) {
		if (gcm) {
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol[i].rtp);
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol[i].rtcp);
		} else {
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol[i].rtp);
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol[i].rtcp);
		}
		pol[i].window_size = 128;
		pol[i].allow_repeat_tx = 0;
	}
	pol[0].ssrc.type = ssrc_any_outbound;
	pol[0].key = txkey;
	pol[0].next = NULL;
	pol[1].ssrc.type = ssrc_any_inbound;
	pol[1].key = rxkey;
	pol[1].next = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	st = srtp_create(&s->tx, &pol[0]);
	if (st == srtp_err_status_ok) {
		st = srtp_create(&s->rx, &pol[1]);
		if (st != srtp_err_status_ok)
			srtp_dealloc(s->tx);
	}
	if (st != srtp_err_status_ok) {
		snprintf(err, errlen, "srtp_create: error %d", (int)st);
		free(s);
		s = NULL;
	}
out:
	memset(txkey, 0, sizeof(txkey));
	memset(rxkey, 0, sizeof(rxkey));
	return s;
}

void
srtpc_free(struct srtpc *s)
{
	if (!s)
		return;
	srtp_dealloc(s->tx);
	srtp_dealloc(s->rx);
	free(s);
}

static ssize_t
do_protect(struct srtpc *s, uint8_t *buf, size_t n, size_t cap, int rtcp)
{
	int len = (int)n;
	srtp_err_status_t st;

	/* libsrtp may write up to SRTP_MAX_TRAILER_LEN past the packet. */
	if (n > INT_MAX / 2 || cap < n + SRTPC_ROOM)
		return -1;
	st = rtcp ? srtp_protect_rtcp(s->tx, buf, &len) : srtp_protect(s->tx, buf, &len);
	return st == srtp_err_status_ok ? (ssize_t)len : -1;
}

static ssize_t
do_unprotect(struct srtpc *s, uint8_t *buf, size_t n, int rtcp)
{
	int len = (int)n;
	srtp_err_status_t st;

	if (n > INT_MAX / 2)
		return -1;
	st = rtcp ? srtp_unprotect_rtcp(s->rx, buf, &len) : srtp_unprotect(s->rx, buf, &len);
	return st == srtp_err_status_ok ? (ssize_t)len : -1;
}

ssize_t
srtpc_protect(struct srtpc *s, uint8_t *buf, size_t n, size_t cap)
{
	return do_protect(s, buf, n, cap, 0);
}

ssize_t
srtpc_protect_rtcp(struct srtpc *s, uint8_t *buf, size_t n, size_t cap)
{
	return do_protect(s, buf, n, cap, 1);
}

ssize_t
srtpc_unprotect(struct srtpc *s, uint8_t *buf, size_t n)
{
	return do_unprotect(s, buf, n, 0);
}

ssize_t
srtpc_unprotect_rtcp(struct srtpc *s, uint8_t *buf, size_t n)
{
	return do_unprotect(s, buf, n, 1);
}
