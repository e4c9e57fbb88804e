/* SPDX-License-Identifier: MIT */
/*
 * See turnc.h. Every request lives in a struct turnc_req slot (the
 * allocation's Allocate/Refresh, and per peer one CreatePermission and one
 * ChannelBind), at most one transaction per slot, so a slow server costs
 * bounded state. Requests are rebuilt from the slot when a 438 asks for a
 * new nonce. The long-term key replaces the password as soon as the
 * server's realm is known, and the password is wiped.
 *
 * Re-entrancy: turnc_free inside a callback only marks the object
 * (t->doomed); the outermost entry point frees it on the way out.
 */
#include "stun/turnc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "net/net.h"
#include "base/secret.h"
#include "proto/stun.h"

enum turnc_state { T_IDLE = 0, T_ALLOC, T_READY, T_RELEASING, T_DONE, T_FAILED };
enum req_kind { REQ_ALLOC = 0, REQ_REFRESH, REQ_PERM, REQ_CHAN };

struct turnc;

struct turnc_req {
	struct turnc *t;
	enum req_kind kind;
	int peer;
	uint32_t lifetime;
	int stale;
	struct stunc_tx *tx;
};

struct turnc_peer {
	int used;
	struct sockaddr_storage addr;
	socklen_t len;
	int want_chan, chan_ok, perm_ok;
	uint16_t chan;
	struct turnc_req perm, bind;
	ev_timer timer;
};

struct turnc {
	struct ev_loop *loop;
	struct turnc_cbs cbs;
	void *arg;
	struct stunc *c;
	enum turnc_state state;
	struct sockaddr_storage server;
	socklen_t slen;
	uint32_t want_lifetime, perm_s, chan_s;
	uint64_t timeout_ms;
	char user[STUN_USERNAME_MAX + 1];
	char pass[STUN_PASSWORD_MAX + 1];
	char realm[STUN_REALM_MAX + 1];
	uint8_t nonce[STUN_NONCE_MAX];
	size_t nonce_len;
	uint8_t key[STUN_LONGTERM_KEY_LEN];
	int have_key;
	struct turnc_req alloc, refresh;
	ev_timer refresh_timer, later;
	int later_fail_code, later_release;
	char later_why[128];
	struct turnc_peer peers[TURNC_PEERS_MAX];
	uint16_t next_chan;
	struct turnc_stats stats;
	int busy, doomed;
	uint8_t obuf[TURN_CHANNELDATA_MAX + 64];
};

static void req_send(struct turnc_req *r);

uint64_t
turnc_refresh_ms(uint32_t lifetime_s)
{
	if (lifetime_s > 2 * TURNC_REFRESH_MARGIN_S)
		return (uint64_t)(lifetime_s - TURNC_REFRESH_MARGIN_S) * 1000;
	return (uint64_t)lifetime_s * 500;
}

const struct turnc_stats *
turnc_stats(const struct turnc *t)
{
	return &t->stats;
}

struct stunc *
turnc_transport(struct turnc *t)
{
	return t->c;
}

/* --- lifetime and failure ----------------------------------------------- */

static void
turnc_quiet(struct turnc *t)
{
	size_t i;

	stunc_cancel(t->alloc.tx);
	stunc_cancel(t->refresh.tx);
	t->alloc.tx = t->refresh.tx = NULL;
	ev_timer_stop(t->loop, &t->refresh_timer);
	for (i = 0; i < TURNC_PEERS_MAX; i++) {
		struct turnc_peer *p = &t->peers[i];

		stunc_cancel(p->perm.tx);
		stunc_cancel(p->bind.tx);
		p->perm.tx = p->bind.tx = NULL;
		ev_timer_stop(t->loop, &p->timer);
	}
}

static void
turnc_destroy(struct turnc *t)
{
	turnc_quiet(t);
	ev_timer_stop(t->loop, &t->later);
	stunc_free(t->c);
	secret_wipe(t->pass, sizeof(t->pass));
	secret_wipe(t->key, sizeof(t->key));
	free(t);
}

static void
enter(struct turnc *t)
{
	t->busy++;
}

