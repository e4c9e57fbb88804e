/* SPDX-License-Identifier: MIT */
/*
 * nssc on a socket: see nssfd.h. Two buffers: out (ciphertext NSS wrote,
 * not yet taken by the socket) and in (plaintext not yet handed out).
 * Plaintext is read from NSS only when in is empty, and nssc takes at
 * most NSSC_STREAM_IN_MAX of ciphertext at a time, so in never holds
 * more than one socket read's worth.
 */
#include "nss/nssfd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nss/nssc.h"

#define NSSFD_READ 16384

struct nssfd {
	int fd;
	struct nssc *c;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	uint8_t *in;
	size_t in_off, in_len, in_cap;
	size_t owed;  /* bytes taken by a write that said WANT_WRITE */
	int started, eof, closed, failed, oom;
	char err[NSSC_ERR_MAX + 64];
};

static int
grow(uint8_t **b, size_t *cap, size_t need, size_t max)
{
	size_t c = *cap ? *cap : 16384;
	uint8_t *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (need > max)
		return -1;
	if (c > max)
		c = max;
	if ((p = realloc(*b, c)) == NULL)
		return -1;
	*b = p;
	*cap = c;
	return 0;
}

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	struct nssfd *f = arg;

	if (f->out_off > 0 && f->out_len == 0)
		f->out_off = 0;
	if (f->out_off > 0 && f->out_off + f->out_len + n > f->out_cap) {
		memmove(f->out, f->out + f->out_off, f->out_len);
		f->out_off = 0;
	}
	if (grow(&f->out, &f->out_cap, f->out_off + f->out_len + n, NSSFD_OUT_MAX) < 0) {
		f->oom = 1;
		return;
	}
	memcpy(f->out + f->out_off + f->out_len, p, n);
	f->out_len += n;
}

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	struct nssfd *f = arg;

	if (f->in_len == 0)
		f->in_off = 0;
	if (f->in_off > 0 && f->in_off + f->in_len + n > f->in_cap) {
		memmove(f->in, f->in + f->in_off, f->in_len);
		f->in_off = 0;
	}
	/* nssc hands over at most what one input held, plus NSS's own buffer. */
	if (grow(&f->in, &f->in_cap, f->in_off + f->in_len + n, 4 * NSSC_STREAM_IN_MAX) < 0) {
		f->oom = 1;
		return;
	}
	memcpy(f->in + f->in_off + f->in_len, p, n);
	f->in_len += n;
}

static void
on_event(void *arg, enum nssc_event ev)
{
	struct nssfd *f = arg;

	if (ev == NSSC_EV_CLOSED)
		f->closed = 1;
	else if (ev == NSSC_EV_ERROR)
		f->failed = 1;
}

static int
fail(struct nssfd *f, const char *why)
{
	if (f->err[0] == '\0')
		snprintf(f->err, sizeof(f->err), "%s", why);
	f->failed = 1;
	return NSSFD_ERROR;
}

static int
check(struct nssfd *f)
{
	if (f->oom)
		return fail(f, "out of memory (TLS buffers)");
	if (f->failed || !f->c)
		return fail(f, nssc_error(f->c)[0] ? nssc_error(f->c) : "TLS failure");
	return NSSFD_OK;
}

/* Put waiting ciphertext on the socket: OK when none is left, WANT_WRITE or ERROR. */
static int
flush(struct nssfd *f)
{
	ssize_t w;

	while (f->out_len > 0) {
		w = write(f->fd, f->out + f->out_off, f->out_len);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return NSSFD_WANT_WRITE;
		if (w < 0) {
			if (f->err[0] == '\0')
				snprintf(f->err, sizeof(f->err), "send: %s", strerror(errno));
			return fail(f, "");
		}
		f->out_off += (size_t)w;
		f->out_len -= (size_t)w;
	}
	f->out_off = 0;
	return NSSFD_OK;
}

/* One socket read into NSS: OK (fed), WANT_READ, EOF or ERROR. */
static int
feed(struct nssfd *f)
{
	uint8_t b[NSSFD_READ];
	ssize_t r, t;
	size_t off = 0;

	r = read(f->fd, b, sizeof(b));
	if (r == 0) {
		f->eof = 1;
		return NSSFD_EOF;
	}
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return NSSFD_WANT_READ;
		if (f->err[0] == '\0')
			snprintf(f->err, sizeof(f->err), "receive: %s", strerror(errno));
		return fail(f, "");
	}
	while (off < (size_t)r) {
		t = nssc_input(f->c, b + off, (size_t)r - off);
		if (t <= 0 || check(f) != NSSFD_OK)
			return fail(f, nssc_error(f->c)[0] ? nssc_error(f->c) : "TLS input refused");
		off += (size_t)t;
	}
	return NSSFD_OK;
}

