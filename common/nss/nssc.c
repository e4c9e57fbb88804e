/* SPDX-License-Identifier: MIT */
/*
 * NSS sessions driven by calls, not sockets. Every public call that can
 * make NSS progress ends in drive(): finish the handshake if it is not
 * done, then read application data until NSS would block. Events that
 * happen meanwhile are delivered last, so an event callback may free
 * the session as long as it returns at once.
 */
#include "nss/nssc_int.h"

#include <nss.h>
#include <pk11pub.h>
#include <sslexp.h>
#include <sslproto.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* NSS versions checked against Firefox's own captures (reference/cover). */
#define NSSC_DTLS13_FROM "3.125"
#define NSSC_MLKEM_FROM "3.125"

int
nssc_global_init(char *err, size_t errlen)
{
	if (NSS_IsInitialized())
		return 0;
	if (NSS_NoDB_Init(NULL) != SECSuccess || NSS_SetDomesticPolicy() != SECSuccess) {
		snprintf(err, errlen, "NSS initialisation: %s",
		         PR_ErrorToName(PR_GetError()) ? PR_ErrorToName(PR_GetError()) : "?");
		return -1;
	}
	/* A server needs a session cache configured even with SSL_NO_CACHE set. */
	if (SSL_ConfigServerSessionIDCache(16, 0, 0, NULL) != SECSuccess) {
		snprintf(err, errlen, "NSS session cache: %s",
		         PR_ErrorToName(PR_GetError()) ? PR_ErrorToName(PR_GetError()) : "?");
		return -1;
	}
	return 0;
}

/* Set in the environment of the re-executed program, so it runs once. */
#define NSSC_REEXEC_ENV "PW_NSS_REEXECUTED"

int
nssc_use_nss_dir(const char *dir, char **argv)
{
	char lib[PATH_MAX];

	if (dir == NULL || strcmp(dir, "system") == 0 || getenv(NSSC_REEXEC_ENV))
		return 0;
	if (strcmp(dir, "auto") == 0) {
		dir = NSSC_FIREFOX_NSS_DIR;
		snprintf(lib, sizeof(lib), "%s/libnss3.so", dir);
		if (access(lib, R_OK) != 0)
			return 0;
	}
	if ((size_t)snprintf(lib, sizeof(lib), "%s/libnss3.so", dir) >= sizeof(lib) ||
	    access(lib, R_OK) != 0)
		return -1;
	if (setenv("LD_LIBRARY_PATH", dir, 1) < 0 || setenv(NSSC_REEXEC_ENV, dir, 1) < 0)
		return -1;
	execv("/proc/self/exe", argv);
	return -1;
}

const char *
nssc_nss_version(void)
{
	return NSS_GetVersion();
}

int
nssc_has_dtls13(void)
{
	return NSS_VersionCheck(NSSC_DTLS13_FROM);
}

int
nssc_has_mlkem(void)
{
	return NSS_VersionCheck(NSSC_MLKEM_FROM);
}

void
nssc_fail(struct nssc *c, const char *what)
{
	const char *name = PR_ErrorToName(PR_GetError());

	if (!c->failed)
		snprintf(c->err, sizeof(c->err), "%s%s%s", what, name ? ": " : "", name ? name : "");
	c->failed = 1;
}

static void
raise_event(struct nssc *c, enum nssc_event ev)
{
	c->ev_pending[ev] = 1;
}

/* Deliver pending events, errors last. May free c: touch nothing after. */
static int
deliver(struct nssc *c)
{
	int failed = c->failed;
	static const enum nssc_event order[] = { NSSC_EV_CONNECTED, NSSC_EV_CLOSED,
		NSSC_EV_ERROR };
	size_t i;

	if (failed)
		c->ev_pending[NSSC_EV_ERROR] = 1;
	for (i = 0; i < 3; i++) {
		if (!c->ev_pending[order[i]])
			continue;
		c->ev_pending[order[i]] = 0;
		if (c->cb.event)
			c->cb.event(c->cb.arg, order[i]);
		if (order[i] == NSSC_EV_ERROR)
			return -1;
	}
	return failed ? -1 : 0;
}

