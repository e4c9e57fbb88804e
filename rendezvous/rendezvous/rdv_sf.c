/* SPDX-License-Identifier: MIT */
/*
 * Snowflake's broker wire on the broker's connections (reference tor.md
 * §3.2–3.3, as 2.5.1 speaks it):
 *
 *   POST /proxy   a volunteer's poll: held up to proxy_timeout until a
 *                 client comes ("client match" with the client's offer,
 *                 NAT type and a relay the proxy admits), else "no match";
 *   POST /client  an offer: handed at once to the best live volunteer and
 *                 held until its answer or client_timeout; with no
 *                 volunteer, "no snowflake proxies currently available"
 *                 at once (or after queueing up to client_wait);
 *   POST /answer  the volunteer's answer for the client its Sid was given:
 *                 "success", or "client gone".
 *
 * Errors to clients are HTTP 200 with Snowflake's texts; a malformed poll
 * or answer is a 400 with an empty body. A volunteer is checked for EOF
 * or reset before an offer is handed to it, so no client waits out a dead
 * one. A volunteer whose relay pattern admits none of our relays gets
 * "incorrect relay pattern" at once instead of a held poll.
 */
#include "rdv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define NO_PROXIES "no snowflake proxies currently available"
#define TIMED_OUT "timed out waiting for answer!"
#define UNKNOWN_BRIDGE "bridge not found"

int
sf_route_of(const char *t, size_t n)
{
	const char *q = memchr(t, '?', n);

	if (q != NULL)
		n = (size_t)(q - t);
#define IS(s) (n == sizeof(s) - 1 && memcmp(t, s, n) == 0)
	if (IS("/client"))
		return RT_CLIENT;
	if (IS("/proxy"))
		return RT_PROXY;
	if (IS("/answer"))
		return RT_ANSWER;
	if (IS("/robots.txt"))
		return RT_ROBOTS;
	if (IS("/v1/signal"))
		return RT_FREDDIE;
#undef IS
	return RT_NONE;
}

static size_t
sid_bucket(const char *sid)
{
	uint64_t h = 1469598103934665603ull;

	for (; *sid != '\0'; sid++)
		h = (h ^ (uint8_t)*sid) * 1099511628211ull;
	return (size_t)(h % RDV_PENDING_BUCKETS);
}

/*
 * Two hash chains by sid: proxy polls held (r->held, linked through
 * u.proxy) and clients awaiting the answer of the proxy they were handed
 * to (r->pending, through u.client). A connection is a proxy or a client,
 * never both; one set of functions serves both chains through the
 * members the chain uses.
 */
enum sidchain { SC_HELD, SC_PENDING };

struct sidlink {
	struct rconn **next; /* the member that links the chain */
	int *on;             /* set while on the chain */
	const char *sid;
};

static struct sidlink
sidlink_of(struct rconn *c, enum sidchain w)
{
	if (w == SC_HELD)
		return (struct sidlink){ &c->u.proxy.hnext, &c->u.proxy.held, c->u.proxy.sid };
	return (struct sidlink){ &c->u.client.hnext, &c->u.client.pending, c->u.client.sid };
}

static struct rconn **
sidchain_head(struct rdv *r, enum sidchain w, const char *sid)
{
	return &(w == SC_HELD ? r->held : r->pending)[sid_bucket(sid)];
}

static void
sidchain_add(struct rconn *c, enum sidchain w)
{
	struct sidlink l = sidlink_of(c, w);
	struct rconn **head = sidchain_head(c->r, w, l.sid);

	*l.next = *head;
	*head = c;
	*l.on = 1;
}

static void
sidchain_remove(struct rconn *c, enum sidchain w)
{
	struct sidlink l = sidlink_of(c, w);
	struct rconn **pp;

	if (!*l.on)
		return;
	for (pp = sidchain_head(c->r, w, l.sid); *pp != NULL; pp = sidlink_of(*pp, w).next) {
		if (*pp == c) {
			*pp = *l.next;
			break;
		}
	}
	*l.on = 0;
}