struct nssfd *
nssfd_new(int fd, const struct nssfd_opts *o, char *err, size_t errlen)
{
	struct nssfd *f;
	struct nssc_opts no = { 0 };
	const struct nssc_cb cb = { on_send, on_data, on_event, NULL };
	struct nssc_cb cbf = cb;

	if (o->verify_name == NULL || o->verify_name[0] == '\0') {
		snprintf(err, errlen, "no name to verify the certificate against");
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->fd = fd;
	cbf.arg = f;
	no.persona = o->persona ? o->persona : &persona_firefox_https;
	no.sni = o->sni;
	no.verify_name = o->verify_name;
	no.alpn = o->alpn;
	if (no.persona->dtls || (f->c = nssc_new(&no, &cbf, err, errlen)) == NULL) {
		if (no.persona->dtls)
			snprintf(err, errlen, "persona %s is not for TLS", no.persona->name);
		free(f);
		return NULL;
	}
	return f;
}

void
nssfd_free(struct nssfd *f)
{
	if (f == NULL)
		return;
	if (f->c && nssc_connected(f->c) && !f->failed && !f->closed && !f->eof) {
		f->out_len = 0;
		nssc_close(f->c);
		(void)flush(f);
	}
	nssc_free(f->c);
	free(f->out);
	free(f->in);
	free(f);
}

int
nssfd_handshake(struct nssfd *f)
{
	int r;

	if (check(f) != NSSFD_OK)
		return NSSFD_ERROR;
	if (!f->started) {
		f->started = 1;
		if (nssc_start(f->c) < 0 || check(f) != NSSFD_OK)
			return fail(f, nssc_error(f->c));
	}
	for (;;) {
		if ((r = flush(f)) != NSSFD_OK)
			return r;
		if (nssc_connected(f->c))
			return NSSFD_OK;
		r = feed(f);
		if (r == NSSFD_EOF)
			return fail(f, "the server closed the connection during the handshake");
		if (r != NSSFD_OK)
			return r;
	}
}

ssize_t
nssfd_read(struct nssfd *f, void *p, size_t n)
{
	int r;

	while (f->in_len == 0) {
		if (f->closed || f->eof)
			return NSSFD_EOF;
		if (check(f) != NSSFD_OK)
			return NSSFD_ERROR;
		r = feed(f);
		if (f->out_len > 0 && flush(f) == NSSFD_ERROR)
			return NSSFD_ERROR;
		if (r == NSSFD_EOF && f->in_len == 0)
			return NSSFD_EOF;
		if (r != NSSFD_OK && r != NSSFD_EOF)
			return r;
	}
	if (n > f->in_len)
		n = f->in_len;
	memcpy(p, f->in + f->in_off, n);
	f->in_off += n;
	f->in_len -= n;
	return (ssize_t)n;
}

ssize_t
nssfd_write(struct nssfd *f, const void *p, size_t n)
{
	ssize_t w;
	size_t done = 0, take, owed;
	int r;

	if (check(f) != NSSFD_OK)
		return NSSFD_ERROR;
	r = flush(f);
	if (f->owed > 0 && r == NSSFD_OK) {
		owed = f->owed;
		f->owed = 0;
		return (ssize_t)(owed < n ? owed : n);
	}
	if (r != NSSFD_OK)
		return r;
	take = n < NSSFD_WRITE_MAX ? n : NSSFD_WRITE_MAX;
	while (done < take) {
		w = nssc_write(f->c, (const uint8_t *)p + done, take - done);
		if (w <= 0 || check(f) != NSSFD_OK)
			return fail(f, nssc_error(f->c)[0] ? nssc_error(f->c) : "write refused");
		done += (size_t)w;
	}
	if ((r = flush(f)) == NSSFD_WANT_WRITE) {
		f->owed = take;
		return NSSFD_WANT_WRITE;
	}
	return r == NSSFD_OK ? (ssize_t)take : r;
}

int
nssfd_pending(const struct nssfd *f)
{
	return f->in_len > 0;
}

const char *
nssfd_alpn(const struct nssfd *f)
{
	return nssc_alpn(f->c);
}

const char *
nssfd_version(const struct nssfd *f)
{
	return nssc_version(f->c);
}

unsigned
nssfd_cipher(const struct nssfd *f)
{
	return nssc_cipher(f->c);
}

const char *
nssfd_error(const struct nssfd *f)
{
	return f->err[0] ? f->err : nssc_error(f->c);
}

int
nssfd_error_is_verify(const struct nssfd *f)
{
	return nssc_error_is_verify(f->c);
}

/* nssfd behind base/tlsops.h, the Firefox HTTPS persona. */
static void *
ops_open(int fd, const char *sni, const char *verify_name, const char *alpn, char *err, size_t errlen)
{
	struct nssfd_opts o = { 0 };

	o.sni = sni;
	o.verify_name = verify_name;
	o.alpn = alpn;
	return nssfd_new(fd, &o, err, errlen);
}

static int
ops_handshake(void *s)
{
	return nssfd_handshake(s);
}

static ssize_t
ops_read(void *s, void *p, size_t n)
{
	return nssfd_read(s, p, n);
}

static ssize_t
ops_write(void *s, const void *p, size_t n)
{
	return nssfd_write(s, p, n);
}

static const char *
ops_error(const void *s)
{
	return nssfd_error(s);
}

static void
ops_close(void *s)
{
	nssfd_free(s);
}

_Static_assert((int)NSSFD_WANT_READ == (int)TLSOPS_WANT_READ &&
                       (int)NSSFD_WANT_WRITE == (int)TLSOPS_WANT_WRITE &&
                       (int)NSSFD_EOF == (int)TLSOPS_EOF && (int)NSSFD_ERROR == (int)TLSOPS_ERROR &&
                       (int)NSSFD_OK == (int)TLSOPS_OK,
               "nssfd.h and base/tlsops.h results differ");

const struct tlsops nssfd_tlsops = {
	ops_open, ops_handshake, ops_read, ops_write, ops_error, ops_close,
};
