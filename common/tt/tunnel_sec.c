/* SPDX-License-Identifier: MIT */
/*
 * Secure mode of the session engine (tunnel.h): TLS 1.3 records in
 * KCP's byte stream, smux frames as their application data.
 *
 *   out: smux output -> tlsmem_write -> send callback -> kcp_send
 *   in:  pump -> tlsmem_read (recv callback: kcp_recv) -> rx
 *        -> credentials or status byte (the preface) -> smux_input
 *
 * A record is written only when KCP has room for all of it, so wolfSSL
 * never holds a half-sent record of smux's: KCP's send cap stays the one
 * bound on what is queued, and smux keeps its frame until there is room.
 * wolfSSL's own buffers (a record each way) are charged to the session
 * as TLSMEM_COST.
 */
#include "tt/tunnel_int.h"

#include <stdio.h>
#include <string.h>

#include "tls/tlsmem.h"
#include "tt/kcp.h"
#include "tt/smux.h"

static size_t
sec_recv(void *arg, uint8_t *p, size_t n)
{
	struct tunnel *t = arg;
	ssize_t r = kcp_recv(t->kcp, p, n);

	if (r <= 0)
		return 0;
	/* As in the plaintext pump: the window follows what the path delivers. */
	t->rx_total += (uint64_t)r;
	tunnel_size(t);
	return (size_t)r;
}

static size_t
sec_send(void *arg, const uint8_t *p, size_t n)
{
	struct tunnel *t = arg;
	ssize_t r = kcp_send(t->kcp, p, n);

	return r > 0 ? (size_t)r : 0;
}

/* The client's credentials message: 01 NLEN NAME SLEN SECRET. */
static int
hello_encode(struct tunnel *t, const struct tunnel_config *cfg)
{
	size_t nlen = cfg->user ? strlen(cfg->user) : 0;

	if (nlen == 0 || nlen > TUNNEL_NAME_MAX || cfg->secret_len == 0 ||
	    cfg->secret_len > TUNNEL_SECRET_MAX)
		return -1;
	t->hello[0] = TUNNEL_HELLO_VERSION;
	t->hello[1] = (uint8_t)nlen;
	memcpy(t->hello + 2, cfg->user, nlen);
	t->hello[2 + nlen] = (uint8_t)cfg->secret_len;
	memcpy(t->hello + 3 + nlen, cfg->secret, cfg->secret_len);
	t->hello_len = 3 + nlen + cfg->secret_len;
	return 0;
}

int
tunnel_sec_new(struct tunnel *t, int is_client, const struct tunnel_config *cfg)
{
	static const struct tlsmem_io io = { sec_recv, sec_send };
	char err[TLS_ERR_MAX];

	if (is_client && hello_encode(t, cfg) == -1)
		return -1;
	t->sec = tlsmem_new(cfg->tls, is_client ? cfg->pin : NULL, &io, t, err, sizeof(err));
	if (t->sec == NULL)
		return -1;
	t->sec_client = is_client;
	membudget_force(&t->mb, membudget_cost(TLSMEM_COST));
	return 0;
}

void
tunnel_sec_free(struct tunnel *t)
{
	if (t->sec == NULL)
		return;
	tlsmem_free(t->sec);
	t->sec = NULL;
	memset(t->hello, 0, sizeof(t->hello));
	membudget_uncharge(&t->mb, membudget_cost(TLSMEM_COST));
}

static void
sec_die(struct tunnel *t, const char *what)
{
	char why[sizeof(t->err)];

	t->sec_pin = tlsmem_error_is_pin(t->sec);
	snprintf(why, sizeof(why), "%s: %s", what, tlsmem_error(t->sec));
	tunnel_die(t, why);
}

/* Into KCP as one record: n bytes of p, which KCP was checked to have room for. */
static size_t
sec_record(struct tunnel *t, const uint8_t *p, size_t n)
{
	ssize_t r = tlsmem_write(t->sec, p, n);

	if (r > 0)
		return (size_t)r;
	if (r == TLS_ERROR)
		sec_die(t, "TLS");
	return 0;
}

/*
 * A record per smux frame would cost a seal, an open and 22 bytes for
 * each: a stream's lazy FIN, the next stream's SYN and its first bytes
 * would be three records in one datagram. Frames that fit are batched
 * instead and sealed as one record before KCP next sends
 * (tunnel_sec_seal). KCP's room is checked for the whole batch as it
 * grows, so the seal always fits; a frame too long for the batch seals
 * it and goes alone, as before.
 */
size_t
tunnel_sec_out(struct tunnel *t, const uint8_t *p, size_t n)
{
	size_t room, k;

	if (!t->sec_out || t->dead)
		return 0;
	if (n > sizeof(t->batch) - t->batch_len)
		tunnel_sec_seal(t);
	if (t->dead)
		return 0;
	room = kcp_send_room(t->kcp);
	if (room <= TUNNEL_TLS_OVERHEAD + t->batch_len)
		return 0;
	room -= TUNNEL_TLS_OVERHEAD + t->batch_len;
	if (n > sizeof(t->batch))
		return sec_record(t, p, n < room ? n : room);
	k = n < room ? n : room;
	memcpy(t->batch + t->batch_len, p, k);
	t->batch_len += k;
	return k;
}

