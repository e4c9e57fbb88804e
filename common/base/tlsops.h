/* SPDX-License-Identifier: MIT */
/*
 * A TLS client session behind function pointers, so that code below the
 * TLS adapters (net/hpost) can speak TLS through whichever adapter the
 * program links and chooses: the adapter fills one const struct tlsops
 * (nss/nssfd.h: nssfd_tlsops, the Firefox persona) and the program hands
 * it down. Results as tls/tls.h: a byte count (> 0), or TLSOPS_WANT_READ,
 * TLSOPS_WANT_WRITE (wait for the socket, call again; write: with the
 * same bytes), TLSOPS_EOF, TLSOPS_ERROR. write may take fewer bytes than
 * asked and says how many. read may hold bytes while the socket is not
 * readable: call it until it says TLSOPS_WANT_READ.
 */
#ifndef PW_BASE_TLSOPS_H
#define PW_BASE_TLSOPS_H

#include <stddef.h>
#include <sys/types.h>

enum tlsops_rc {
	TLSOPS_OK = 0,
	TLSOPS_WANT_READ = -1,
	TLSOPS_WANT_WRITE = -2,
	TLSOPS_EOF = -3,
	TLSOPS_ERROR = -4,
};

struct tlsops {
	/* A session on fd (connected, non-blocking; never closed by it). sni NULL or "": none sent. */
	void *(*open)(int fd, const char *sni, const char *verify_name, const char *alpn, char *err,
	              size_t errlen);
	int (*handshake)(void *s); /* TLSOPS_OK once connected */
	ssize_t (*read)(void *s, void *p, size_t n);
	ssize_t (*write)(void *s, const void *p, size_t n);
	const char *(*error)(const void *s); /* what failed last, for a one-line reason */
	void (*close)(void *s);              /* close_notify when sound, then free */
};

#endif
