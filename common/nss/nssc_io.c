/* SPDX-License-Identifier: MIT */
/*
 * The bottom of the NSPR stack under NSS's SSL layer: NSS has no memory
 * BIO, so this layer stands in for a socket. recv/read take the next
 * queued datagram whole (DTLS) or stream bytes (TLS) and say
 * PR_WOULD_BLOCK_ERROR when there are none; send/write hand each buffer
 * to the session's send callback (NSS writes one datagram per call in
 * DTLS) and never block. Everything else a socket does is refused.
 */
#include "nss/nssc_int.h"

#include <string.h>

static PRDescIdentity io_identity = PR_INVALID_IO_LAYER;
static PRIOMethods io_methods;

static struct nssc *
io_sess(PRFileDesc *f)
{
	return (struct nssc *)(void *)f->secret;
}

static PRInt32
io_recv(PRFileDesc *f, void *buf, PRInt32 amount, PRIntn flags, PRIntervalTime timeout)
{
	struct nssc *c = io_sess(f);
	size_t n;

	(void)timeout;
	if (flags != 0 || amount < 0) {
		PR_SetError(PR_INVALID_ARGUMENT_ERROR, 0);
		return -1;
	}
	if (c->dtls) {
		if (c->dcount == 0)
			goto block;
		/* A datagram longer than the buffer is cut, as a socket would. */
		n = c->dlen[c->dhead];
		if (n > (size_t)amount)
			n = (size_t)amount;
		memcpy(buf, c->dq[c->dhead], n);
		c->dhead = (c->dhead + 1) % NSSC_INQ_MAX;
		c->dcount--;
		return (PRInt32)n;
	}
	if (c->slen == 0)
		goto block;
	n = c->slen < (size_t)amount ? c->slen : (size_t)amount;
	memcpy(buf, c->sbuf + c->soff, n);
	c->soff += n;
	c->slen -= n;
	if (c->slen == 0)
		c->soff = 0;
	return (PRInt32)n;
block:
	PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
	return -1;
}

static PRInt32
io_read(PRFileDesc *f, void *buf, PRInt32 amount)
{
	return io_recv(f, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

static PRInt32
io_send(PRFileDesc *f, const void *buf, PRInt32 amount, PRIntn flags, PRIntervalTime timeout)
{
	struct nssc *c = io_sess(f);

	(void)flags;
	(void)timeout;
	if (amount < 0 || (c->dtls && amount > NSSC_DGRAM_MAX)) {
		PR_SetError(PR_INVALID_ARGUMENT_ERROR, 0);
		return -1;
	}
	if (amount > 0 && c->cb.send)
		c->cb.send(c->cb.arg, buf, (size_t)amount);
	return amount;
}

static PRInt32
io_write(PRFileDesc *f, const void *buf, PRInt32 amount)
{
	return io_send(f, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

static PRStatus
io_close(PRFileDesc *f)
{
	f->secret = NULL;
	f->dtor(f);
	return PR_SUCCESS;
}

static PRInt32
io_available(PRFileDesc *f)
{
	struct nssc *c = io_sess(f);

	if (c->dtls)
		return c->dcount ? (PRInt32)c->dlen[c->dhead] : 0;
	return (PRInt32)c->slen;
}

/* NSS asks who the peer is for its session cache key; any fixed address serves. */
static PRStatus
io_getpeername(PRFileDesc *f, PRNetAddr *addr)
{
	(void)f;
	return PR_InitializeNetAddr(PR_IpAddrLoopback, 0, addr);
}

static PRStatus
io_getsockopt(PRFileDesc *f, PRSocketOptionData *d)
{
	(void)f;
	if (d->option == PR_SockOpt_Nonblocking) {
		d->value.non_blocking = PR_TRUE;
		return PR_SUCCESS;
	}
	PR_SetError(PR_NOT_IMPLEMENTED_ERROR, 0);
	return PR_FAILURE;
}

static PRStatus
io_setsockopt(PRFileDesc *f, const PRSocketOptionData *d)
{
	(void)f;
	(void)d;
	PR_SetError(PR_NOT_IMPLEMENTED_ERROR, 0);
	return PR_FAILURE;
}

static PRStatus
io_shutdown(PRFileDesc *f, PRIntn how)
{
	(void)f;
	(void)how;
	return PR_SUCCESS;
}

static PRInt16
io_poll(PRFileDesc *f, PRInt16 in_flags, PRInt16 *out_flags)
{
	(void)f;
	*out_flags = 0;
	return in_flags;
}

static PRInt32
io_writev(PRFileDesc *f, const PRIOVec *iov, PRInt32 n, PRIntervalTime timeout)
{
	(void)f;
	(void)iov;
	(void)n;
	(void)timeout;
	PR_SetError(PR_NOT_IMPLEMENTED_ERROR, 0);
	return -1;
}

static PRStatus
io_connect(PRFileDesc *f, const PRNetAddr *addr, PRIntervalTime timeout)
{
	(void)f;
	(void)addr;
	(void)timeout;
	PR_SetError(PR_NOT_IMPLEMENTED_ERROR, 0);
	return PR_FAILURE;
}

static void
io_methods_init(void)
{
	/* Start from the defaults (which forward to a lower layer there is
	 * none of) and replace every call NSS makes on its transport. */
	io_methods = *PR_GetDefaultIOMethods();
	io_methods.file_type = PR_DESC_LAYERED;
	io_methods.close = io_close;
	io_methods.read = io_read;
	io_methods.write = io_write;
	io_methods.available = io_available;
	io_methods.writev = io_writev;
	io_methods.connect = io_connect;
	io_methods.shutdown = io_shutdown;
	io_methods.recv = io_recv;
	io_methods.send = io_send;
	io_methods.poll = io_poll;
	io_methods.getpeername = io_getpeername;
	io_methods.getsockname = io_getpeername;
	io_methods.getsocketoption = io_getsockopt;
	io_methods.setsocketoption = io_setsockopt;
}

PRFileDesc *
nssc_io_new(struct nssc *c)
{
	PRFileDesc *f;

	if (io_identity == PR_INVALID_IO_LAYER) {
		io_identity = PR_GetUniqueIdentity("pipeworks-nssc");
		if (io_identity == PR_INVALID_IO_LAYER)
			return NULL;
		io_methods_init();
	}
	f = PR_CreateIOLayerStub(io_identity, &io_methods);
	if (f)
		f->secret = (PRFilePrivate *)(void *)c;
	return f;
}
