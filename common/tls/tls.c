/* SPDX-License-Identifier: MIT */
/*
 * tls.h on wolfSSL: TLS client sessions over a non-blocking socket.
 * wolfSSL's configuration header comes first, and only files of this
 * adapter library include wolfSSL headers (STYLE.md).
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "gcm/gcm.h"
#include "tls/tls.h"
#include "tls/tlskey_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*
 * ChaCha20-Poly1305 first: Debian's wolfSSL has no AES-NI code, so its
 * AES-GCM runs at a fraction of the speed; servers that honour the
 * client's order (Go's crypto/tls, so Caddy, does when ChaCha comes
 * first) then pick ChaCha, as they do for phones without AES hardware.
 * Where tlsgcm.c seals AES-GCM records on the CPU's AES instructions,
 * AES-GCM comes first instead (as in browsers on such CPUs).
 */
#define TLS_CIPHERS_CHACHA                                                         \
	"TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                      \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                      \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
#define TLS_CIPHERS_GCM                                                              \
	"TLS13-AES128-GCM-SHA256:TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                      \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                      \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"

struct tls_ctx {
	WOLFSSL_CTX *ctx;
};

/*
 * Bytes read from the socket at a time. wolfSSL asks for a record's
 * 5-byte header and then its body, two recv calls per record; reading
 * ahead into this buffer makes it about one per 32 KiB.
 */
#define TLS_READ_AHEAD 32768

struct tls_conn {
	WOLFSSL *ssl;
	int fd;
	uint8_t *rb;         /* TLS_READ_AHEAD bytes: what the socket gave and wolfSSL has not taken */
	size_t rb_off, rb_len;
	int done;      /* handshake finished */
	int dead;      /* fatal error or EOF seen: no close_notify */
	int shut;      /* close_notify sent */
	int verify_failed;
	char verify_name[TLS_NAME_MAX + 1];
	char alpn[TLS_ALPN_MAX + 1];
	char err[TLS_ERR_MAX];
};

/* wolfSSL's receive callback: from the read-ahead buffer, refilled from the socket. */
static int
tls_recv_cb(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_conn *c = arg;
	ssize_t r;
	size_t k;

	(void)ssl;
	if (sz <= 0)
		return 0;
	if (c->rb_off == c->rb_len) {
		c->rb_off = c->rb_len = 0;
		r = recv(c->fd, c->rb, TLS_READ_AHEAD, 0);
		if (r == 0)
			return WOLFSSL_CBIO_ERR_CONN_CLOSE;
		if (r < 0) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return WOLFSSL_CBIO_ERR_WANT_READ;
			case EINTR:
				return WOLFSSL_CBIO_ERR_ISR;
			case ECONNRESET:
				return WOLFSSL_CBIO_ERR_CONN_RST;
			case ECONNABORTED:
			case EPIPE:
				return WOLFSSL_CBIO_ERR_CONN_CLOSE;
			default:
				return WOLFSSL_CBIO_ERR_GENERAL;
			}
		}
		c->rb_len = (size_t)r;
	}
	k = c->rb_len - c->rb_off < (size_t)sz ? c->rb_len - c->rb_off : (size_t)sz;
	memcpy(buf, c->rb + c->rb_off, k);
	c->rb_off += k;
	return (int)k;
}

int
tls_lib_init(void)
{
	static int ready;

	if (!ready) {
		if (wolfSSL_Init() != WOLFSSL_SUCCESS)
			return -1;
		ready = 1;
	}
	return 0;
}

struct tls_ctx *
tls_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	struct tls_ctx *t;
	int ok, devid;

	if (tls_lib_init() == -1) {
		snprintf(err, errlen, "wolfSSL_Init failed");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->ctx = wolfSSL_CTX_new(wolfSSLv23_client_method())) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(t);
		return NULL;
	}
	if (wolfSSL_CTX_SetMinVersion(t->ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "cannot require TLS 1.2 or later");
		goto fail;
	}
	devid = tls_gcm_devid();
	if (devid != INVALID_DEVID && wolfSSL_CTX_SetDevId(t->ctx, devid) != WOLFSSL_SUCCESS)
		devid = INVALID_DEVID;
	if (wolfSSL_CTX_set_cipher_list(t->ctx, devid != INVALID_DEVID ? TLS_CIPHERS_GCM
	                                                              : TLS_CIPHERS_CHACHA) !=
	    WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "cannot set the cipher suites");
		goto fail;
	}
	if (ca_file != NULL) {
		ok = wolfSSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) == WOLFSSL_SUCCESS;
		if (!ok) {
			snprintf(err, errlen, "%s: no usable CA certificate (PEM) in this file", ca_file);
			goto fail;
		}
	} else {
		ok = wolfSSL_CTX_load_system_CA_certs(t->ctx) == WOLFSSL_SUCCESS ||
		     wolfSSL_CTX_load_verify_locations(t->ctx, TLS_SYSTEM_CA_FILE, NULL) ==
		         WOLFSSL_SUCCESS;
		if (!ok) {
			snprintf(err, errlen, "cannot load the system CA certificates (%s)",
			         TLS_SYSTEM_CA_FILE);
			goto fail;
		}
	}
	wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_PEER, NULL);
	return t;
