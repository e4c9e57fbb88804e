/* SPDX-License-Identifier: MIT */
/*
 * See turnpath.h. A path holds one turnc at a time: the UDP (or TCP) one
 * first, then, on the fallback, the TLS one. Deferred outcomes (a pick
 * that failed after new returned, a release before any allocation) go
 * through the `later` timer, so no callback runs inside a turnpath_*
 * call; `busy`/`doomed` let a callback free the path.
 */
#include "stun/turnpath.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "net/net.h"
#include "stun/turncred.h"
#include "tls/tls.h"

enum path_state { P_TURN = 0, P_READY, P_RELEASING, P_DONE };

struct turnpath {
	struct turnpath_fleet *f;
	size_t ep;
	struct turnpath_cbs cbs;
	void *arg;
	enum path_state state;
	int tls, fell_back, blamed, busy, doomed;
	struct sockaddr_storage peer, relayed;
	socklen_t plen, rlen;
	struct turnc *t;
	struct stunc_tx *probe;
	uint64_t probes, probes_answered;
	double answered;
	ev_timer udp_wait, later;
	char later_why[TURNPATH_WHY_MAX];
	int later_auth, later_release;
	char name[STUN_URI_MAX + 8];
};

static uint64_t
now_ms(struct ev_loop *loop)
{
	return (uint64_t)(ev_now(loop) * 1000.0);
}

/* --- the fleet ---------------------------------------------------------- */

int
turnpath_fleet_add(struct turnpath_fleet *f, const char *text, char *err, size_t errlen)
{
	struct turnpath_server s;
	struct turnpath_ep *e = NULL;
	int tls, rc;

	memset(&s, 0, sizeof(s));
	if (stun_uri_parse(text, strlen(text), &s.uri, err, errlen) == -1)
		return -1;
	if (!s.uri.turn) {
		snprintf(err, errlen, "a turn: or turns: URI is needed");
		return -1;
	}
	tls = s.uri.transport == STUN_URI_TLS;
	/* A turns: URI right after a turn: URI of the same host is that server's TLS listener. */
	if (tls && f->n > 0 && f->ep[f->n - 1].has_plain && !f->ep[f->n - 1].has_tls &&
	    strcmp(f->ep[f->n - 1].plain.uri.host, s.uri.host) == 0)
		e = &f->ep[f->n - 1];
	if (e == NULL) {
		if (f->n == FLEET_MAX) {
			snprintf(err, errlen, "more than %d TURN servers", FLEET_MAX);
			return -1;
		}
		e = &f->ep[f->n++];
		memset(e, 0, sizeof(*e));
	}
	if ((rc = net_resolve_once(s.uri.host, s.uri.port, &s.addr, &s.len)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", s.uri.host, gai_strerror(rc));
		if (!e->has_plain && !e->has_tls)
			f->n--;
		return -1;
	}
	if (tls) {
		e->tls = s;
		e->has_tls = 1;
	} else {
		e->plain = s;
		e->has_plain = 1;
	}
	return 0;
}

static int
check_cred(struct turnpath_fleet *f, const struct stun_uri *u, const struct stun_uri *alt, char *err,
           size_t errlen)
{
	struct turncred c;
	char name[STUN_URI_MAX + 8];
	int rc = turncred_find(f->cred_file, u, alt, &c, err, errlen);

	turncred_wipe(&c);
	if (rc == 0) {
		(void)stun_uri_format(u, name, sizeof(name));
		snprintf(err, errlen, "%s: no line for %s", f->cred_file, name);
	}
	return rc == 1 ? 0 : -1;
}

int
turnpath_fleet_ready(struct turnpath_fleet *f, char *err, size_t errlen)
{
	size_t i;

	if (f->n == 0) {
		snprintf(err, errlen, "no TURN server");
		return -1;
	}
	for (i = 0; i < f->n; i++) {
		struct turnpath_ep *e = &f->ep[i];

		if (e->has_plain && check_cred(f, &e->plain.uri, NULL, err, errlen) == -1)
			return -1;
		if (e->has_tls && check_cred(f, &e->tls.uri, e->has_plain ? &e->plain.uri : NULL, err, errlen) == -1)
			return -1;
		if (e->has_tls && f->tls == NULL) {
			snprintf(err, errlen, "turns: %s needs TLS, which is not set up", e->tls.uri.host);
			return -1;
		}
	}
	fleet_init(&f->health, f->n);
	return 0;
}

size_t
turnpath_fleet_healthy(struct turnpath_fleet *f)
{
	return fleet_nhealthy(&f->health, now_ms(f->loop));
}

/* --- one path ----------------------------------------------------------- */

static void
enter(struct turnpath *p)
{
	p->busy++;
}

static void
destroy(struct turnpath *p)
{
	stunc_cancel(p->probe);
	ev_timer_stop(p->f->loop, &p->udp_wait);
	ev_timer_stop(p->f->loop, &p->later);
	turnc_free(p->t);
	free(p);
}

static void
leave(struct turnpath *p)
{
	if (--p->busy == 0 && p->doomed)
		destroy(p);
}

void
turnpath_free(struct turnpath *p)
{
	if (p == NULL)
		return;
	if (p->busy > 0) {
		p->doomed = 1;
		stunc_cancel(p->probe);
		p->probe = NULL;
		ev_timer_stop(p->f->loop, &p->udp_wait);
		ev_timer_stop(p->f->loop, &p->later);
		return;
	}
	destroy(p);
}

/* The path is over: account for it once and tell the owner. */
static void
path_failed(struct turnpath *p, const char *why, int auth)
{
	struct turnpath_fleet *f = p->f;

	if (p->state == P_DONE)
		return;
	ev_timer_stop(f->loop, &p->udp_wait);
	stunc_cancel(p->probe);
	p->probe = NULL;
	if (!p->blamed) {
		p->blamed = 1;
		fleet_fail(&f->health, p->ep, now_ms(f->loop), auth);
	}
	p->state = P_DONE;
	if (!p->doomed && p->cbs.failed != NULL)
		p->cbs.failed(p->arg, why, auth);
}

static void
later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct turnpath *p = w->data;

	(void)loop;
	(void)revents;
	enter(p);
	if (p->later_release) {
		p->state = P_DONE;
		if (p->cbs.released != NULL)
			p->cbs.released(p->arg);
	} else {
		path_failed(p, p->later_why, p->later_auth);
	}
	leave(p);
}