/* The first connection on chain w with this sid that ok accepts (NULL: any). */
static struct rconn *
sidchain_find(struct rdv *r, enum sidchain w, const char *sid, int (*ok)(const struct rconn *))
{
	struct rconn *c;

	for (c = *sidchain_head(r, w, sid); c != NULL; c = *sidlink_of(c, w).next) {
		if (strcmp(sidlink_of(c, w).sid, sid) == 0 && (ok == NULL || ok(c)))
			return c;
	}
	return NULL;
}

static void
client_reply(struct rconn *c, const char *answer, size_t alen, const char *error)
{
	char small[256], *out = small;
	size_t cap = sizeof(small);
	ssize_t n;

	if (c->u.client.legacy) {
		/* pre-1.0 clients: the bare answer, or 503 / 504 */
		if (answer != NULL)
			rconn_reply(c, 200, answer, alen);
		else
			rconn_reply(c, strcmp(error, TIMED_OUT) == 0 ? 504 : 503, NULL, 0);
		return;
	}
	if (answer != NULL && (n = sf_client_response(NULL, 0, answer, alen, NULL)) >= 0)
		cap = (size_t)n + 1;
	if (cap > sizeof(small) && (out = malloc(cap)) == NULL) {
		rconn_reply(c, 500, NULL, 0);
		return;
	}
	n = sf_client_response(out, cap, answer, alen, error);
	if (n < 0)
		rconn_reply(c, 500, NULL, 0);
	else
		rconn_reply(c, 200, out, (size_t)n);
	if (out != small)
		free(out);
}

static void
proxy_reply_raw(struct rconn *c, const char *status, const char *offer, size_t olen, const char *nat,
                const char *relay)
{
	char small[128], *out = small;
	size_t cap = sizeof(small);
	ssize_t n = sf_proxy_response(NULL, 0, status, offer, olen, nat, relay);

	if (n >= 0 && (size_t)n + 1 > cap) {
		cap = (size_t)n + 1;
		if ((out = malloc(cap)) == NULL) {
			rconn_reply(c, 500, NULL, 0);
			return;
		}
	}
	n = sf_proxy_response(out, cap, status, offer, olen, nat, relay);
	if (n < 0)
		rconn_reply(c, 500, NULL, 0);
	else
		rconn_reply(c, 200, out, (size_t)n);
	if (out != small)
		free(out);
}

static void
proxy_reply(struct rconn *c, const char *status, const struct rconn *client, const char *relay)
{
	if (client == NULL)
		proxy_reply_raw(c, status, NULL, 0, NULL, relay);
	else
		proxy_reply_raw(c, status, client->u.client.offer, client->u.client.offer_len,
		                sf_nat_name(client->u.client.mc.nat), relay);
}

static int
proxy_pooled(const struct rconn *p)
{
	return p->u.proxy.mp.pooled;
}

struct rconn *
sf_held_proxy(struct rdv *r, const char *sid)
{
	return sidchain_find(r, SC_HELD, sid, proxy_pooled);
}

/* The client was handed to the proxy: the offer goes out, the client waits for the answer. */
static void
pair(struct rconn *p, struct rconn *c)
{
	struct rdv *r = c->r;
	uint64_t both = p->u.proxy.mp.relays & c->u.client.mc.relays;
	int relay = relays_pick(&r->relays, both);
	double waited = ev_now(r->loop) - c->u.client.arrived;
	double left = r->cfg.client_timeout - waited;

	match_pool_remove(&r->match, &p->u.proxy.mp);
	sidchain_remove(p, SC_HELD);
	match_queue_remove(&r->match, &c->u.client.mc);
	r->nproxies--;
	r->m.matches++;
	r->m.matches_nat[c->u.client.mc.nat]++;
	proxy_reply(p, "client match", c, r->relays.r[relay].url);
	membudget_uncharge(&r->mem, membudget_cost(c->u.client.offer_len + 1));
	free(c->u.client.offer);
	c->u.client.offer = NULL;
	c->u.client.offer_len = 0;
	snprintf(c->u.client.sid, sizeof(c->u.client.sid), "%s", p->u.proxy.sid);
	c->u.client.relay = relay;
	c->u.client.proxy_addr = p->addr;
	addrtab_ref(&r->addrs, p->addr);
	sidchain_add(c, SC_PENDING);
	rconn_hold(c, RC_CLIENT_WAIT, left > 0.05 ? left : 0.05);
	log_debug("matched a %s client with a %s proxy, relay %s", sf_nat_name(c->u.client.mc.nat),
	          sf_nat_name(p->u.proxy.mp.nat), r->relays.r[relay].url);
}

