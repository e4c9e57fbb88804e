/* SPDX-License-Identifier: MIT */
/*
 * TLS and DTLS sessions on NSS, client or server, with no socket of
 * their own: the caller feeds what arrives (nssc_input: one datagram,
 * or stream bytes) and sends what the send callback hands out (one
 * whole datagram per call for DTLS). Single-threaded and non-blocking;
 * no libev here: nssc_timeout_ms says when the DTLS retransmission timer
 * is due and nssc_timer_fired runs it (nssc_ev.h does that on libev).
 *
 * The handshake looks like a browser's: a persona (persona.h) sets the
 * versions, suites, groups, signature schemes, ALPN and extensions.
 * use_srtp is written through NSS's extension hook, so it keeps the
 * browser's place in the hello and its GCM profiles.
 *
 * Identities are ephemeral: an ECDSA P-256 key and a self-signed
 * certificate made in memory as Firefox makes them (CN of 32 hex
 * digits, no extensions, 30 days); or, for a server whose clients pin
 * it, loaded from PEM files (nssc_id_load). There is no certificate database
 * and no chain check: a peer is authenticated by its certificate's
 * SHA-256 fingerprint (pin), as WebRTC does through SDP. Without a pin
 * any certificate is accepted and its fingerprint is reported, which
 * suits a test or a caller that checks it afterwards.
 *
 * Only this library sees NSS and NSPR; the header uses neither.
 */
#ifndef PW_NSS_NSSC_H
#define PW_NSS_NSSC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nss/fp.h"
#include "nss/persona.h"

#define NSSC_ERR_MAX 320
#define NSSC_DGRAM_MAX 2048      /* largest datagram accepted or sent */
#define NSSC_INQ_MAX 16          /* DTLS datagrams queued before NSS reads them */
#define NSSC_STREAM_IN_MAX 65536 /* TLS bytes buffered before NSS reads them */
#define NSSC_EXPORT_MAX 256      /* exporter output length */
#define NSSC_FIREFOX_NSS_DIR "/usr/lib/firefox-esr"
#define NSSC_NAME_MAX 253          /* a name to verify (DNS limit) */
#define NSSC_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define NSSC_TRUST_FILE_MAX (4 << 20) /* a CA bundle's size */
#define NSSC_TRUST_MAX 4096        /* anchors held */

/*
 * Once per process, before anything else: NSS without a database. If
 * NSS was already initialised by someone else this is a no-op. 0 or -1
 * with a reason in err.
 */
int nssc_global_init(char *err, size_t errlen);
/*
 * Run this program on another copy of NSS, such as Firefox's (same ABI,
 * newer: DTLS 1.3 and ML-KEM as Firefox sends them). NSS is loaded with
 * the program, so this re-executes it with LD_LIBRARY_PATH=dir; call it
 * first thing in main. dir "auto": NSSC_FIREFOX_NSS_DIR when it holds
 * libnss3.so, else nothing to do; NULL or "system": nothing to do.
 * Returns 0 when the program should go on as it is (already
 * re-executed, or nothing to do), -1 when dir has no libnss3.so or the
 * re-execution failed; it does not return on success.
 */
int nssc_use_nss_dir(const char *dir, char **argv);
/*
 * Trust anchors for TLS clients that verify a server the Web PKI way
 * (nssc_opts.verify_name): every certificate of a PEM file (NULL: the
 * system bundle, NSSC_SYSTEM_CA_FILE) becomes a temporary certificate
 * trusted as a CA for TLS servers, held until nssc_trust_clear. Nothing
 * is written to disk. After nssc_global_init. The number of anchors
 * added, or -1 with a reason in err.
 */
int nssc_trust_load(const char *pem_file, char *err, size_t errlen);
void nssc_trust_clear(void);
/* The running NSS's version ("3.87.1"), which may not be the one we built with. */
const char *nssc_nss_version(void);
/* Whether the running NSS sends DTLS 1.3 by its final codepoint, and ML-KEM. */
int nssc_has_dtls13(void);
int nssc_has_mlkem(void);

/* An ephemeral identity: key pair and self-signed certificate. */
struct nssc_id;
struct nssc_id *nssc_id_new(char *err, size_t errlen);
/*
 * An identity from PEM files (nssc_idfile.c): an ECDSA P-256 certificate
 * and its unencrypted PKCS#8 key, checked to be a pair; so a server's
 * fingerprint survives restarts. NULL with a reason in err.
 */
struct nssc_id *nssc_id_load(const char *cert_path, const char *key_path, char *err,
                             size_t errlen);