static void
leave(struct turnc *t)
{
	if (--t->busy == 0 && t->doomed)
		turnc_destroy(t);
}

void
turnc_free(struct turnc *t)
{
	if (t == NULL)
		return;
	if (t->busy > 0) {
		t->doomed = 1;
		turnc_quiet(t);
		return;
	}
	turnc_destroy(t);
}

static void
turnc_fail(struct turnc *t, enum stunc_result res, int code, const char *why)
{
	if (t->state == T_FAILED || t->state == T_DONE)
		return;
	t->state = T_FAILED;
	turnc_quiet(t);
	if (!t->doomed && t->cbs.failed != NULL)
		t->cbs.failed(t->arg, res, code, why);
}

static void
turnc_released(struct turnc *t)
{
	if (t->state == T_DONE || t->state == T_FAILED)
		return;
	t->state = T_DONE;
	turnc_quiet(t);
	if (!t->doomed && t->cbs.released != NULL)
		t->cbs.released(t->arg);
}

/* Deferred outcomes, so no callback runs inside a turnc_* call. */
static void
later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct turnc *t = w->data;

	(void)loop;
	(void)revents;
	enter(t);
	if (t->later_release)
		turnc_released(t);
	else
		turnc_fail(t, STUNC_FAILED, t->later_fail_code, t->later_why);
	leave(t);
}

static void
fail_later(struct turnc *t, int code, const char *why)
{
	if (ev_is_active(&t->later))
		return;
	t->later_fail_code = code;
	snprintf(t->later_why, sizeof(t->later_why), "%s", why);
	ev_timer_set(&t->later, 0, 0);
	ev_timer_start(t->loop, &t->later);
}

/* --- requests ----------------------------------------------------------- */

static const char *
req_name(enum req_kind k)
{
	static const char *const names[] = { "Allocate", "Refresh", "CreatePermission", "ChannelBind" };

	return names[k];
}

static void
req_done(void *arg, enum stunc_result res, const struct stun_msg *m, const struct sockaddr *from,
         double rtt_ms, enum stunc_drop drop);

static void
req_send(struct turnc_req *r)
{
	static const uint16_t methods[] = { TURN_ALLOCATE, TURN_REFRESH, TURN_CREATE_PERMISSION,
		TURN_CHANNEL_BIND };
	struct turnc *t = r->t;
	struct turnc_peer *p = r->peer >= 0 ? &t->peers[r->peer] : NULL;
	uint8_t buf[STUNC_REQ_MAX], tid[STUN_TID_LEN];
	struct stun_builder b;
	struct stunc_opts o;
	ssize_t len;
	char why[96];

	if (r->tx != NULL)
		return;
	if (stun_new_tid(tid) == -1) {
		fail_later(t, 0, "no random numbers");
		return;
	}
	stun_build_begin(&b, buf, sizeof(buf), methods[r->kind], STUN_REQUEST, tid);
	switch (r->kind) {
	case REQ_ALLOC:
		turn_add_transport(&b, TURN_TRANSPORT_UDP);
		/* IPv4 is the default; an IPv6 server is asked for an IPv6 relay (RFC 8656 §7.1). */
		if (t->server.ss_family == AF_INET6)
			turn_add_family(&b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
		stun_add_u32(&b, STUN_ATTR_LIFETIME, t->want_lifetime);
		break;
	case REQ_REFRESH:
		stun_add_u32(&b, STUN_ATTR_LIFETIME, r->lifetime);
		break;
	case REQ_PERM:
		stun_add_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&p->addr);
		break;
	case REQ_CHAN:
		turn_add_channel(&b, p->chan);
		stun_add_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&p->addr);
		break;
	}
	if (t->have_key) {
		stun_add_str(&b, STUN_ATTR_USERNAME, t->user);
		stun_add_str(&b, STUN_ATTR_REALM, t->realm);
		stun_add(&b, STUN_ATTR_NONCE, t->nonce, t->nonce_len);
		stun_add_integrity(&b, t->key, sizeof(t->key));
	}
	stun_add_fingerprint(&b);
	if ((len = stun_build_end(&b)) == -1) {
		snprintf(why, sizeof(why), "%s: request does not fit", req_name(r->kind));
		fail_later(t, 0, why);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.timeout_ms = t->timeout_ms;
	if (t->have_key) {
		o.key = t->key;
		o.keylen = sizeof(t->key);
	}
	r->tx = stunc_request(t->c, (struct sockaddr *)&t->server, t->slen, buf, (size_t)len, &o,
	    req_done, r);
	if (r->tx == NULL) {
		snprintf(why, sizeof(why), "%s: %s", req_name(r->kind), strerror(errno));
		fail_later(t, 0, why);
	}
}

