/* SPDX-License-Identifier: MIT */
/*
 * A persona turned into NSS settings on one SSL fd, and the hooks that
 * make up the rest: use_srtp through the extension hook (so it keeps
 * the browser's place, last, and its GCM profiles, which NSS's own
 * SSL_SetSRTPCiphers would drop), the peer check by fingerprint, and
 * our certificate for a server that asks for one.
 */
#include "nss/nssc_int.h"

#include <pk11pub.h>
#include <secoid.h>
#include <sslexp.h>
#include <sslproto.h>
#include <stdio.h>
#include <string.h>

static PRUint16
nss_version(uint16_t wire)
{
	switch (wire) {
	case PERSONA_DTLS13:
	case PERSONA_TLS13:
		return SSL_LIBRARY_VERSION_TLS_1_3;
	default:
		return SSL_LIBRARY_VERSION_TLS_1_2;
	}
}

/*
 * Has this handshake settled on (D)TLS 1.3? NSS knows the version once it
 * has read the ClientHello (server) or the ServerHello's supported_versions
 * (client), before any extension of those messages is written or handled.
 */
static int
is_tls13(PRFileDesc *fd)
{
	SSLPreliminaryChannelInfo pi;

	return SSL_GetPreliminaryChannelInfo(fd, &pi, sizeof(pi)) == SECSuccess &&
	       (pi.valuesSet & ssl_preinfo_version) && pi.protocolVersion >= SSL_LIBRARY_VERSION_TLS_1_3;
}

/*
 * NSS calls a custom hook's writer for every message that carries
 * extensions and leaves the placement to it (and skips its own TLS 1.3
 * placement check for hooked extensions): a server answers use_srtp in
 * the ServerHello under DTLS 1.2 only, and in EncryptedExtensions under
 * DTLS 1.3 (RFC 8446 4.2), as NSS's own handler does for Firefox.
 */
static PRBool
srtp_write(PRFileDesc *fd, SSLHandshakeType msg, PRUint8 *data, unsigned int *len,
           unsigned int max, void *arg)
{
	struct nssc *c = arg;
	size_t n = 0;

	if (!c->server && msg == ssl_hs_client_hello)
		n = persona_srtp_write(c->p.srtp, c->p.nsrtp, data, max);
	else if (c->server && c->srtp &&
	         (msg == ssl_hs_encrypted_extensions || (msg == ssl_hs_server_hello && !is_tls13(fd))))
		n = persona_srtp_write(&c->srtp, 1, data, max);
	*len = (unsigned int)n;
	return n > 0;
}

static SECStatus
srtp_handle(PRFileDesc *fd, SSLHandshakeType msg, const PRUint8 *data, unsigned int len,
            SSLAlertDescription *alert, void *arg)
{
	struct nssc *c = arg;
	uint16_t chosen;

	if (c->server ? msg != ssl_hs_client_hello
	              : msg != ssl_hs_server_hello && msg != ssl_hs_encrypted_extensions)
		return SECSuccess;
	/* Firefox (NSS's own handler) refuses use_srtp in a DTLS 1.3 ServerHello. */
	if (!c->server && msg == ssl_hs_server_hello && is_tls13(fd)) {
		*alert = 47; /* illegal_parameter (RFC 8446 4.2) */
		nssc_fail(c, "use_srtp in a DTLS 1.3 ServerHello");
		return SECFailure;
	}
	if (persona_srtp_pick(data, len, c->p.srtp, c->p.nsrtp, !c->server, &chosen) < 0 ||
	    (!c->server && chosen == 0)) {
		*alert = 47; /* illegal_parameter (RFC 8446 6.2) */
		nssc_fail(c, "bad use_srtp extension");
		return SECFailure;
	}
	c->srtp = chosen;
	return SECSuccess;
}

/* The peer's certificate is acceptable if its fingerprint is the pinned one. */
static SECStatus
auth_cert(void *arg, PRFileDesc *fd, PRBool checksig, PRBool is_server)
{
	struct nssc *c = arg;
	CERTCertificate *cert = SSL_PeerCertificate(fd);
	SECStatus rv;

	(void)checksig;
	(void)is_server;
	if (cert == NULL)
		return SECFailure;
	rv = PK11_HashBuf(SEC_OID_SHA256, c->peer_fp, cert->derCert.data,
	                  (PRInt32)cert->derCert.len);
	CERT_DestroyCertificate(cert);
	if (rv != SECSuccess)
		return SECFailure;
	c->has_peer_fp = 1;
	if (c->verify_name[0] && !c->server) {
		cert = SSL_PeerCertificate(fd);
		rv = cert ? (nssc_trust_verify(c, cert) == 0 ? SECSuccess : SECFailure) : SECFailure;
		if (cert)
			CERT_DestroyCertificate(cert);
		if (rv != SECSuccess)
			return SECFailure;
	}
	if (c->has_pin && !fp_equal(c->pin, c->peer_fp)) {
		nssc_fail(c, "peer certificate fingerprint differs from the pin");
		PR_SetError(SSL_ERROR_BAD_CERTIFICATE, 0);
		return SECFailure;
	}
	return SECSuccess;
}