void nssc_id_free(struct nssc_id *id);
/* SHA-256 of our certificate. */
void nssc_id_fingerprint(const struct nssc_id *id, uint8_t d[FP_LEN]);
/* Our certificate, DER, valid as long as id. */
void nssc_id_cert_der(const struct nssc_id *id, const uint8_t **der, size_t *len);

enum nssc_event {
	NSSC_EV_CONNECTED, /* handshake done: peer checked, keys ready */
	NSSC_EV_CLOSED,    /* the peer sent close_notify */
	NSSC_EV_ERROR,     /* fatal; nssc_error says why; only free is left */
};

struct nssc_cb {
	/* Bytes to put on the wire: a whole datagram (DTLS) or stream bytes (TLS). */
	void (*send)(void *arg, const uint8_t *p, size_t n);
	/* Decrypted application data. */
	void (*data)(void *arg, const uint8_t *p, size_t n);
	void (*event)(void *arg, enum nssc_event ev);
	void *arg;
};

struct nssc_opts {
	const struct persona *persona; /* required; reduced to what NSS can send */
	int server;                    /* 0: client, 1: server */
	struct nssc_id *id;            /* required for a server and for DTLS */
	const char *sni;               /* client: server_name; NULL or an IP literal sends none */
	const uint8_t *pin;            /* FP_LEN bytes: the only peer certificate accepted */
	int dtls_max12;                /* cap DTLS at 1.2 even when NSS could do 1.3 */
	/*
	 * TLS client: the server's certificate must chain to the anchors of
	 * nssc_trust_load and carry this name (SAN or CN); independent of
	 * sni, so a fronted client verifies the front's name. NULL: the pin,
	 * or nothing, decides as above.
	 */
	const char *verify_name;
	const char *alpn;              /* comma-separated, replaces the persona's; NULL: keep it */
	uint16_t certcomp_only;        /* TLS: offer/accept this RFC 8879 id only (tests); 0: all */
};

/* The running NSS can compress certificates (3.9x+; not Debian's 3.87). */
int nssc_has_certcomp(void);

struct nssc;
/* NULL with a reason in err. Callbacks may be called from any nssc_ call. */
struct nssc *nssc_new(const struct nssc_opts *o, const struct nssc_cb *cb, char *err,
                      size_t errlen);
/* Begin: a client sends its first flight now; a server waits for input. 0/-1. */
int nssc_start(struct nssc *c);
/*
 * Feed what arrived: exactly one datagram for DTLS, any bytes for TLS.
 * Returns bytes taken (all of them, or fewer for TLS when its buffer is
 * full: feed the rest later), 0 when a DTLS datagram was dropped
 * (queue full, oversized) or -1 when the session failed.
 */
ssize_t nssc_input(struct nssc *c, const uint8_t *p, size_t n);
/* Milliseconds until nssc_timer_fired is due, or -1 when no timer runs. */
long nssc_timeout_ms(struct nssc *c);
/* The retransmission timer expired: retransmit if still needed. 0/-1. */
int nssc_timer_fired(struct nssc *c);
/* Encrypt and send application data (after CONNECTED): n or -1. */
ssize_t nssc_write(struct nssc *c, const void *p, size_t n);
/* Send close_notify. */
void nssc_close(struct nssc *c);
void nssc_free(struct nssc *c);

int nssc_connected(const struct nssc *c);
/* After CONNECTED: the peer's certificate fingerprint. 0/-1. */
int nssc_peer_fingerprint(const struct nssc *c, uint8_t d[FP_LEN]);
/* The use_srtp profile both chose (0x0007 …), or 0. */
uint16_t nssc_srtp_profile(const struct nssc *c);
/* Its RFC 3711/7714 name ("SRTP_AEAD_AES_128_GCM"), or "". */
const char *nssc_srtp_name(uint16_t profile);
/* The negotiated ALPN protocol, or "". */
const char *nssc_alpn(const struct nssc *c);
/* "DTLSv1.2", "TLSv1.3" … and the cipher suite's wire value. */
const char *nssc_version(const struct nssc *c);
uint16_t nssc_cipher(const struct nssc *c);
/* RFC 5705 exporter; ctx may be NULL (no context). 0/-1. */
int nssc_export(struct nssc *c, const char *label, const uint8_t *ctx, size_t ctxlen,
                uint8_t *out, size_t outlen);
/* What failed, for logs, or "". */
const char *nssc_error(const struct nssc *c);
/* Non-zero when the session failed because the server's certificate did not verify. */
int nssc_error_is_verify(const struct nssc *c);

#endif