static void
on_handshake_done(struct nssc *c)
{
	SSLNextProtoState st;
	unsigned char buf[NSSC_ALPN_MAX - 1];
	unsigned int len = 0;

	c->connected = 1;
	if (SSL_GetNextProto(c->fd, &st, buf, &len, sizeof(buf)) == SECSuccess &&
	    (st == SSL_NEXT_PROTO_NEGOTIATED || st == SSL_NEXT_PROTO_SELECTED)) {
		memcpy(c->alpn, buf, len);
		c->alpn[len] = '\0';
	}
	if (!c->has_peer_fp && c->has_pin) {
		nssc_fail(c, "peer sent no certificate");
		return;
	}
	raise_event(c, NSSC_EV_CONNECTED);
}

static void
read_app(struct nssc *c)
{
	uint8_t buf[NSSC_DGRAM_MAX * 8];
	PRInt32 n;

	while (!c->failed && !c->peer_closed) {
		n = PR_Recv(c->fd, buf, sizeof(buf), 0, PR_INTERVAL_NO_WAIT);
		if (n > 0) {
			if (c->cb.data)
				c->cb.data(c->cb.arg, buf, (size_t)n);
		} else if (n == 0) {
			c->peer_closed = 1;
			raise_event(c, NSSC_EV_CLOSED);
		} else if (PR_GetError() != PR_WOULD_BLOCK_ERROR) {
			nssc_fail(c, "read");
		} else {
			break;
		}
	}
}

static int
drive(struct nssc *c)
{
	if (c->failed)
		return deliver(c);
	if (!c->connected) {
		if (SSL_ForceHandshake(c->fd) == SECSuccess)
			on_handshake_done(c);
		else if (PR_GetError() != PR_WOULD_BLOCK_ERROR)
			nssc_fail(c, "handshake");
	}
	if (c->connected)
		read_app(c);
	return deliver(c);
}

static int
nssc_alloc_input(struct nssc *c)
{
	if (c->dtls)
		c->dq = malloc(sizeof(*c->dq) * NSSC_INQ_MAX);
	else
		c->sbuf = malloc(NSSC_STREAM_IN_MAX);
	return c->dq || c->sbuf ? 0 : -1;
}

static int
nssc_import(struct nssc *c)
{
	PRFileDesc *io = nssc_io_new(c);

	if (io == NULL)
		return -1;
	c->fd = c->dtls ? DTLS_ImportFD(NULL, io) : SSL_ImportFD(NULL, io);
	if (c->fd == NULL) {
		PR_Close(io);
		return -1;
	}
	return 0;
}