void
tunnel_sec_seal(struct tunnel *t)
{
	size_t n = t->batch_len;

	if (n == 0)
		return;
	t->batch_len = 0;
	if (t->dead)
		return;
	if (sec_record(t, t->batch, n) != n && !t->dead)
		tunnel_die(t, "TLS: a batch of frames did not fit in KCP");
}

/* The handshake finished: the client presents itself and may send smux at once. */
static int
sec_established(struct tunnel *t)
{
	ssize_t r;

	if (!t->sec_client)
		return 1;
	r = tlsmem_write(t->sec, t->hello, t->hello_len);
	memset(t->hello, 0, sizeof(t->hello));
	if (r != (ssize_t)t->hello_len) {
		tunnel_die(t, "TLS: cannot send the credentials");
		return -1;
	}
	t->sec_out = 1;
	(void)smux_flush(t->smux); /* SYNs and data held while we shook hands */
	return 1;
}

int
tunnel_sec_fill(struct tunnel *t)
{
	ssize_t r;

	if (!tlsmem_done(t->sec)) {
		r = tlsmem_handshake(t->sec);
		if (r == TLS_OK)
			return sec_established(t);
		if (r == TLS_ERROR) {
			sec_die(t, "TLS handshake");
			return -1;
		}
		return 0;
	}
	if (kcp_readable(t->kcp) == 0 && !tlsmem_pending(t->sec))
		return 0;
	if (t->rx == NULL && tunnel_rx_alloc(t) < 0) {
		tunnel_die(t, "out of memory");
		return -1;
	}
	r = tlsmem_read(t->sec, t->rx, TUNNEL_RX_MAX);
	if (r > 0) {
		t->rx_off = 0;
		t->rx_len = (size_t)r;
		return 1;
	}
	if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
		return 0;
	if (r == TLS_EOF)
		tunnel_die(t, "TLS: the peer closed the session");
	else
		sec_die(t, "TLS");
	return -1;
}

/* Take up to want bytes of rx into the hello buffer; 1 once it holds want. */
static int
hello_take(struct tunnel *t, size_t want)
{
	size_t k;

	if (t->hello_len >= want)
		return 1;
	k = want - t->hello_len;
	if (k > t->rx_len)
		k = t->rx_len;
	memcpy(t->hello + t->hello_len, t->rx + t->rx_off, k);
	t->hello_len += k;
	t->rx_off += k;
	t->rx_len -= k;
	return t->hello_len == want;
}

/* The server's side of the preface: the whole credentials message, then the verdict. */
static int
sec_server_preface(struct tunnel *t)
{
	char name[TUNNEL_NAME_MAX + 1];
	size_t nlen, i;
	int ok;
	uint8_t st;

	if (!hello_take(t, 2))
		return 1;
	nlen = t->hello[1];
	if (t->hello[0] != TUNNEL_HELLO_VERSION || nlen == 0 || nlen > TUNNEL_NAME_MAX) {
		tunnel_die(t, "bad credentials message");
		return -1;
	}
	if (!hello_take(t, 3 + nlen) || !hello_take(t, 3 + nlen + t->hello[2 + nlen]))
		return 1;
	for (i = 0; i < nlen; i++) {
		name[i] = (char)t->hello[2 + i];
		if (name[i] <= ' ' || name[i] > '~')
			name[i] = '?'; /* a name for logs; it then matches no user */
	}
	name[nlen] = '\0';
	ok = t->hello[2 + nlen] > 0 && t->cb.auth != NULL &&
	     t->cb.auth(t->arg, name, t->hello + 3 + nlen, t->hello[2 + nlen]) == 0;
	memset(t->hello, 0, sizeof(t->hello));
	st = ok ? TUNNEL_AUTH_OK : TUNNEL_AUTH_REFUSED;
	if (tlsmem_write(t->sec, &st, 1) != 1) {
		sec_die(t, "TLS");
		return -1;
	}
	if (!ok) {
		kcp_flush(t->kcp); /* the refusal leaves before the session goes */
		tunnel_die(t, "bad credentials");
		return -1;
	}
	t->sec_in = t->sec_out = 1;
	return 1;
}

int
tunnel_sec_preface(struct tunnel *t)
{
	uint8_t st;

	if (!t->sec_client)
		return sec_server_preface(t);
	st = t->rx[t->rx_off++];
	t->rx_len--;
	if (st != TUNNEL_AUTH_OK) {
		tunnel_die(t, "the egress refused our credentials");
		return -1;
	}
	t->sec_in = 1;
	return 1;
}

const char *
tunnel_cipher(const struct tunnel *t)
{
	return t->sec != NULL && t->sec_in && t->sec_out ? tlsmem_cipher(t->sec) : NULL;
}