static void
on_client(struct rconn *c, const uint8_t *body, size_t len)
{
	struct rdv *r = c->r;
	struct sf_client_poll cp;
	struct mproxy *mp;
	const char *why;
	uint64_t relays, now = rdv_now_ms(r);

	c->u.client.legacy = len > 0 && body[0] == '{';
	c->u.client.relay = -1;
	c->u.client.remote_pool = -1;
	if (sf_client_poll_decode(body, len, c->nat_hdr, &cp, &why) < 0) {
		r->m.bad_version += strcmp(why, "unsupported message version") == 0;
		r->m.bad_requests++;
		client_reply(c, NULL, 0, why);
		return;
	}
	r->m.client_polls[cp.nat]++;
	if ((relays = relays_for_bridge(&r->relays, cp.fingerprint)) == 0) {
		r->m.unknown_bridge++;
		sf_client_poll_free(&cp);
		client_reply(c, NULL, 0, UNKNOWN_BRIDGE);
		return;
	}
	if (r->nclients >= r->cfg.max_clients) {
		r->m.refused_clients++;
		sf_client_poll_free(&cp);
		client_reply(c, NULL, 0, NO_PROXIES);
		return;
	}
	c->u.client.offer = cp.offer;
	c->u.client.offer_len = cp.offer_len;
	c->u.client.mc.nat = cp.nat;
	c->u.client.mc.relays = relays;
	c->u.client.mc.since_ms = now;
	c->u.client.arrived = ev_now(r->loop);
	r->nclients++;
	c->route = RT_CLIENT;
	membudget_force(&r->mem, membudget_cost(cp.offer_len + 1));
	while ((mp = match_best(&r->match, cp.nat, relays, now)) != NULL) {
		struct rconn *p = container_of(mp, struct rconn, u.proxy.mp);

		if (rconn_alive(p)) {
			pair(p, c);
			return;
		}
		r->m.dead_proxies++;
		rconn_close(p);
	}
	if (rdv_redis_claim(c) == 0)
		return;
	sf_no_proxy(c);
}

void
sf_no_proxy(struct rconn *c)
{
	struct rdv *r = c->r;
	double left = r->cfg.client_wait - (ev_now(r->loop) - c->u.client.arrived);

	c->u.client.remote_pool = -1;
	if (left > 0.01) {
		match_queue_add(&r->match, &c->u.client.mc);
		rconn_hold(c, RC_CLIENT_QUEUED, left);
		return;
	}
	r->m.client_no_match++;
	sf_held_close(c);
	client_reply(c, NULL, 0, NO_PROXIES);
}

void
sf_remote_pending(struct rconn *c, const char *sid, int relay)
{
	struct rdv *r = c->r;
	double left = r->cfg.client_timeout - (ev_now(r->loop) - c->u.client.arrived);

	snprintf(c->u.client.sid, sizeof(c->u.client.sid), "%s", sid);
	c->u.client.relay = relay;
	sidchain_add(c, SC_PENDING);
	rconn_hold(c, RC_CLIENT_WAIT, left > 0.05 ? left : 0.05);
}

struct rconn *
sf_pending_take(struct rdv *r, const char *sid)
{
	struct rconn *c = sidchain_find(r, SC_PENDING, sid, NULL);

	if (c != NULL)
		sidchain_remove(c, SC_PENDING);
	return c;
}

void
sf_remote_pair(struct rconn *p, const char *offer, size_t len, enum sf_nat nat, const char *relay)
{
	struct rdv *r = p->r;

	match_pool_remove(&r->match, &p->u.proxy.mp);
	sidchain_remove(p, SC_HELD);
	r->nproxies--;
	r->m.remote_served++;
	proxy_reply_raw(p, "client match", offer, len, sf_nat_name(nat), relay);
}

