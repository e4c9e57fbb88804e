/* SPDX-License-Identifier: MIT */
/*
 * TLS 1.3 over memory, for a session that carries its records itself
 * (the Turbo Tunnel session inside KCP), with a pinned key instead of a
 * CA, implemented on wolfSSL in tlsmem.c (tls.h is TLS over a socket).
 *
 * Keys are Ed25519 (RFC 8410 PEM, "PRIVATE KEY"). The server presents a
 * self-signed certificate made in memory from its key at start; nothing
 * in it but the key matters. A key's fingerprint is "sha256:" and the
 * lower-case hex SHA-256 of its SubjectPublicKeyInfo (DER), the same
 * value `openssl pkey -pubout -outform DER | sha256sum` gives. The
 * client accepts the handshake only when the leaf's key has the pinned
 * fingerprint; TLS 1.3's CertificateVerify proves the server holds it.
 *
 * Only TLS 1.3, with AES-128-GCM first where the CPU has AES instructions
 * (tlsgcm.c then seals records through common/gcm; PW_GCM_OFF=1 turns that
 * off) and ChaCha20-Poly1305 first elsewhere (Debian's wolfSSL has no
 * AES-NI code); the server's order decides. No session tickets, no
 * resumption, no early data: every session is a full handshake, so a
 * recorded one cannot be replayed.
 *
 * I/O goes through the caller's two callbacks: recv copies the peer's
 * record bytes it has (0: none yet), send takes record bytes to carry
 * (0: no room now). Calls return a byte count or an enum tls_rc value.
 */
#ifndef PW_TLSMEM_H
#define PW_TLSMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tls/tls.h"

#define TLSMEM_PIN_LEN 32                    /* SHA-256 */
#define TLSMEM_FP_LEN (7 + 2 * TLSMEM_PIN_LEN) /* "sha256:" HEX, without NUL */
#define TLSMEM_KEY_PEM_MAX 512               /* a PEM Ed25519 private key fits */
#define TLSMEM_RECORD_MAX 16384              /* plaintext bytes per record */

struct tlsmem_key;
struct tlsmem_ctx;
struct tlsmem;

/* A new private key as PEM in out (NUL-terminated). Its length, or -1. */
int tlsmem_key_generate(char *out, size_t cap);
/* A private key from a PEM file. NULL with a reason in err. */
struct tlsmem_key *tlsmem_key_load(const char *path, char *err, size_t errlen);
void tlsmem_key_free(struct tlsmem_key *k);
/* "sha256:HEX" of the key's public half (NUL-terminated). */
void tlsmem_key_fingerprint(const struct tlsmem_key *k, char out[TLSMEM_FP_LEN + 1]);

/* Parse "sha256:HEX" (64 hex digits, either case). 0, or -1. */
int tlsmem_pin_parse(const char *s, uint8_t pin[TLSMEM_PIN_LEN]);

/* A server context presenting k (copied); a client context. NULL with a reason. */
struct tlsmem_ctx *tlsmem_ctx_server(const struct tlsmem_key *k, char *err, size_t errlen);
struct tlsmem_ctx *tlsmem_ctx_client(char *err, size_t errlen);
void tlsmem_ctx_free(struct tlsmem_ctx *ctx);

struct tlsmem_io {
	size_t (*recv)(void *arg, uint8_t *p, size_t n);
	size_t (*send)(void *arg, const uint8_t *p, size_t n);
};

/*
 * A session: pin is required for a client context and ignored for a
 * server. NULL with a reason in err.
 */
struct tlsmem *tlsmem_new(struct tlsmem_ctx *ctx, const uint8_t *pin, const struct tlsmem_io *io,
                          void *arg, char *err, size_t errlen);
void tlsmem_free(struct tlsmem *s);

/* TLS_OK when done, else TLS_WANT_READ, TLS_WANT_WRITE or TLS_ERROR. */
int tlsmem_handshake(struct tlsmem *s);
int tlsmem_done(const struct tlsmem *s);
/* Plaintext bytes (> 0), or TLS_WANT_READ, TLS_WANT_WRITE, TLS_EOF, TLS_ERROR. */
ssize_t tlsmem_read(struct tlsmem *s, void *p, size_t n);
/*
 * Up to TLSMEM_RECORD_MAX of the n bytes, sealed and handed to send:
 * the count taken, or TLS_WANT_WRITE (send refused: call again with the
 * same bytes), TLS_ERROR.
 */
ssize_t tlsmem_write(struct tlsmem *s, const void *p, size_t n);
/* Non-zero when decrypted bytes wait inside (tlsmem_read will not block). */
int tlsmem_pending(const struct tlsmem *s);
/* For logs: what failed ("" when nothing did), and the cipher suite. */
const char *tlsmem_error(const struct tlsmem *s);
const char *tlsmem_cipher(const struct tlsmem *s);
/* Non-zero when the handshake failed because the key was not the pinned one. */
int tlsmem_error_is_pin(const struct tlsmem *s);

/* Heap a session holds at most, about (wolfSSL's record buffers and state). */
#define TLSMEM_COST (64u << 10)

#endif