static void t_allocated(void *arg, const struct sockaddr *relayed, socklen_t rlen,
                        const struct sockaddr *mapped, socklen_t mlen, uint32_t lifetime_s);
static void t_bound(void *arg, const struct sockaddr *peer, uint16_t chan);
static void t_data(void *arg, const struct sockaddr *peer, socklen_t plen, const uint8_t *d, size_t n);
static void t_failed(void *arg, enum stunc_result res, int code, const char *why);
static void t_released(void *arg);

static const struct turnc_cbs turn_cbs = { t_allocated, t_bound, t_data, t_failed, t_released };

/* Start turnc on server s. 0, or -1 with a reason in err. */
static int
transport_start(struct turnpath *p, const struct turnpath_server *s, char *err, size_t errlen)
{
	struct turnpath_fleet *f = p->f;
	const struct turnpath_ep *e = &f->ep[p->ep];
	struct tls_conn_opts tlso;
	struct turnc_cfg cfg;
	struct turncred c;
	int rc;

	stunc_cancel(p->probe);
	p->probe = NULL;
	turnc_free(p->t);
	p->t = NULL;
	p->tls = s->uri.transport == STUN_URI_TLS;
	(void)stun_uri_format(&s->uri, p->name, sizeof(p->name));
	rc = turncred_find(f->cred_file, &s->uri, s == &e->tls && e->has_plain ? &e->plain.uri : NULL, &c,
	    err, errlen);
	if (rc != 1) {
		if (rc == 0)
			snprintf(err, errlen, "%s: no line for %s", f->cred_file, p->name);
		turncred_wipe(&c);
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	memset(&tlso, 0, sizeof(tlso));
	cfg.transport = p->tls ? STUNC_TLS : s->uri.transport == STUN_URI_TCP ? STUNC_TCP : STUNC_UDP;
	cfg.server = (const struct sockaddr *)&s->addr;
	cfg.server_len = s->len;
	cfg.username = c.user;
	cfg.password = c.pass;
	cfg.perm_lifetime_s = f->perm_lifetime_s;
	cfg.chan_lifetime_s = f->chan_lifetime_s;
	cfg.timeout_ms = f->tx_timeout_ms ? f->tx_timeout_ms : TURNPATH_TX_TIMEOUT_MS;
	cfg.tls_ctx = f->tls;
	tlso.sni = s->uri.host_is_v6 ? NULL : s->uri.host;
	tlso.verify_name = s->uri.host;
	tlso.insecure = f->tls_insecure;
	cfg.tlso = &tlso;
	p->t = turnc_new(f->loop, &cfg, &turn_cbs, p, err, errlen);
	turncred_wipe(&c);
	if (p->t == NULL)
		return -1;
	if (stunc_set_buffers(turnc_transport(p->t), TURNPATH_SOCKBUF) == -1)
		log_debug("%s: socket buffers: %s", p->name, strerror(errno));
	if (turnc_add_peer(p->t, (struct sockaddr *)&p->peer, p->plen, 1) == -1) {
		snprintf(err, errlen, "peer: %s", strerror(errno));
		return -1;
	}
	(void)turnc_start(p->t);
	log_debug("%s: allocating", p->name);
	return 0;
}

/* Over TLS after UDP gave up, when the endpoint has it: 1 started, 0 no, -1 failed (err). */
static int
fall_back(struct turnpath *p, const char *why, char *err, size_t errlen)
{
	struct turnpath_ep *e = &p->f->ep[p->ep];

	if (p->tls || !e->has_tls)
		return 0;
	log_info("%s: %s; trying %s", p->name, why, "TURNS");
	e->tls_first_until_ms = now_ms(p->f->loop) + FLEET_HEAL_MS;
	p->fell_back = 1;
	ev_timer_stop(p->f->loop, &p->udp_wait);
	return transport_start(p, &e->tls, err, errlen) == 0 ? 1 : -1;
}

static void
udp_wait_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct turnpath *p = w->data;
	char err[TURNPATH_WHY_MAX], why[64];

	(void)loop;
	(void)revents;
	if (p->state != P_TURN)
		return;
	enter(p);
	snprintf(why, sizeof(why), "no channel over UDP within %.1f s",
	    (double)(p->f->udp_wait_ms ? p->f->udp_wait_ms : TURNPATH_UDP_WAIT_MS) / 1000.0);
	if (fall_back(p, why, err, sizeof(err)) == -1)
		path_failed(p, err, 0);
	leave(p);
}

