/* SPDX-License-Identifier: MIT */
/*
 * A TLS client on NSS over a connected, non-blocking socket, with the
 * calls and results of tls/tls.h (the wolfSSL client), so a program can
 * offer both behind one switch: meek-client's --tls firefox. The hello
 * is a persona's (persona.h, firefox-https by default); the server is
 * verified the Web PKI way against nssc_trust_load's anchors and a name
 * independent of the SNI (domain fronting), as tls.h does.
 *
 * Built on nssc (memory I/O): what NSS writes waits in an output buffer
 * until the socket takes it, and decrypted bytes wait in an input buffer
 * until nssfd_read hands them out. Results: a byte count (> 0) or one of
 * the NSSFD_ codes, which equal tls.h's TLS_ codes. nssfd_write takes
 * at most NSSFD_WRITE_MAX bytes a call and says how many; after
 * NSSFD_WANT_WRITE, call it again with the same bytes once the socket is
 * writable (they were taken; the call then says how many).
 * Keep calling nssfd_read until it says NSSFD_WANT_READ: bytes may wait
 * here while the socket is not readable. Single-threaded; never closes
 * the socket.
 */
#ifndef PW_NSS_NSSFD_H
#define PW_NSS_NSSFD_H

#include <stddef.h>
#include <sys/types.h>

#include "base/tlsops.h"
#include "nss/persona.h"

#define NSSFD_WRITE_MAX (256 << 10) /* plaintext taken by one nssfd_write */
#define NSSFD_OUT_MAX (1 << 20)     /* encrypted bytes waiting for the socket */

enum nssfd_rc {
	NSSFD_OK = 0,
	NSSFD_WANT_READ = -1,
	NSSFD_WANT_WRITE = -2,
	NSSFD_EOF = -3,
	NSSFD_ERROR = -4,
};

struct nssfd_opts {
	const struct persona *persona; /* NULL: firefox-https */
	const char *sni;         /* server_name; NULL, "" or an IP literal sends none */
	const char *verify_name; /* required: the name the certificate must carry */
	const char *alpn;        /* NULL: the persona's list */
};

struct nssfd;
/* After nssc_global_init and nssc_trust_load. NULL with a reason in err. */
struct nssfd *nssfd_new(int fd, const struct nssfd_opts *o, char *err, size_t errlen);
/* close_notify if the session is sound (best effort, never blocks), then free. */
void nssfd_free(struct nssfd *f);
/* NSSFD_OK once connected and our last flight is on the socket, else WANT_… or ERROR. */
int nssfd_handshake(struct nssfd *f);
ssize_t nssfd_read(struct nssfd *f, void *p, size_t n);
ssize_t nssfd_write(struct nssfd *f, const void *p, size_t n);
/* Non-zero when decrypted bytes wait here. */
int nssfd_pending(const struct nssfd *f);
const char *nssfd_alpn(const struct nssfd *f);
const char *nssfd_version(const struct nssfd *f);
/* The cipher suite's IANA value. */
unsigned nssfd_cipher(const struct nssfd *f);
const char *nssfd_error(const struct nssfd *f);
int nssfd_error_is_verify(const struct nssfd *f);

/* These calls behind base/tlsops.h (persona firefox-https), for net/hpost's https://. */
extern const struct tlsops nssfd_tlsops;

#endif
