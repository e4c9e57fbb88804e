/* SPDX-License-Identifier: MIT */
/*
 * One connection to the front, plain or TLS, as both transports use it:
 * which front to dial, the TLS names (SNI and the name to verify) for
 * it, and reads and writes with tls_rc results. The socket's watcher
 * and state machine stay with the transport.
 */
#include "meekc_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "net/net.h"
#include "nss/nssfd.h"
#include "tls/crypto.h"
#include "tls/tls.h"

int
meekc_sock_open(struct meekc *m, struct meekc_sock *k)
{
	const struct meekc_config *cfg = m->cfg;
	uint32_t r = 0;
	char a[NET_ADDRSTR_MAX];

	if (cfg->naddrs > 1 && crypto_random(&r, sizeof(r)) == -1)
		r = 0;
	k->addr = cfg->naddrs > 1 ? r % cfg->naddrs : 0;
	k->want_write = 0;
	k->tc = NULL;
	k->nf = NULL;
	k->fd = net_connect_addr((const struct sockaddr *)&cfg->addrs[k->addr], cfg->addrlens[k->addr]);
	if (k->fd == -1) {
		net_addr_format((const struct sockaddr *)&cfg->addrs[k->addr], a, sizeof(a));
		log_debug("connect %s: %s", a, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Firefox's hello: the persona's ALPN (h2,http/1.1) on every connection,
 * as Firefox sends it, except with --http1, which offers http/1.1 alone.
 */
static int
sock_nss(const struct meekc_config *cfg, struct meekc_sock *k, const struct tls_conn_opts *t,
         char *why, size_t len)
{
	struct nssfd_opts o = { 0 };
	char err[TLS_ERR_MAX];

	o.sni = t->sni;
	o.verify_name = t->verify_name;
	o.alpn = cfg->http1 ? "http/1.1" : NULL;
	k->nf = nssfd_new(k->fd, &o, err, sizeof(err));
	if (k->nf == NULL) {
		snprintf(why, len, "TLS: %s", err);
		return -1;
	}
	return 0;
}

int
meekc_sock_tls(struct meekc *m, struct meekc_sock *k, const char *alpn, char *why, size_t len)
{
	const struct meekc_config *cfg = m->cfg;
	struct tls_conn_opts o = { 0 };
	char err[TLS_ERR_MAX];

	if (cfg->nfronts > 0) {
		o.sni = cfg->fronts[k->addr].sni;
		o.verify_name = cfg->fronts[k->addr].verify;
	} else {
		/* RFC 6066: SNI carries names, never address literals. */
		o.sni = cfg->url.host_is_ip ? NULL : cfg->url.host;
		o.verify_name = cfg->url.host;
	}
	o.alpn = alpn;
	if (cfg->tls_firefox)
		return sock_nss(cfg, k, &o, why, len);
	k->tc = tls_conn_new(m->tls, k->fd, &o, err, sizeof(err));
	if (k->tc == NULL) {
		snprintf(why, len, "TLS: %s", err);
		return -1;
	}
	return 0;
}

void
meekc_sock_close(struct meekc_sock *k)
{
	if (k->fd == -1)
		return;
	tls_conn_free(k->tc); /* sends close_notify when the session is sound */
	k->tc = NULL;
	nssfd_free(k->nf);
	k->nf = NULL;
	close(k->fd);
	k->fd = -1;
	k->want_write = 0;
}

_Static_assert((int)NSSFD_WANT_READ == (int)TLS_WANT_READ &&
                       (int)NSSFD_WANT_WRITE == (int)TLS_WANT_WRITE &&
                       (int)NSSFD_EOF == (int)TLS_EOF && (int)NSSFD_ERROR == (int)TLS_ERROR &&
                       (int)NSSFD_OK == (int)TLS_OK,
               "nssfd.h and tls.h results differ");

int
meekc_sock_secure(const struct meekc_sock *k)
{
	return k->tc != NULL || k->nf != NULL;
}

const char *
meekc_sock_alpn(const struct meekc_sock *k)
{
	if (k->nf != NULL)
		return nssfd_alpn(k->nf);
	return k->tc != NULL ? tls_alpn_selected(k->tc) : "";
}

const char *
meekc_sock_version(const struct meekc_sock *k)
{
	if (k->nf != NULL)
		return nssfd_version(k->nf);
	return k->tc != NULL ? tls_version(k->tc) : "";
}

ssize_t
meekc_sock_read(struct meekc_sock *k, void *p, size_t n)
{
	ssize_t r;

	if (k->nf != NULL) {
		r = nssfd_read(k->nf, p, n);
		k->want_write = r == NSSFD_WANT_WRITE;
		return r;
	}
	if (k->tc != NULL) {
		r = tls_read(k->tc, p, n);
		k->want_write = r == TLS_WANT_WRITE;
		return r;
	}
	r = read(k->fd, p, n);
	if (r > 0)
		return r;
	if (r == 0)
		return TLS_EOF;
	return errno == EAGAIN || errno == EINTR ? TLS_WANT_READ : TLS_ERROR;
}

ssize_t
meekc_sock_write(struct meekc_sock *k, const void *p, size_t n)
{
	ssize_t r;

	if (k->nf != NULL) {
		r = nssfd_write(k->nf, p, n);
		k->want_write = r == NSSFD_WANT_WRITE;
		return r;
	}
	if (k->tc != NULL) {
		r = tls_write(k->tc, p, n);
		k->want_write = r != TLS_WANT_READ;
		return r;
	}
	r = write(k->fd, p, n);
	if (r >= 0)
		return r;
	return errno == EAGAIN || errno == EINTR ? TLS_WANT_WRITE : TLS_ERROR;
}

const char *
meekc_sock_why(const struct meekc_sock *k, ssize_t r, const char *what)
{
	static char why[TLS_ERR_MAX + 64];

	if (r == TLS_EOF)
		snprintf(why, sizeof(why), "%s: connection closed", what);
	else if (k->nf != NULL && nssfd_error(k->nf)[0] != '\0')
		snprintf(why, sizeof(why), "%s: %s", what, nssfd_error(k->nf));
	else if (k->tc != NULL && tls_error(k->tc)[0] != '\0')
		snprintf(why, sizeof(why), "%s: %s", what, tls_error(k->tc));
	else
		snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	return why;
}

static int
sock_nss_handshake(struct meekc_sock *k, char *why, size_t len)
{
	int r = nssfd_handshake(k->nf);

	k->want_write = r == NSSFD_WANT_WRITE;
	if (r == NSSFD_WANT_READ || r == NSSFD_WANT_WRITE)
		return 0;
	if (r != NSSFD_OK) {
		snprintf(why, len, "TLS: %s", nssfd_error(k->nf));
		return nssfd_error_is_verify(k->nf) ? -2 : -1;
	}
	log_debug("TLS (NSS, Firefox): %s, ALPN %s, cipher 0x%04x", nssfd_version(k->nf),
	          nssfd_alpn(k->nf)[0] ? nssfd_alpn(k->nf) : "none", nssfd_cipher(k->nf));
	return 1;
}

int
meekc_sock_handshake(struct meekc *m, struct meekc_sock *k, char *why, size_t len)
{
	int r;

	if (k->nf != NULL)
		return sock_nss_handshake(k, why, len);
	r = tls_handshake(k->tc);

	k->want_write = r == TLS_WANT_WRITE;
	if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
		return 0;
	if (r != TLS_OK) {
		if (tls_error_is_verify(k->tc)) {
			snprintf(why, len, "TLS: %s", tls_error(k->tc));
			return -2;
		}
		snprintf(why, len, "%s", meekc_sock_why(k, r, "TLS"));
		return -1;
	}
	(void)m;
	log_debug("TLS: %s, ALPN %s, %s", tls_version(k->tc), tls_alpn_selected(k->tc),
	          tls_cipher(k->tc));
	return 1;
}