static void
t_allocated(void *arg, const struct sockaddr *relayed, socklen_t rlen, const struct sockaddr *mapped,
            socklen_t mlen, uint32_t lifetime_s)
{
	struct turnpath *p = arg;
	char a[NET_ADDRSTR_MAX];

	(void)mapped;
	(void)mlen;
	if (rlen <= sizeof(p->relayed)) {
		memcpy(&p->relayed, relayed, rlen);
		p->rlen = rlen;
	}
	net_addr_format(relayed, a, sizeof(a));
	log_debug("%s: allocated %s for %u s", p->name, a, lifetime_s);
}

static void
t_bound(void *arg, const struct sockaddr *peer, uint16_t chan)
{
	struct turnpath *p = arg;
	const struct turnc_stats *ts;

	(void)peer;
	(void)chan;
	if (p->state != P_TURN)
		return;
	enter(p);
	ev_timer_stop(p->f->loop, &p->udp_wait);
	p->state = P_READY;
	ts = turnc_stats(p->t);
	log_debug("%s: channel bound (first answer after %.0f ms)", p->name, ts->first_rtt_ms);
	if (p->cbs.ready != NULL)
		p->cbs.ready(p->arg, (struct sockaddr *)&p->relayed, p->rlen);
	leave(p);
}

static void
t_data(void *arg, const struct sockaddr *peer, socklen_t plen, const uint8_t *d, size_t n)
{
	struct turnpath *p = arg;

	(void)peer;
	(void)plen;
	if (p->state != P_READY || p->cbs.data == NULL)
		return;
	enter(p);
	p->cbs.data(p->arg, d, n);
	leave(p);
}

static void
t_failed(void *arg, enum stunc_result res, int code, const char *why)
{
	struct turnpath *p = arg;
	int auth = res == STUNC_RESPONSE &&
	    (code == STUN_ERR_UNAUTHORIZED || code == STUN_ERR_WRONG_CREDENTIALS);
	char msg[TURNPATH_WHY_MAX], err[TURNPATH_WHY_MAX];
	int r;

	enter(p);
	snprintf(msg, sizeof(msg), "%s: %s%s", p->name, auth ? "credentials refused: " : "", why);
	if (p->state == P_RELEASING) {
		p->state = P_DONE;
		if (p->cbs.released != NULL)
			p->cbs.released(p->arg);
	} else if (p->state == P_TURN && !auth && (r = fall_back(p, why, err, sizeof(err))) != 0) {
		if (r == -1)
			path_failed(p, err, 0);
	} else {
		path_failed(p, msg, auth);
	}
	leave(p);
}

static void
t_released(void *arg)
{
	struct turnpath *p = arg;

	enter(p);
	p->state = P_DONE;
	if (p->cbs.released != NULL)
		p->cbs.released(p->arg);
	leave(p);
}