static SECStatus
client_auth(void *arg, PRFileDesc *fd, CERTDistNames *names, CERTCertificate **cert,
            SECKEYPrivateKey **key)
{
	struct nssc *c = arg;

	(void)fd;
	(void)names;
	if (c->id == NULL)
		return SECFailure;
	*cert = CERT_DupCertificate(c->id->cert);
	*key = SECKEY_CopyPrivateKey(c->id->key);
	return *cert && *key ? SECSuccess : SECFailure;
}

/*
 * "a,b,c" to the list NSS wants. NSS keeps the NPN-era convention that
 * the first entry is the fallback and sends it last in the ALPN
 * extension, so to put "a,b,c" on the wire it is given "c a b", each
 * name after its length byte.
 */
static int
alpn_wire(const char *s, unsigned char *out, size_t max, unsigned int *len)
{
	const char *last = strrchr(s, ',');
	size_t n = 0, first_len;

	last = last ? last + 1 : s;
	first_len = strlen(last);
	if (first_len == 0 || first_len > 255 || (size_t)(last - s) + first_len + 1 > max)
		return -1;
	out[n++] = (unsigned char)first_len;
	memcpy(out + n, last, first_len);
	n += first_len;
	while (s < last) {
		size_t start = n++;

		while (*s != ',') {
			if (n >= max)
				return -1;
			out[n++] = (unsigned char)*s++;
		}
		s++;
		out[start] = (unsigned char)(n - start - 1);
	}
	*len = (unsigned int)n;
	return 0;
}

static int
setup_ciphers(struct nssc *c)
{
	size_t i;

	for (i = 0; i < SSL_NumImplementedCiphers; i++)
		SSL_CipherPrefSet(c->fd, SSL_ImplementedCiphers[i], PR_FALSE);
	for (i = 0; i < c->p.nciphers; i++)
		if (SSL_CipherPrefSet(c->fd, c->p.ciphers[i], PR_TRUE) != SECSuccess)
			return -1;
	return 0;
}

static int
setup_groups(struct nssc *c)
{
	SSLNamedGroup g[PERSONA_GROUPS_MAX];
	SSLSignatureScheme s[PERSONA_SIGALGS_MAX];
	size_t i;

	/* NSS's enums are the wire codepoints, including ones newer than our headers. */
	for (i = 0; i < c->p.ngroups; i++)
		g[i] = (SSLNamedGroup)c->p.groups[i];
	for (i = 0; i < c->p.nsigalgs; i++)
		s[i] = (SSLSignatureScheme)c->p.sigalgs[i];
	if (SSL_NamedGroupConfig(c->fd, g, (unsigned int)c->p.ngroups) != SECSuccess ||
	    SSL_SignatureSchemePrefSet(c->fd, s, (unsigned int)c->p.nsigalgs) != SECSuccess)
		return -1;
	if (c->p.key_shares > 1 &&
	    SSL_SendAdditionalKeyShares(c->fd, c->p.key_shares - 1) != SECSuccess)
		return -1;
	return 0;
}

static int
setup_options(struct nssc *c)
{
	const struct persona *p = &c->p;
	static const struct {
		PRInt32 opt;
		PRIntn val;
	} fixed[] = {
		{ SSL_SECURITY, PR_TRUE },
		{ SSL_NO_LOCKS, PR_TRUE },      /* one thread */
		{ SSL_ENABLE_RENEGOTIATION, SSL_RENEGOTIATE_NEVER },
		{ SSL_ENABLE_EXTENDED_MASTER_SECRET, PR_TRUE },
		{ SSL_ENABLE_ALPN, PR_TRUE },
		{ SSL_REUSE_SERVER_ECDHE_KEY, PR_FALSE },
		{ SSL_ENABLE_FALSE_START, PR_FALSE },
	};
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (SSL_OptionSet(c->fd, fixed[i].opt, fixed[i].val) != SECSuccess)
			return -1;
	/*
	 * WebRTC never resumes (Firefox disables the cache for DTLS); an HTTPS
	 * client keeps it, and NSS sends psk_key_exchange_modes only then.
	 */
	if (SSL_OptionSet(c->fd, SSL_NO_CACHE, c->dtls) != SECSuccess ||
	    SSL_OptionSet(c->fd, SSL_HANDSHAKE_AS_CLIENT, !c->server) != SECSuccess ||
	    SSL_OptionSet(c->fd, SSL_HANDSHAKE_AS_SERVER, c->server) != SECSuccess ||
	    SSL_OptionSet(c->fd, SSL_ENABLE_SESSION_TICKETS, p->session_tickets) != SECSuccess ||
	    SSL_OptionSet(c->fd, SSL_ENABLE_TLS13_COMPAT_MODE, p->compat_session_id) !=
	            SECSuccess ||
	    SSL_OptionSet(c->fd, SSL_ENABLE_OCSP_STAPLING, p->ocsp) != SECSuccess ||
	    SSL_OptionSet(c->fd, SSL_ENABLE_SIGNED_CERT_TIMESTAMPS, p->sct) != SECSuccess ||
	    SSL_OptionSet(c->fd, SSL_ENABLE_DELEGATED_CREDENTIALS, p->delegated_creds) !=
	            SECSuccess)
		return -1;
	return 0;
}

