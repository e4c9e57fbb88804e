/* SPDX-License-Identifier: MIT */
/*
 * tlsmem.h, second half: TLS 1.3 sessions over the caller's memory I/O,
 * the client pinning the server's key. Only files of this adapter
 * library include wolfSSL headers (STYLE.md).
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>

#include "gcm/gcm.h"
#include "tls/tlskey_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Debian's wolfSSL has no AES-NI and a C ChaCha20-Poly1305: AES-GCM first
 * where tlsgcm.c seals records on the CPU's AES instructions (several
 * GB/s), ChaCha first elsewhere. The server's order decides.
 */
#define TLSMEM_CIPHERS "TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES128-GCM-SHA256"
#define TLSMEM_CIPHERS_GCM "TLS13-AES128-GCM-SHA256:TLS13-CHACHA20-POLY1305-SHA256"

struct tlsmem_ctx {
	WOLFSSL_CTX *ctx;
	int server;
};

struct tlsmem {
	WOLFSSL *ssl;
	struct tlsmem_io io;
	void *arg;
	int server, done, dead;
	int pinned;   /* client: the leaf's key matched the pin */
	int pin_failed;
	uint8_t pin[TLSMEM_PIN_LEN];
	char seen[TLSMEM_FP_LEN + 1]; /* the key the server showed, for the log */
	char err[TLS_ERR_MAX];
};

static int
ctx_common(WOLFSSL_CTX *ctx)
{
	int groups[] = { WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1 };
	int devid = tls_gcm_devid();

	if (devid != INVALID_DEVID && wolfSSL_CTX_SetDevId(ctx, devid) != WOLFSSL_SUCCESS)
		devid = INVALID_DEVID;
	return wolfSSL_CTX_set_cipher_list(ctx, devid != INVALID_DEVID ? TLSMEM_CIPHERS_GCM
	                                                              : TLSMEM_CIPHERS) == WOLFSSL_SUCCESS &&
	               wolfSSL_CTX_set_groups(ctx, groups, 2) == WOLFSSL_SUCCESS
	           ? 0
	           : -1;
}

static struct tlsmem_ctx *
ctx_new(int server, char *err, size_t errlen)
{
	struct tlsmem_ctx *c;

	if (tls_lib_init() == -1) {
		snprintf(err, errlen, "wolfSSL_Init failed");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->ctx = wolfSSL_CTX_new(server ? wolfTLSv1_3_server_method()
	                                     : wolfTLSv1_3_client_method())) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->server = server;
	if (ctx_common(c->ctx) == -1) {
		snprintf(err, errlen, "cannot set the TLS 1.3 cipher suites and groups");
		tlsmem_ctx_free(c);
		return NULL;
	}
	return c;
}

struct tlsmem_ctx *
tlsmem_ctx_server(const struct tlsmem_key *k, char *err, size_t errlen)
{
	uint8_t cert[TLSKEY_CERT_MAX], kder[TLSKEY_DER_MAX];
	struct tlsmem_ctx *c = ctx_new(1, err, errlen);
	int n, klen = 0, ok;

	if (c == NULL)
		return NULL;
	n = tlskey_cert(k, cert, sizeof(cert), kder, sizeof(kder), &klen);
	ok = n > 0 &&
	     wolfSSL_CTX_use_certificate_buffer(c->ctx, cert, n, WOLFSSL_FILETYPE_ASN1) ==
	         WOLFSSL_SUCCESS &&
	     wolfSSL_CTX_use_PrivateKey_buffer(c->ctx, kder, klen, WOLFSSL_FILETYPE_ASN1) ==
	         WOLFSSL_SUCCESS;
	memset(kder, 0, sizeof(kder));
	if (!ok) {
		snprintf(err, errlen, "cannot make the certificate for the key");
		tlsmem_ctx_free(c);
		return NULL;
	}
	/* Every session a full handshake: no tickets to resume or replay. */
	(void)wolfSSL_CTX_no_ticket_TLSv13(c->ctx);
	wolfSSL_CTX_set_verify(c->ctx, WOLFSSL_VERIFY_NONE, NULL);
	return c;
}

/*
 * The pin decides, not a CA: called for every certificate of the chain
 * with wolfSSL's own verdict (always "unknown signer" for ours), and
 * only the leaf's key counts.
 */
static int
verify_pin(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	WOLFSSL *ssl = wolfSSL_X509_STORE_CTX_get_ex_data(store,
	                                                  wolfSSL_get_ex_data_X509_STORE_CTX_idx());
	struct tlsmem *s = ssl ? wolfSSL_GetIOReadCtx(ssl) : NULL;
	WOLFSSL_X509 *x = wolfSSL_X509_STORE_CTX_get_current_cert(store);
	uint8_t buf[128], pin[TLSMEM_PIN_LEN];
	struct tlsmem_key seen;
	int n = sizeof(buf), r;

	(void)preverify;
	if (s == NULL)
		return 0;
	if (wolfSSL_X509_STORE_CTX_get_error_depth(store) != 0)
		return 1;
	if (x == NULL || wolfSSL_X509_get_pubkey_buffer(x, buf, &n) != WOLFSSL_SUCCESS)
		r = -1;
	else if (n == TLSKEY_PUB_LEN)
		r = tlskey_pub_pin(buf, pin);
	else
		r = tlskey_spki_pin(buf, (size_t)n, pin);
	if (r == 0) {
		memcpy(seen.pin, pin, sizeof(pin));
		tlsmem_key_fingerprint(&seen, s->seen);
	} else {
		snprintf(s->seen, sizeof(s->seen), "not an Ed25519 key");
	}
	if (r == 0 && memcmp(pin, s->pin, sizeof(pin)) == 0) {
		s->pinned = 1;
		return 1;
	}
	s->pin_failed = 1;
	return 0;
}