struct turnpath *
turnpath_new(struct turnpath_fleet *f, const struct sockaddr *peer, socklen_t plen,
             const struct turnpath_cbs *cbs, void *arg, char *err, size_t errlen)
{
	struct turnpath *p;
	struct turnpath_ep *e;
	uint32_t rnd = 0;
	int i;

	if (plen > sizeof(p->peer)) {
		snprintf(err, errlen, "peer address too long");
		return NULL;
	}
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)rand();
	if ((i = fleet_pick(&f->health, now_ms(f->loop), rnd)) < 0) {
		snprintf(err, errlen, "no healthy TURN server");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->f = f;
	p->ep = (size_t)i;
	p->cbs = *cbs;
	p->arg = arg;
	memcpy(&p->peer, peer, plen);
	p->plen = plen;
	ev_init(&p->udp_wait, udp_wait_cb);
	p->udp_wait.data = p;
	ev_init(&p->later, later_cb);
	p->later.data = p;
	e = &f->ep[p->ep];
	if (e->has_tls && (!e->has_plain || now_ms(f->loop) < e->tls_first_until_ms)) {
		if (transport_start(p, &e->tls, err, errlen) == -1)
			goto fail;
		return p;
	}
	if (transport_start(p, &e->plain, err, errlen) == -1) {
		char why[TURNPATH_WHY_MAX];

		snprintf(why, sizeof(why), "%s", err);
		if (fall_back(p, why, err, errlen) != 1)
			goto fail;
		return p;
	}
	if (e->plain.uri.transport == STUN_URI_UDP && e->has_tls) {
		ev_timer_set(&p->udp_wait, (double)(f->udp_wait_ms ? f->udp_wait_ms : TURNPATH_UDP_WAIT_MS) / 1000.0,
		    0);
		ev_timer_start(f->loop, &p->udp_wait);
	}
	return p;
fail:
	fleet_fail(&f->health, p->ep, now_ms(f->loop), 0);
	destroy(p);
	return NULL;
}

int
turnpath_send(struct turnpath *p, const void *data, size_t n)
{
	if (p->state != P_READY) {
		errno = EAGAIN;
		return -1;
	}
	return turnc_send(p->t, (struct sockaddr *)&p->peer, p->plen, data, n);
}

void
turnpath_release(struct turnpath *p)
{
	ev_timer_stop(p->f->loop, &p->udp_wait);
	if (p->state == P_READY || (p->state == P_TURN && p->t != NULL)) {
		p->state = P_RELEASING;
		turnc_release(p->t);
		return;
	}
	if (p->state == P_RELEASING)
		return;
	p->state = P_RELEASING;
	p->later_release = 1;
	ev_timer_stop(p->f->loop, &p->later);
	ev_timer_set(&p->later, 0, 0);
	ev_timer_start(p->f->loop, &p->later);
}

void
turnpath_blame(struct turnpath *p)
{
	if (p->blamed)
		return;
	p->blamed = 1;
	fleet_fail(&p->f->health, p->ep, now_ms(p->f->loop), 0);
}

void
turnpath_success(struct turnpath *p)
{
	fleet_ok(&p->f->health, p->ep);
}

static void
probe_done(void *arg, enum stunc_result res, const struct stun_msg *m, const struct sockaddr *from,
           double rtt_ms, enum stunc_drop drop)
{
	struct turnpath *p = arg;
	char why[TURNPATH_WHY_MAX];

	(void)from;
	(void)drop;
	p->probe = NULL;
	if (res == STUNC_RESPONSE && m->cls == STUN_SUCCESS) {
		p->probes_answered++;
		p->answered = ev_now(p->f->loop);
		log_info("%s: answers a Binding request (%.0f ms)", p->name, rtt_ms);
		return;
	}
	if (p->state != P_READY)
		return;
	enter(p);
	snprintf(why, sizeof(why), "%s: no answer to a Binding request (%s)", p->name,
	    res == STUNC_RESPONSE ? "error response" : stunc_result_name(res));
	path_failed(p, why, 0);
	leave(p);
}

void
turnpath_probe(struct turnpath *p)
{
	const struct turnpath_ep *e = &p->f->ep[p->ep];
	const struct turnpath_server *s = p->tls ? &e->tls : &e->plain;
	uint8_t buf[64], tid[STUN_TID_LEN];
	struct stun_builder b;
	struct stunc_opts o;
	ssize_t len;

	if (p->state != P_READY || p->probe != NULL || stun_new_tid(tid) == -1)
		return;
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_add_fingerprint(&b);
	if ((len = stun_build_end(&b)) == -1)
		return;
	memset(&o, 0, sizeof(o));
	o.timeout_ms = TURNPATH_PROBE_MS;
	p->probe = stunc_request(turnc_transport(p->t), (const struct sockaddr *)&s->addr, s->len, buf,
	    (size_t)len, &o, probe_done, p);
	if (p->probe != NULL)
		p->probes++;
}

const char *
turnpath_name(const struct turnpath *p)
{
	return p->name;
}

void
turnpath_stats(const struct turnpath *p, struct turnpath_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->tls = p->tls;
	st->fell_back = p->fell_back;
	st->probes = p->probes;
	st->probes_answered = p->probes_answered;
	st->answered = p->answered;
	if (p->t != NULL)
		st->turn = *turnc_stats(p->t);
}