static int
setup_versions(struct nssc *c)
{
	SSLVersionRange vr;

	vr.min = nss_version(c->p.vmin);
	vr.max = nss_version(c->p.vmax);
	if (SSL_VersionRangeSet(c->fd, &vr) != SECSuccess)
		return -1;
	if (c->dtls && vr.max == SSL_LIBRARY_VERSION_TLS_1_3 && c->p.dtls13_workaround &&
	    SSL_SetDtls13VersionWorkaround(c->fd, PR_TRUE) != SECSuccess)
		return -1;
	return 0;
}

static int
setup_extensions(struct nssc *c, const struct nssc_opts *o)
{
	unsigned char alpn[PERSONA_ALPN_MAX + 1];
	unsigned int alen;
	PRNetAddr addr;

	if (c->p.alpn[0]) {
		if (alpn_wire(c->p.alpn, alpn, sizeof(alpn), &alen) < 0 ||
		    SSL_SetNextProtoNego(c->fd, alpn, alen) != SECSuccess)
			return -1;
	}
	if (c->p.nsrtp && SSL_InstallExtensionHooks(c->fd, PERSONA_EXT_USE_SRTP, srtp_write, c,
	                                            srtp_handle, c) != SECSuccess)
		return -1;
	if (!c->server && c->p.ech_grease && c->p.vmax == PERSONA_TLS13) {
		if (SSL_EnableTls13GreaseEch(c->fd, PR_TRUE) != SECSuccess)
			return -1;
	}
	/*
	 * NSS's session cache needs a URL, and NSS sends no server_name for an
	 * IP literal (RFC 6066 3): with no name to send, an unspecified address
	 * stands in.
	 */
	if (!c->server && SSL_SetURL(c->fd, o->sni && *o->sni &&
	                                    PR_StringToNetAddr(o->sni, &addr) != PR_SUCCESS
	                                    ? o->sni : "0.0.0.0") != SECSuccess)
		return -1;
	return 0;
}

static int
setup_auth(struct nssc *c)
{
	if (SSL_AuthCertificateHook(c->fd, auth_cert, c) != SECSuccess)
		return -1;
	if (c->server) {
		if (SSL_ConfigServerCert(c->fd, c->id->cert, c->id->key, NULL, 0) != SECSuccess ||
		    SSL_OptionSet(c->fd, SSL_REQUEST_CERTIFICATE, PR_TRUE) != SECSuccess ||
		    SSL_OptionSet(c->fd, SSL_REQUIRE_CERTIFICATE,
		                  c->has_pin ? SSL_REQUIRE_ALWAYS : SSL_REQUIRE_NO_ERROR) !=
		            SECSuccess)
			return -1;
	} else if (c->id && SSL_GetClientAuthDataHook(c->fd, client_auth, c) != SECSuccess) {
		return -1;
	}
	return 0;
}

int
nssc_setup(struct nssc *c, const struct nssc_opts *o)
{
	if (setup_options(c) < 0)
		return nssc_fail(c, "SSL_OptionSet"), -1;
	if (setup_versions(c) < 0)
		return nssc_fail(c, "SSL_VersionRangeSet"), -1;
	if (setup_ciphers(c) < 0)
		return nssc_fail(c, "SSL_CipherPrefSet"), -1;
	if (setup_groups(c) < 0)
		return nssc_fail(c, "groups or signature schemes"), -1;
	if (setup_extensions(c, o) < 0)
		return nssc_fail(c, "extensions"), -1;
	if (nssc_certcomp_setup(c, o) < 0)
		return nssc_fail(c, "certificate compression"), -1;
	if (setup_auth(c) < 0)
		return nssc_fail(c, "certificate setup"), -1;
	return 0;
}