fail:
	wolfSSL_CTX_free(t->ctx);
	free(t);
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	wolfSSL_CTX_free(t->ctx);
	free(t);
}

struct tls_conn *
tls_conn_new(struct tls_ctx *t, int fd, const struct tls_conn_opts *o, char *err, size_t errlen)
{
	struct tls_conn *c;
	char alpn[TLS_ALPN_MAX + 1];
	size_t n;

	if (!o->insecure && (o->verify_name == NULL || o->verify_name[0] == '\0')) {
		snprintf(err, errlen, "no name to verify the certificate against");
		return NULL;
	}
	if ((o->sni != NULL && strlen(o->sni) > TLS_NAME_MAX) ||
	    (o->verify_name != NULL && strlen(o->verify_name) > TLS_NAME_MAX)) {
		snprintf(err, errlen, "name longer than %d bytes", TLS_NAME_MAX);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->rb = malloc(TLS_READ_AHEAD)) == NULL ||
	    (c->ssl = wolfSSL_new(t->ctx)) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (c != NULL)
			free(c->rb);
		free(c);
		return NULL;
	}
	c->fd = fd;
	if (wolfSSL_set_fd(c->ssl, fd) != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "wolfSSL_set_fd failed");
		goto fail;
	}
	/* Writes go straight to the fd; reads through the read-ahead buffer. */
	wolfSSL_SSLSetIORecv(c->ssl, tls_recv_cb);
	wolfSSL_SetIOReadCtx(c->ssl, c);
	if (o->sni != NULL && o->sni[0] != '\0' &&
	    wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, o->sni, (word16)strlen(o->sni)) !=
	        WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "cannot set SNI");
		goto fail;
	}
	if (o->alpn != NULL && o->alpn[0] != '\0') {
		n = strlen(o->alpn);
		if (n > TLS_ALPN_MAX) {
			snprintf(err, errlen, "ALPN list too long");
			goto fail;
		}
		memcpy(alpn, o->alpn, n + 1); /* wolfSSL wants it writable */
		if (wolfSSL_UseALPN(c->ssl, alpn, (word32)n, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
		    WOLFSSL_SUCCESS) {
			snprintf(err, errlen, "cannot set ALPN");
			goto fail;
		}
	}
	if (o->insecure) {
		wolfSSL_set_verify(c->ssl, WOLFSSL_VERIFY_NONE, NULL);
	} else {
		snprintf(c->verify_name, sizeof(c->verify_name), "%s", o->verify_name);
		if (wolfSSL_check_domain_name(c->ssl, o->verify_name) != WOLFSSL_SUCCESS) {
			snprintf(err, errlen, "cannot set the name to verify");
			goto fail;
		}
	}
	return c;
fail:
	wolfSSL_free(c->ssl);
	free(c->rb);
	free(c);
	return NULL;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	if (c->done && !c->dead && !c->shut)
		(void)wolfSSL_shutdown(c->ssl);
	wolfSSL_free(c->ssl);
	gcm_forget(); /* its record keys, if the GCM cache holds them */
	free(c->rb);
	free(c);
}