/* Keep NONCE (and REALM) from a 401 or 438. 0, or -1 when absent or too long. */
static int
take_nonce(struct turnc *t, const struct stun_msg *m)
{
	const struct stun_attr *n = stun_find(m, STUN_ATTR_NONCE);
	const struct stun_attr *r = stun_find(m, STUN_ATTR_REALM);

	if (n == NULL || n->len == 0 || n->len > sizeof(t->nonce))
		return -1;
	memcpy(t->nonce, n->val, n->len);
	t->nonce_len = n->len;
	if (r != NULL) {
		if (r->len == 0 || r->len >= sizeof(t->realm))
			return -1;
		if (t->have_key && (strlen(t->realm) != r->len || memcmp(t->realm, r->val, r->len) != 0))
			return -1; /* a new realm would need the password we wiped */
		memcpy(t->realm, r->val, r->len);
		t->realm[r->len] = '\0';
	}
	return t->realm[0] != '\0' ? 0 : -1;
}

static void
peer_kick(struct turnc *t, int i)
{
	struct turnc_peer *p = &t->peers[i];
	uint64_t every = turnc_refresh_ms(t->perm_s);

	if (p->want_chan && turnc_refresh_ms(t->chan_s) < every)
		every = turnc_refresh_ms(t->chan_s);
	req_send(&p->perm);
	if (p->want_chan)
		req_send(&p->bind);
	ev_timer_stop(t->loop, &p->timer);
	ev_timer_set(&p->timer, (double)every / 1000.0, 0);
	ev_timer_start(t->loop, &p->timer);
}

static void
peer_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct turnc_peer *p = w->data;
	struct turnc *t = p->perm.t;

	(void)loop;
	(void)revents;
	enter(t);
	if (t->state == T_READY) {
		t->stats.perm_refreshes++;
		if (p->want_chan)
			t->stats.chan_refreshes++;
		peer_kick(t, p->perm.peer);
	}
	leave(t);
}

static void
refresh_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct turnc *t = w->data;

	(void)loop;
	(void)revents;
	enter(t);
	if (t->state == T_READY) {
		t->refresh.lifetime = t->want_lifetime;
		t->refresh.stale = 0;
		t->stats.refreshes++;
		req_send(&t->refresh);
	}
	leave(t);
}

static void
schedule_refresh(struct turnc *t, uint32_t lifetime)
{
	ev_timer_stop(t->loop, &t->refresh_timer);
	ev_timer_set(&t->refresh_timer, (double)turnc_refresh_ms(lifetime) / 1000.0, 0);
	ev_timer_start(t->loop, &t->refresh_timer);
}

static void
on_allocated(struct turnc *t, const struct stun_msg *m)
{
	struct sockaddr_storage relayed, mapped;
	socklen_t rlen = 0, mlen = 0;
	uint32_t lifetime = t->want_lifetime;
	int i;

	if (stun_attr_addr(m, stun_find(m, STUN_ATTR_XOR_RELAYED_ADDRESS), &relayed, &rlen) == -1) {
		turnc_fail(t, STUNC_FAILED, 0, "Allocate: no XOR-RELAYED-ADDRESS in the response");
		return;
	}
	if (stun_attr_addr(m, stun_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS), &mapped, &mlen) == -1)
		mlen = 0;
	(void)stun_attr_u32(stun_find(m, STUN_ATTR_LIFETIME), &lifetime);
	if (lifetime == 0) {
		turnc_fail(t, STUNC_FAILED, 0, "Allocate: LIFETIME 0 in the response");
		return;
	}
	t->state = T_READY;
	schedule_refresh(t, lifetime);
	if (t->cbs.allocated != NULL)
		t->cbs.allocated(t->arg, (struct sockaddr *)&relayed, rlen,
		    mlen > 0 ? (struct sockaddr *)&mapped : NULL, mlen, lifetime);
	for (i = 0; i < TURNC_PEERS_MAX && t->state == T_READY && !t->doomed; i++)
		if (t->peers[i].used)
			peer_kick(t, i);
}