struct nssc *
nssc_new(const struct nssc_opts *o, const struct nssc_cb *cb, char *err, size_t errlen)
{
	struct nssc *c;

	if (o->persona == NULL || persona_check(o->persona) < 0 ||
	    ((o->server || o->persona->dtls) && o->id == NULL)) {
		snprintf(err, errlen, "bad session options");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cb = *cb;
	c->id = o->id;
	c->server = o->server;
	c->dtls = o->persona->dtls;
	persona_reduce(o->persona, &c->p, nssc_has_dtls13() && !o->dtls_max12,
	               nssc_has_mlkem(), nssc_has_certcomp());
	if (o->alpn && snprintf(c->p.alpn, sizeof(c->p.alpn), "%s", o->alpn) >=
	                       (int)sizeof(c->p.alpn)) {
		snprintf(err, errlen, "ALPN list too long");
		free(c);
		return NULL;
	}
	if (o->verify_name && !o->server && !c->dtls &&
	    snprintf(c->verify_name, sizeof(c->verify_name), "%s", o->verify_name) >=
	            (int)sizeof(c->verify_name)) {
		snprintf(err, errlen, "name to verify too long");
		free(c);
		return NULL;
	}
	if (o->pin) {
		memcpy(c->pin, o->pin, FP_LEN);
		c->has_pin = 1;
	}
	if (nssc_alloc_input(c) < 0 || nssc_import(c) < 0) {
		snprintf(err, errlen, "NSS socket: %s",
		         PR_ErrorToName(PR_GetError()) ? PR_ErrorToName(PR_GetError()) : "?");
		nssc_free(c);
		return NULL;
	}
	if (nssc_setup(c, o) < 0 || SSL_ResetHandshake(c->fd, c->server) != SECSuccess) {
		nssc_fail(c, "setup");
		snprintf(err, errlen, "%s", c->err);
		nssc_free(c);
		return NULL;
	}
	return c;
}

int
nssc_start(struct nssc *c)
{
	return c->server ? 0 : drive(c);
}

ssize_t
nssc_input(struct nssc *c, const uint8_t *p, size_t n)
{
	size_t take;

	if (c->failed)
		return -1;
	if (c->dtls) {
		if (n == 0 || n > NSSC_DGRAM_MAX || c->dcount == NSSC_INQ_MAX)
			return 0;
		take = (c->dhead + c->dcount) % NSSC_INQ_MAX;
		memcpy(c->dq[take], p, n);
		c->dlen[take] = n;
		c->dcount++;
		take = n;
	} else {
		if (c->soff + c->slen + n > NSSC_STREAM_IN_MAX && c->soff > 0) {
			memmove(c->sbuf, c->sbuf + c->soff, c->slen);
			c->soff = 0;
		}
		take = NSSC_STREAM_IN_MAX - c->soff - c->slen;
		if (take > n)
			take = n;
		memcpy(c->sbuf + c->soff + c->slen, p, take);
		c->slen += take;
	}
	return drive(c) < 0 ? -1 : (ssize_t)take;
}

long
nssc_timeout_ms(struct nssc *c)
{
	PRIntervalTime t;

	if (!c->dtls || c->failed || DTLS_GetHandshakeTimeout(c->fd, &t) != SECSuccess)
		return -1;
	return (long)PR_IntervalToMilliseconds(t);
}

int
nssc_timer_fired(struct nssc *c)
{
	/* With no datagram queued NSS's read would-blocks and checks its timer. */
	return drive(c);
}

ssize_t
nssc_write(struct nssc *c, const void *p, size_t n)
{
	PRInt32 w;

	if (c->failed || !c->connected || n > INT32_MAX)
		return -1;
	w = PR_Send(c->fd, p, (PRInt32)n, 0, PR_INTERVAL_NO_WAIT);
	if (w < 0) {
		nssc_fail(c, "write");
		deliver(c);
		return -1;
	}
	return w;
}

void
nssc_close(struct nssc *c)
{
	if (c->fd && c->connected && !c->failed)
		PR_Shutdown(c->fd, PR_SHUTDOWN_SEND);
}

void
nssc_free(struct nssc *c)
{
	if (c == NULL)
		return;
	if (c->fd)
		PR_Close(c->fd);
	free(c->dq);
	free(c->sbuf);
	free(c);
}

int
nssc_connected(const struct nssc *c)
{
	return c->connected && !c->failed;
}

int
nssc_peer_fingerprint(const struct nssc *c, uint8_t d[FP_LEN])
{
	if (!c->has_peer_fp)
		return -1;
	memcpy(d, c->peer_fp, FP_LEN);
	return 0;
}

uint16_t
nssc_srtp_profile(const struct nssc *c)
{
	return c->connected ? c->srtp : 0;
}

const char *
nssc_srtp_name(uint16_t profile)
{
	switch (profile) {
	case 0x0001:
		return "SRTP_AES128_CM_SHA1_80";
	case 0x0002:
		return "SRTP_AES128_CM_SHA1_32";
	case 0x0007:
		return "SRTP_AEAD_AES_128_GCM";
	case 0x0008:
		return "SRTP_AEAD_AES_256_GCM";
	default:
		return "";
	}
}

const char *
nssc_alpn(const struct nssc *c)
{
	return c->alpn;
}

const char *
nssc_version(const struct nssc *c)
{
	SSLChannelInfo ci;

	if (!c->connected || SSL_GetChannelInfo(c->fd, &ci, sizeof(ci)) != SECSuccess)
		return "";
	if (ci.protocolVersion == SSL_LIBRARY_VERSION_TLS_1_3)
		return c->dtls ? "DTLSv1.3" : "TLSv1.3";
	return c->dtls ? "DTLSv1.2" : "TLSv1.2";
}

uint16_t
nssc_cipher(const struct nssc *c)
{
	SSLChannelInfo ci;

	if (!c->connected || SSL_GetChannelInfo(c->fd, &ci, sizeof(ci)) != SECSuccess)
		return 0;
	return ci.cipherSuite;
}

int
nssc_export(struct nssc *c, const char *label, const uint8_t *ctx, size_t ctxlen, uint8_t *out,
            size_t outlen)
{
	if (!c->connected || c->failed || outlen > NSSC_EXPORT_MAX || ctxlen > 65535)
		return -1;
	return SSL_ExportKeyingMaterial(c->fd, label, (unsigned int)strlen(label), ctx != NULL,
	                                ctx, (unsigned int)ctxlen, out,
	                                (unsigned int)outlen) == SECSuccess ? 0 : -1;
}

const char *
nssc_error(const struct nssc *c)
{
	return c->err;
}

int
nssc_error_is_verify(const struct nssc *c)
{
	return c->verify_failed;
}