/* Keep a readable reason for a wolfSSL error code. */
static void
tls_set_error(struct tls_conn *c, const char *what, int e)
{
	char msg[WOLFSSL_MAX_ERROR_SZ];

	switch (e) {
	case DOMAIN_NAME_MISMATCH:
		c->verify_failed = 1;
		snprintf(c->err, sizeof(c->err), "certificate name mismatch (want %s)",
		         c->verify_name);
		return;
	case ASN_NO_SIGNER_E:
	case ASN_SELF_SIGNED_E:
		c->verify_failed = 1;
		snprintf(c->err, sizeof(c->err), "certificate signed by an unknown CA");
		return;
	case ASN_AFTER_DATE_E:
		c->verify_failed = 1;
		snprintf(c->err, sizeof(c->err), "certificate expired");
		return;
	case ASN_BEFORE_DATE_E:
		c->verify_failed = 1;
		snprintf(c->err, sizeof(c->err), "certificate not yet valid");
		return;
	case ASN_SIG_CONFIRM_E:
	case VERIFY_CERT_ERROR:
		c->verify_failed = 1;
		snprintf(c->err, sizeof(c->err), "certificate verification failed");
		return;
	default:
		break;
	}
	wolfSSL_ERR_error_string_n((unsigned long)e, msg, sizeof(msg));
	snprintf(c->err, sizeof(c->err), "%s: %s (%d)", what, msg, e);
}

/* Map the result of a wolfSSL call that did not succeed. */
static int
tls_fail(struct tls_conn *c, int ret, const char *what)
{
	int e = wolfSSL_get_error(c->ssl, ret);

	switch (e) {
	case WOLFSSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case WOLFSSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case WOLFSSL_ERROR_ZERO_RETURN:
	case SOCKET_PEER_CLOSED_E:
		c->dead = 1;
		if (!c->done) {
			snprintf(c->err, sizeof(c->err), "%s: connection closed by the peer", what);
			return TLS_ERROR;
		}
		return TLS_EOF;
	default:
		c->dead = 1;
		tls_set_error(c, what, e);
		return TLS_ERROR;
	}
}

int
tls_handshake(struct tls_conn *c)
{
	int ret;

	if (c->done)
		return TLS_OK;
	ret = wolfSSL_connect(c->ssl);
	if (ret == WOLFSSL_SUCCESS) {
		c->done = 1;
		return TLS_OK;
	}
	return tls_fail(c, ret, "handshake failure");
}

ssize_t
tls_read(struct tls_conn *c, void *p, size_t n)
{
	int ret;

	if (n > INT_MAX)
		n = INT_MAX;
	ret = wolfSSL_read(c->ssl, p, (int)n);
	if (ret > 0)
		return ret;
	return tls_fail(c, ret, "read");
}

ssize_t
tls_write(struct tls_conn *c, const void *p, size_t n)
{
	int ret;

	if (n > INT_MAX) {
		snprintf(c->err, sizeof(c->err), "write of %zu bytes is too large", n);
		return TLS_ERROR;
	}
	if (n == 0)
		return 0;
	ret = wolfSSL_write(c->ssl, p, (int)n);
	if (ret > 0)
		return ret;
	return tls_fail(c, ret, "write");
}

int
tls_pending(const struct tls_conn *c)
{
	/* wolfSSL_pending takes a non-const pointer but only reads. */
	return wolfSSL_pending((WOLFSSL *)c->ssl) > 0 || wolfSSL_has_pending(c->ssl) ||
	       c->rb_off < c->rb_len;
}

int
tls_shutdown(struct tls_conn *c)
{
	int ret, e;

	if (c->shut || !c->done || c->dead)
		return TLS_OK;
	ret = wolfSSL_shutdown(c->ssl);
	if (ret == WOLFSSL_SUCCESS || ret == WOLFSSL_SHUTDOWN_NOT_DONE) {
		c->shut = 1;
		return TLS_OK;
	}
	e = wolfSSL_get_error(c->ssl, ret);
	if (e == WOLFSSL_ERROR_WANT_WRITE || e == WOLFSSL_ERROR_WANT_READ)
		return TLS_WANT_WRITE;
	c->dead = 1;
	tls_set_error(c, "shutdown", e);
	return TLS_ERROR;
}

const char *
tls_alpn_selected(struct tls_conn *c)
{
	char *name = NULL;
	word16 len = 0;

	if (wolfSSL_ALPN_GetProtocol(c->ssl, &name, &len) != WOLFSSL_SUCCESS || name == NULL ||
	    len > TLS_ALPN_MAX)
		return "";
	memcpy(c->alpn, name, len);
	c->alpn[len] = '\0';
	return c->alpn;
}

const char *
tls_version(const struct tls_conn *c)
{
	return wolfSSL_get_version(c->ssl);
}

const char *
tls_cipher(const struct tls_conn *c)
{
	const char *s = wolfSSL_get_cipher_name(c->ssl);

	return s != NULL ? s : "";
}

const char *
tls_error(const struct tls_conn *c)
{
	return c->err;
}

int
tls_error_is_verify(const struct tls_conn *c)
{
	return c->verify_failed;
}