struct tlsmem_ctx *
tlsmem_ctx_client(char *err, size_t errlen)
{
	struct tlsmem_ctx *c = ctx_new(0, err, errlen);

	if (c != NULL)
		wolfSSL_CTX_set_verify(c->ctx, WOLFSSL_VERIFY_PEER, verify_pin);
	return c;
}

void
tlsmem_ctx_free(struct tlsmem_ctx *c)
{
	if (c == NULL)
		return;
	wolfSSL_CTX_free(c->ctx);
	free(c);
}

static int
io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct tlsmem *s = ctx;
	size_t n;

	(void)ssl;
	n = sz > 0 ? s->io.recv(s->arg, (uint8_t *)buf, (size_t)sz) : 0;
	return n > 0 ? (int)n : WOLFSSL_CBIO_ERR_WANT_READ;
}

static int
io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct tlsmem *s = ctx;
	size_t n;

	(void)ssl;
	n = sz > 0 ? s->io.send(s->arg, (const uint8_t *)buf, (size_t)sz) : 0;
	return n > 0 ? (int)n : WOLFSSL_CBIO_ERR_WANT_WRITE;
}

struct tlsmem *
tlsmem_new(struct tlsmem_ctx *ctx, const uint8_t *pin, const struct tlsmem_io *io, void *arg,
           char *err, size_t errlen)
{
	struct tlsmem *s;

	if (!ctx->server && pin == NULL) {
		snprintf(err, errlen, "no key fingerprint to pin");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->ssl = wolfSSL_new(ctx->ctx)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->io = *io;
	s->arg = arg;
	s->server = ctx->server;
	if (pin != NULL && !s->server)
		memcpy(s->pin, pin, TLSMEM_PIN_LEN);
	wolfSSL_SSLSetIORecv(s->ssl, io_recv);
	wolfSSL_SSLSetIOSend(s->ssl, io_send);
	wolfSSL_SetIOReadCtx(s->ssl, s);
	wolfSSL_SetIOWriteCtx(s->ssl, s);
	return s;
}

void
tlsmem_free(struct tlsmem *s)
{
	if (s == NULL)
		return;
	wolfSSL_free(s->ssl);
	gcm_forget(); /* its record keys, if the GCM cache holds them */
	free(s);
}

static int
fail(struct tlsmem *s, int ret, const char *what)
{
	char msg[WOLFSSL_MAX_ERROR_SZ];
	int e = wolfSSL_get_error(s->ssl, ret);

	switch (e) {
	case WOLFSSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case WOLFSSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case WOLFSSL_ERROR_ZERO_RETURN:
		s->dead = 1;
		if (s->done)
			return TLS_EOF;
		break;
	default:
		break;
	}
	s->dead = 1;
	if (s->pin_failed) {
		snprintf(s->err, sizeof(s->err), "the key is not the pinned one (it is %s)", s->seen);
		return TLS_ERROR;
	}
	wolfSSL_ERR_error_string_n((unsigned long)e, msg, sizeof(msg));
	snprintf(s->err, sizeof(s->err), "%s: %s (%d)", what, msg, e);
	return TLS_ERROR;
}

int
tlsmem_handshake(struct tlsmem *s)
{
	int ret;

	if (s->done)
		return TLS_OK;
	if (s->dead)
		return TLS_ERROR;
	ret = s->server ? wolfSSL_accept(s->ssl) : wolfSSL_connect(s->ssl);
	if (ret != WOLFSSL_SUCCESS)
		return fail(s, ret, "TLS handshake");
	/* Belt and braces: a client never trusts a key its callback did not see. */
	if (!s->server && !s->pinned) {
		s->dead = 1;
		snprintf(s->err, sizeof(s->err), "the server's key was not checked against the pin");
		return TLS_ERROR;
	}
	s->done = 1;
	return TLS_OK;
}

int
tlsmem_done(const struct tlsmem *s)
{
	return s->done;
}

ssize_t
tlsmem_read(struct tlsmem *s, void *p, size_t n)
{
	int ret;

	if (s->dead)
		return TLS_ERROR;
	ret = wolfSSL_read(s->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
	return ret > 0 ? ret : fail(s, ret, "TLS read");
}

ssize_t
tlsmem_write(struct tlsmem *s, const void *p, size_t n)
{
	int ret;

	if (s->dead)
		return TLS_ERROR;
	if (n == 0)
		return 0;
	ret = wolfSSL_write(s->ssl, p, n > TLSMEM_RECORD_MAX ? TLSMEM_RECORD_MAX : (int)n);
	return ret > 0 ? ret : fail(s, ret, "TLS write");
}

int
tlsmem_pending(const struct tlsmem *s)
{
	return wolfSSL_pending((WOLFSSL *)s->ssl) > 0;
}

const char *
tlsmem_error(const struct tlsmem *s)
{
	return s->err;
}

const char *
tlsmem_cipher(const struct tlsmem *s)
{
	const char *c = wolfSSL_get_cipher_name(s->ssl);

	return c ? c : "";
}

int
tlsmem_error_is_pin(const struct tlsmem *s)
{
	return s->pin_failed;
}
