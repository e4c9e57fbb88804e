/* SPDX-License-Identifier: MIT */
/*
 * Inside the NSS adapter: the session struct and what its files share.
 * Included by the .c files of common/nss only; it is the one place that names NSS
 * and NSPR types next to ours.
 */
#ifndef PW_NSS_NSSC_INT_H
#define PW_NSS_NSSC_INT_H

#include <nspr.h>
#include <cert.h>
#include <keyhi.h>
#include <ssl.h>

#include "nss/nssc.h"

struct nssc_id {
	CERTCertificate *cert;
	SECKEYPrivateKey *key;
	uint8_t fp[FP_LEN];
};

enum { NSSC_ALPN_MAX = 256 };

struct nssc {
	struct nssc_cb cb;
	struct persona p;  /* reduced to what the running NSS can send */
	struct nssc_id *id;
	PRFileDesc *fd;    /* the SSL layer; our I/O layer is below it */
	int server, dtls;
	uint8_t pin[FP_LEN];
	int has_pin;
	uint8_t peer_fp[FP_LEN];
	int has_peer_fp;
	char verify_name[NSSC_NAME_MAX + 1]; /* TLS client: "" or the name to verify */
	int verify_failed;

	/* DTLS: a ring of whole datagrams waiting for NSS to read them. */
	uint8_t (*dq)[NSSC_DGRAM_MAX];
	size_t dlen[NSSC_INQ_MAX];
	size_t dhead, dcount;
	/* TLS: stream bytes waiting, [soff, soff+slen) of sbuf. */
	uint8_t *sbuf;
	size_t soff, slen;

	int connected, failed, peer_closed;
	int ev_pending[3];  /* events raised inside NSS, delivered after it returns */
	uint16_t srtp;
	char alpn[NSSC_ALPN_MAX];
	char err[NSSC_ERR_MAX];
};

/* nssc_io.c: an NSPR file descriptor that reads c's queue and writes to cb.send. */
PRFileDesc *nssc_io_new(struct nssc *c);

/* nssc_setup.c: the persona as options on a freshly imported SSL fd. */
int nssc_setup(struct nssc *c, const struct nssc_opts *o);

/* nssc_trust.c: the peer's chain to the anchors and its name. 0, or -1 (c failed). */
int nssc_trust_verify(struct nssc *c, CERTCertificate *cert);

/* nssc_certcomp.c: RFC 8879 algorithms on a TLS fd as the persona says (o->certcomp_only: one id). */
int nssc_certcomp_setup(struct nssc *c, const struct nssc_opts *o);

/* Record why the session failed (first reason wins), with NSS's error name. */
void nssc_fail(struct nssc *c, const char *what);

#endif