int
sf_deliver_answer(struct rdv *r, const char *sid, const char *answer, size_t len)
{
	struct rconn *cl = sidchain_find(r, SC_PENDING, sid, NULL);

	if (cl == NULL)
		return 0;
	r->m.answers++;
	sidchain_remove(cl, SC_PENDING);
	if (cl->u.client.proxy_addr != NULL)
		addrtab_outcome(cl->u.client.proxy_addr, 1);
	client_reply(cl, answer, len, NULL);
	sf_held_close(cl);
	return 1;
}

void
sf_answer_reply(struct rconn *c, int delivered)
{
	char out[64];
	ssize_t n = sf_answer_response(out, sizeof(out), delivered);

	if (!delivered)
		c->r->m.client_gone_answers++;
	rconn_reply(c, 200, out, (size_t)n);
}

static void
on_proxy(struct rconn *c, const uint8_t *body, size_t len)
{
	struct rdv *r = c->r;
	struct sf_proxy_poll pp;
	struct rconn *old;
	struct mclient *mc;
	const char *why;
	uint64_t now = rdv_now_ms(r);
	int nontls_ok;

	if (sf_proxy_poll_decode(body, len, &pp, &why) < 0) {
		r->m.bad_version += strcmp(why, "using unknown version") == 0;
		r->m.bad_requests++;
		log_debug("proxy poll: %s", why);
		rconn_reply(c, 400, NULL, 0);
		return;
	}
	r->m.proxy_polls[pp.nat]++;
	if (!addrtab_take(c->addr, r->cfg.poll_rate, r->cfg.poll_burst, now)) {
		r->m.refused_rate++;
		proxy_reply(c, "no match", NULL, NULL);
		return;
	}
	nontls_ok = c->addr->nontls_ban_until_ms <= now;
	c->u.proxy.mp.relays = relays_for_proxy(&r->relays, pp.has_pattern, pp.pattern, nontls_ok);
	if (c->u.proxy.mp.relays == 0) {
		r->m.relay_pattern++;
		proxy_reply(c, "incorrect relay pattern", NULL, NULL);
		return;
	}
	if (r->nproxies >= r->cfg.max_proxies) {
		r->m.refused_proxies++;
		proxy_reply(c, "no match", NULL, NULL);
		return;
	}
	if (sidchain_find(r, SC_PENDING, pp.sid, NULL) != NULL) {
		/* a client is waiting for this Sid's answer: no second match on it */
		r->m.sid_clash++;
		proxy_reply(c, "no match", NULL, NULL);
		return;
	}
	if ((old = sf_held_proxy(r, pp.sid)) != NULL) {
		/* the same Sid polls again (its client gave up on the last poll): the new poll replaces it */
		r->m.sid_clash++;
		sf_held_close(old);
		proxy_reply(old, "no match", NULL, NULL);
	}
	snprintf(c->u.proxy.sid, sizeof(c->u.proxy.sid), "%s", pp.sid);
	c->u.proxy.mp.nat = pp.nat;
	c->u.proxy.mp.clients = pp.clients;
	c->u.proxy.mp.since_ms = now;
	c->u.proxy.mp.success = c->addr->success;
	c->route = RT_PROXY;
	r->nproxies++;
	match_pool_add(&r->match, &c->u.proxy.mp);
	if ((mc = match_oldest(&r->match, &c->u.proxy.mp)) != NULL) {
		pair(c, container_of(mc, struct rconn, u.client.mc));
		return;
	}
	sidchain_add(c, SC_HELD);
	rconn_hold(c, RC_PROXY_HELD, r->cfg.proxy_timeout);
	rdv_redis_advertise(c);
}

static void
on_answer(struct rconn *c, const uint8_t *body, size_t len)
{
	struct rdv *r = c->r;
	struct sf_answer a;
	const char *why;
	int delivered;

	if (sf_answer_decode(body, len, &a, &why) < 0) {
		r->m.bad_version += strcmp(why, "using unknown version") == 0;
		r->m.bad_requests++;
		rconn_reply(c, 400, NULL, 0);
		return;
	}
	delivered = sf_deliver_answer(r, a.sid, a.answer, a.answer_len);
	if (!delivered && rdv_redis_answer(c, a.sid, a.answer, a.answer_len) == 0) {
		sf_answer_free(&a);
		return; /* its client may wait in another process */
	}
	sf_answer_free(&a);
	sf_answer_reply(c, delivered);
}