static void
on_success(struct turnc_req *r, const struct stun_msg *m)
{
	struct turnc *t = r->t;
	struct turnc_peer *p = r->peer >= 0 ? &t->peers[r->peer] : NULL;
	uint32_t lifetime;

	switch (r->kind) {
	case REQ_ALLOC:
		on_allocated(t, m);
		break;
	case REQ_REFRESH:
		if (t->state == T_RELEASING) {
			turnc_released(t);
			break;
		}
		if (stun_attr_u32(stun_find(m, STUN_ATTR_LIFETIME), &lifetime) == -1 || lifetime == 0)
			lifetime = t->want_lifetime;
		schedule_refresh(t, lifetime);
		break;
	case REQ_PERM:
		p->perm_ok = 1;
		break;
	case REQ_CHAN:
		p->perm_ok = 1;
		if (!p->chan_ok) {
			p->chan_ok = 1;
			if (t->cbs.bound != NULL)
				t->cbs.bound(t->arg, (struct sockaddr *)&p->addr, p->chan);
		}
		break;
	}
}

static void
req_done(void *arg, enum stunc_result res, const struct stun_msg *m, const struct sockaddr *from,
         double rtt_ms, enum stunc_drop drop)
{
	struct turnc_req *r = arg;
	struct turnc *t = r->t;
	const char *reason = "";
	size_t rlen = 0;
	char why[160];
	int code = 0;

	(void)from;
	r->tx = NULL;
	enter(t);
	if (r->kind == REQ_ALLOC && t->stats.first_rtt_ms == 0)
		t->stats.first_rtt_ms = rtt_ms;
	if (res != STUNC_RESPONSE) {
		if (t->state == T_RELEASING && r->kind == REQ_REFRESH) {
			turnc_released(t);
			goto out;
		}
		const char *closed = stunc_close_reason(t->c);

		snprintf(why, sizeof(why), "%s: %s%s%s%s%s%s", req_name(r->kind), stunc_result_name(res),
		    drop != STUNC_DROP_NONE ? " (dropped: " : "",
		    drop != STUNC_DROP_NONE ? stunc_drop_name(drop) : "", drop != STUNC_DROP_NONE ? ")" : "",
		    closed[0] ? ": " : "", closed);
		turnc_fail(t, res, 0, why);
		goto out;
	}
	if (m->cls == STUN_SUCCESS) {
		on_success(r, m);
		goto out;
	}
	if (stun_attr_error(stun_find(m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen) == -1) {
		code = 0;
		reason = "error response without ERROR-CODE";
		rlen = strlen(reason);
	}
	if (code == STUN_ERR_UNAUTHORIZED && r->kind == REQ_ALLOC && !t->have_key && take_nonce(t, m) == 0) {
		if (stun_longterm_key(t->user, t->realm, t->pass, t->key) == -1) {
			turnc_fail(t, STUNC_FAILED, 0, "Allocate: credentials too long");
			goto out;
		}
		secret_wipe(t->pass, sizeof(t->pass));
		t->have_key = 1;
		req_send(r);
		goto out;
	}
	if (code == STUN_ERR_STALE_NONCE && r->stale < TURNC_STALE_RETRIES && t->have_key &&
	    take_nonce(t, m) == 0) {
		r->stale++;
		t->stats.stale_nonces++;
		req_send(r);
		goto out;
	}
	if (t->state == T_RELEASING && r->kind == REQ_REFRESH) {
		turnc_released(t); /* 437: already gone, which is what we wanted */
		goto out;
	}
	if (rlen > 80)
		rlen = 80;
	snprintf(why, sizeof(why), "%s: %d %.*s", req_name(r->kind), code, (int)rlen, reason);
	turnc_fail(t, STUNC_RESPONSE, code, why);
out:
	leave(t);
}

/* --- transport callbacks ---------------------------------------------- */

static struct turnc_peer *
peer_by_addr(struct turnc *t, const struct sockaddr *sa, socklen_t len)
{
	size_t i;

	for (i = 0; i < TURNC_PEERS_MAX; i++)
		if (t->peers[i].used && t->peers[i].len == len && memcmp(&t->peers[i].addr, sa, len) == 0)
			return &t->peers[i];
	return NULL;
}

static void
on_channel(void *arg, uint16_t chan, const uint8_t *p, size_t n)
{
	struct turnc *t = arg;
	size_t i;

	for (i = 0; i < TURNC_PEERS_MAX; i++) {
		struct turnc_peer *pe = &t->peers[i];

		if (pe->used && pe->want_chan && pe->chan == chan) {
			t->stats.recv_channel++;
			enter(t);
			if (t->cbs.data != NULL && t->state == T_READY)
				t->cbs.data(t->arg, (struct sockaddr *)&pe->addr, pe->len, p, n);
			leave(t);
			return;
		}
	}
}

static void
on_indication(void *arg, const struct stun_msg *m, const struct sockaddr *from)
{
	struct turnc *t = arg;
	const struct stun_attr *d = stun_find(m, STUN_ATTR_DATA);
	struct sockaddr_storage peer;
	socklen_t plen;

	(void)from;
	if (m->method != TURN_DATA || d == NULL ||
	    stun_attr_addr(m, stun_find(m, STUN_ATTR_XOR_PEER_ADDRESS), &peer, &plen) == -1)
		return;
	t->stats.recv_indication++;
	enter(t);
	if (t->cbs.data != NULL && t->state == T_READY)
		t->cbs.data(t->arg, (struct sockaddr *)&peer, plen, d->val, d->len);
	leave(t);
}

static void
on_closed(void *arg, int err, const char *why)
{
	struct turnc *t = arg;
	char msg[160];

	enter(t);
	snprintf(msg, sizeof(msg), "transport: %s%s%s", why, err ? ": " : "", err ? strerror(err) : "");
	if (t->state == T_RELEASING)
		turnc_released(t);
	else
		turnc_fail(t, err == ECONNREFUSED ? STUNC_REFUSED : STUNC_FAILED, 0, msg);
	leave(t);
}

/* --- API -------------------------------------------------------------- */

struct turnc *
turnc_new(struct ev_loop *loop, const struct turnc_cfg *cfg, const struct turnc_cbs *cbs, void *arg,
          char *err, size_t errlen)
{
	static const struct stunc_cbs scb = { on_channel, on_indication, on_closed };
	struct turnc *t;
	size_t i;

	if (cfg->server_len > sizeof(t->server) || strlen(cfg->username) >= sizeof(t->user) ||
	    strlen(cfg->password) >= sizeof(t->pass)) {
		snprintf(err, errlen, "server address or credentials too long");
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->loop = loop;
	t->cbs = *cbs;
	t->arg = arg;
	memcpy(&t->server, cfg->server, cfg->server_len);
	t->slen = cfg->server_len;
	snprintf(t->user, sizeof(t->user), "%s", cfg->username);
	snprintf(t->pass, sizeof(t->pass), "%s", cfg->password);
	t->want_lifetime = cfg->lifetime_s ? cfg->lifetime_s : TURNC_LIFETIME_S;
	t->perm_s = cfg->perm_lifetime_s ? cfg->perm_lifetime_s : TURNC_PERM_LIFETIME_S;
	t->chan_s = cfg->chan_lifetime_s ? cfg->chan_lifetime_s : TURNC_CHAN_LIFETIME_S;
	t->timeout_ms = cfg->timeout_ms;
	t->next_chan = TURNC_FIRST_CHANNEL;
	t->alloc = (struct turnc_req){ t, REQ_ALLOC, -1, 0, 0, NULL };
	t->refresh = (struct turnc_req){ t, REQ_REFRESH, -1, 0, 0, NULL };
	for (i = 0; i < TURNC_PEERS_MAX; i++) {
		t->peers[i].perm = (struct turnc_req){ t, REQ_PERM, (int)i, 0, 0, NULL };
		t->peers[i].bind = (struct turnc_req){ t, REQ_CHAN, (int)i, 0, 0, NULL };
		ev_init(&t->peers[i].timer, peer_timer);
		t->peers[i].timer.data = &t->peers[i];
	}
	ev_init(&t->refresh_timer, refresh_timer);
	t->refresh_timer.data = t;
	ev_init(&t->later, later_cb);
	t->later.data = t;
	if (cfg->transport == STUNC_UDP) {
		t->c = stunc_udp_new(loop, cfg->server->sa_family, NULL, 0, &scb, t);
		if (t->c == NULL)
			snprintf(err, errlen, "udp socket: %s", strerror(errno));
	} else {
		int fd = net_connect_addr(cfg->server, cfg->server_len);

		if (fd == -1)
			snprintf(err, errlen, "connect: %s", strerror(errno));
		else
			t->c = stunc_stream_new(loop, fd, cfg->transport, cfg->tls_ctx, cfg->tlso, &scb, t,
			    err, errlen);
	}
	if (t->c == NULL) {
		turnc_destroy(t);
		return NULL;
	}
	return t;
}

int
turnc_start(struct turnc *t)
{
	if (t->state != T_IDLE)
		return -1;
	t->state = T_ALLOC;
	req_send(&t->alloc);
	return 0;
}

int
turnc_add_peer(struct turnc *t, const struct sockaddr *peer, socklen_t len, int channel)
{
	struct turnc_peer *p = peer_by_addr(t, peer, len);
	size_t i;

	if (p == NULL) {
		for (i = 0; i < TURNC_PEERS_MAX && t->peers[i].used; i++)
			;
		if (i == TURNC_PEERS_MAX || len > sizeof(p->addr) ||
		    (channel && t->next_chan > TURN_CHANNEL_MAX)) {
			errno = ENOSPC;
			return -1;
		}
		p = &t->peers[i];
		p->used = 1;
		memcpy(&p->addr, peer, len);
		p->len = len;
	}
	if (channel && !p->want_chan) {
		p->want_chan = 1;
		p->chan = t->next_chan++;
	}
	if (t->state == T_READY)
		peer_kick(t, p->perm.peer);
	return 0;
}

int
turnc_send(struct turnc *t, const struct sockaddr *peer, socklen_t len, const void *data, size_t n)
{
	struct turnc_peer *p = peer_by_addr(t, peer, len);
	int stream = stunc_kind(t->c) != STUNC_UDP;
	ssize_t fl;

	if (p == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (t->state != T_READY) {
		errno = EAGAIN;
		return -1;
	}
	if (p->chan_ok) {
		fl = turn_channeldata_encode(t->obuf, sizeof(t->obuf), p->chan, data, n, stream);
		if (fl == -1) {
			errno = EMSGSIZE;
			return -1;
		}
		t->stats.sent_channel++;
	} else {
		struct stun_builder b;
		uint8_t tid[STUN_TID_LEN];

		if (stun_new_tid(tid) == -1)
			return -1;
		stun_build_begin(&b, t->obuf, sizeof(t->obuf), TURN_SEND, STUN_INDICATION, tid);
		stun_add_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&p->addr);
		stun_add(&b, STUN_ATTR_DATA, data, n);
		stun_add_fingerprint(&b);
		if ((fl = stun_build_end(&b)) == -1) {
			errno = EMSGSIZE;
			return -1;
		}
		t->stats.sent_indication++;
	}
	return stunc_send(t->c, (struct sockaddr *)&t->server, t->slen, t->obuf, (size_t)fl);
}

void
turnc_release(struct turnc *t)
{
	if (t->state != T_READY) {
		if (t->state == T_RELEASING || t->state == T_DONE || t->state == T_FAILED)
			return;
		turnc_quiet(t);
		t->state = T_RELEASING;
		t->later_release = 1;
		ev_timer_set(&t->later, 0, 0);
		ev_timer_start(t->loop, &t->later);
		return;
	}
	turnc_quiet(t);
	t->state = T_RELEASING;
	t->refresh.lifetime = 0;
	t->refresh.stale = 0;
	req_send(&t->refresh);
}
