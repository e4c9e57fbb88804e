/* SPDX-License-Identifier: MIT */
/*
 * TLS client sessions over an already connected, non-blocking socket,
 * for use from libev, implemented on wolfSSL in tls.c (crypto.h is the
 * other half of this adapter library; nothing outside it sees wolfSSL).
 *
 * A tls_ctx holds the trust anchors: a CA file, or the system bundle.
 * A tls_conn is one client session on one fd; it never closes the fd.
 * Only TLS 1.2 and 1.3 are offered. The certificate is always checked
 * against a chain to the trust anchors and against a name (its SAN or
 * CN): a session without a name to verify is refused at creation unless
 * the caller sets insecure, which only tests may do.
 *
 * SNI is independent of the verified name, so domain fronting works:
 * sni NULL or "" sends no server_name extension at all (Akamai style),
 * while verify_name still pins the certificate.
 *
 * Non-blocking calls return a byte count (> 0) or one of enum tls_rc.
 * After TLS_WANT_WRITE from tls_write, call it again with the same bytes
 * (wolfSSL keeps its place in a record it has started). Because wolfSSL
 * reads whole records from the socket, and reads it ahead up to 32 KiB
 * at a time (tls.c), bytes may wait inside it while
 * the fd is not readable: with level-triggered watchers, keep calling
 * tls_read until it returns TLS_WANT_READ, or check tls_pending.
 */
#ifndef PW_TLS_H
#define PW_TLS_H

#include <stddef.h>
#include <sys/types.h>

#define TLS_ERR_MAX 320    /* tls_error() text, with NUL */
#define TLS_NAME_MAX 253   /* SNI and verify names (DNS limit) */
#define TLS_ALPN_MAX 64    /* comma-separated ALPN list */

/* The system bundle when the wolfSSL build cannot find the system store. */
#define TLS_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

enum tls_rc {
	TLS_OK = 0,          /* handshake done; shutdown sent */
	TLS_WANT_READ = -1,  /* wait for the fd to be readable, call again */
	TLS_WANT_WRITE = -2, /* wait for the fd to be writable, call again */
	TLS_EOF = -3,        /* the peer closed (close_notify or TCP EOF) */
	TLS_ERROR = -4,      /* failed; tls_error says why; the session is dead */
};

struct tls_ctx;
struct tls_conn;

/*
 * Trust anchors from ca_file (PEM, one or more certificates) or, when
 * ca_file is NULL, from the system store (falling back to
 * TLS_SYSTEM_CA_FILE). NULL on failure, with a reason in err.
 */
struct tls_ctx *tls_ctx_new(const char *ca_file, char *err, size_t errlen);
void tls_ctx_free(struct tls_ctx *ctx);

struct tls_conn_opts {
	const char *sni;         /* server_name to send; NULL or "" sends none */
	const char *verify_name; /* name the certificate must carry; required */
	const char *alpn;        /* comma-separated list, e.g. "http/1.1"; NULL for none */
	int insecure;            /* tests only: skip all certificate checks */
};

/* A session on fd (connected, non-blocking). NULL with a reason in err. */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const struct tls_conn_opts *o,
                              char *err, size_t errlen);
/* Send close_notify (best effort, never blocks), then free. fd stays open. */
void tls_conn_free(struct tls_conn *c);

/* Drive the handshake: TLS_OK when done, else WANT_READ/WANT_WRITE/ERROR. */
int tls_handshake(struct tls_conn *c);
/* Decrypted bytes (> 0), or TLS_WANT_READ, TLS_WANT_WRITE, TLS_EOF, TLS_ERROR. */
ssize_t tls_read(struct tls_conn *c, void *p, size_t n);
/* All n bytes (returns n), or TLS_WANT_WRITE/WANT_READ (retry same bytes), TLS_ERROR. */
ssize_t tls_write(struct tls_conn *c, const void *p, size_t n);
/* Non-zero when bytes wait inside the TLS layer (tls_read won't block). */
int tls_pending(const struct tls_conn *c);
/*
 * Send close_notify without waiting for the peer's: TLS_OK, or
 * TLS_WANT_WRITE (call again when writable), or TLS_ERROR.
 */
int tls_shutdown(struct tls_conn *c);

/* The negotiated ALPN protocol ("" when none); valid until free. */
const char *tls_alpn_selected(struct tls_conn *c);
/* "TLSv1.3" etc. */
const char *tls_version(const struct tls_conn *c);
/* The negotiated cipher suite's name. */
const char *tls_cipher(const struct tls_conn *c);
/*
 * What failed last, for logs: "certificate name mismatch (want x)",
 * "certificate signed by an unknown CA", "handshake failure: …", or "".
 */
const char *tls_error(const struct tls_conn *c);
/* Non-zero when the last error was a certificate verification failure. */
int tls_error_is_verify(const struct tls_conn *c);

#endif