void
sf_route(struct rconn *c, const uint8_t *body, size_t len)
{
	static const char robots[] = "User-agent: *\nDisallow: /\n";
	static const char notfound[] = "404 page not found\n";

	if (c->route == RT_FREDDIE) {
		fr_route(c, body, len);
		return;
	}
	if (c->method == RM_OPTIONS) {
		rconn_reply(c, 200, NULL, 0);
		return;
	}
	switch (c->route) {
	case RT_CLIENT:
	case RT_PROXY:
	case RT_ANSWER:
		if (c->method != RM_POST) {
			rconn_reply(c, 405, NULL, 0);
			return;
		}
		if (c->route == RT_CLIENT)
			on_client(c, body, len);
		else if (c->route == RT_PROXY)
			on_proxy(c, body, len);
		else
			on_answer(c, body, len);
		return;
	case RT_ROBOTS:
		rconn_reply(c, 200, robots, sizeof(robots) - 1);
		return;
	default:
		rconn_reply(c, 404, notfound, sizeof(notfound) - 1);
	}
}

void
sf_held_timeout(struct rconn *c)
{
	struct rdv *r = c->r;

	switch (c->state) {
	case RC_PROXY_HELD:
		r->m.proxy_idle++;
		sf_held_close(c);
		proxy_reply(c, "no match", NULL, NULL);
		break;
	case RC_CLIENT_QUEUED:
		r->m.client_no_match++;
		sf_held_close(c);
		client_reply(c, NULL, 0, NO_PROXIES);
		break;
	case RC_CLIENT_WAIT:
		r->m.client_timeouts++;
		if (c->u.client.proxy_addr != NULL) {
			addrtab_outcome(c->u.client.proxy_addr, 0);
			/* a proxy that drops a ws:// relay silently gets wss:// ones for a while */
			if (c->u.client.relay >= 0 && !r->relays.r[c->u.client.relay].tls)
				c->u.client.proxy_addr->nontls_ban_until_ms = rdv_now_ms(r) + RDV_NONTLS_BAN_MS;
		}
		sf_held_close(c);
		client_reply(c, NULL, 0, TIMED_OUT);
		break;
	case RC_FR_HELD:
	case RC_STREAM:
		fr_timeout(c);
		break;
	case RC_REDIS:
		r->m.redis_errors++;
		rdv_serial_remove(c);
		if (c->route == RT_CLIENT)
			sf_no_proxy(c);
		else
			sf_answer_reply(c, 0);
		break;
	default:
		break;
	}
}

/* Leave the pool, the queue or the pending table; forget the role's state. */
void
sf_held_close(struct rconn *c)
{
	struct rdv *r = c->r;
	int legacy = c->route == RT_CLIENT && c->u.client.legacy;

	rdv_serial_remove(c);
	if (c->route == RT_FREDDIE) {
		fr_held_close(c);
	} else if (c->route == RT_ANSWER) {
		free(c->u.ans.answer);
	} else if (c->route == RT_PROXY) {
		sidchain_remove(c, SC_HELD);
		if (c->u.proxy.mp.pooled) {
			match_pool_remove(&r->match, &c->u.proxy.mp);
			r->nproxies--;
		}
	} else if (c->route == RT_CLIENT) {
		if (c->u.client.mc.queued || c->u.client.offer != NULL || c->u.client.pending ||
		    c->u.client.proxy_addr != NULL)
			r->nclients--;
		match_queue_remove(&r->match, &c->u.client.mc);
		sidchain_remove(c, SC_PENDING);
		if (c->u.client.offer != NULL)
			membudget_uncharge(&r->mem, membudget_cost(c->u.client.offer_len + 1));
		free(c->u.client.offer);
		addrtab_unref(&r->addrs, c->u.client.proxy_addr);
	}
	memset(&c->u, 0, sizeof(c->u));
	c->u.client.legacy = legacy; /* the answer still to write takes its form from it */
	c->route = RT_NONE;
}
