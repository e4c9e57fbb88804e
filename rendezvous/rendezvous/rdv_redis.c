/* SPDX-License-Identifier: MIT */
/*
 * --redis: several rendezvous processes behind one load balancer share
 * their volunteers through redis-server, so a client that reaches process
 * A is matched with a proxy whose poll is held by process B.
 *
 *   B, a proxy poll parked with no local client: RPUSH rdv:px:NAT
 *      "B|SID|RELAYS|EXPIRY_MS|CLIENTS" (the list trimmed to
 *      RDV_REDIS_LIST_MAX);
 *   A, a client with no local proxy: LPOP the compatible lists in
 *      Snowflake's NAT order, skipping expired, foreign-relay and own
 *      entries; SET rdv:sid:SID A (expiring with the client timeout) and
 *      PUBLISH rdv:p:B {"op":"offer",…}; the client now waits for SID's
 *      answer as a local match would;
 *   B hands the offer to the held poll, or PUBLISHes {"op":"nak"} back
 *      when it is gone (A tries the next entry, RDV_REDIS_TRIES at most);
 *   any process given POST /answer for a SID not waiting locally GETs
 *      rdv:sid:SID and PUBLISHes {"op":"answer",…} to its owner.
 *
 * Without redis (down, restarting) each process matches locally; the
 * adapter reconnects by itself and the subscription is renewed, so the
 * processes recover once redis-server is back. All processes must be
 * given the same relays (relay masks travel as numbers).
 */
#include "rdv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/hex.h"
#include "base/log.h"

#define RDV_REDIS_TRIES 4
#define RDV_REDIS_WAIT 2.0
#define RDV_REDIS_LIST_MAX "-65536"

static const char *const pool_key[SF_NAT_N] = { "rdv:px:unknown", "rdv:px:restricted", "rdv:px:unrestricted" };

static size_t
serial_bucket(uint64_t s)
{
	return (size_t)(s % RDV_PENDING_BUCKETS);
}

static void
serial_add(struct rconn *c)
{
	struct rdv *r = c->r;
	size_t b;

	rdv_serial_remove(c);
	c->serial = ++r->next_serial;
	b = serial_bucket(c->serial);
	c->snext = r->serials[b];
	r->serials[b] = c;
	c->in_serial = 1;
}

void
rdv_serial_remove(struct rconn *c)
{
	struct rconn **pp;

	if (!c->in_serial)
		return;
	for (pp = &c->r->serials[serial_bucket(c->serial)]; *pp != NULL; pp = &(*pp)->snext) {
		if (*pp == c) {
			*pp = c->snext;
			break;
		}
	}
	c->in_serial = 0;
}

static struct rconn *
serial_find(struct rdv *r, uint64_t s)
{
	struct rconn *c;

	for (c = r->serials[serial_bucket(s)]; c != NULL; c = c->snext) {
		if (c->serial == s)
			return c;
	}
	return NULL;
}

int
rdv_redis_up(const struct rdv *r)
{
	return redisc_up(r->rcmd) && redisc_up(r->rsub);
}

static int
cmd(struct rdv *r, redisc_cb cb, uint64_t token, int argc, const char **argv)
{
	size_t lens[8];
	int i;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (redisc_cmd(r->rcmd, cb, r, token, argc, argv, lens) == -1) {
		r->m.redis_errors++;
		return -1;
	}
	return 0;
}

/* PUBLISH rdv:p:PROC with a JSON object built by json_pack. */
static int
publish(struct rdv *r, const char *proc, json_t *msg)
{
	char chan[32];
	char *text;
	const char *argv[3];
	int ret;

	if (msg == NULL)
		return -1;
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		return -1;
	snprintf(chan, sizeof(chan), "rdv:p:%s", proc);
	argv[0] = "PUBLISH";
	argv[1] = chan;
	argv[2] = text;
	ret = cmd(r, NULL, 0, 3, argv);
	free(text);
	return ret;
}

void
rdv_redis_advertise(struct rconn *p)
{
	struct rdv *r = p->r;
	struct rmsg_ad ad;
	char entry[256];
	const char *argv[4];

	if (!rdv_redis_up(r))
		return;
	memset(&ad, 0, sizeof(ad));
	snprintf(ad.proc, sizeof(ad.proc), "%s", r->proc);
	snprintf(ad.sid, sizeof(ad.sid), "%s", p->u.proxy.sid);
	ad.relays = p->u.proxy.mp.relays;
	ad.expiry_ms = rdv_now_ms(r) + (uint64_t)(r->cfg.proxy_timeout * 1000);
	ad.clients = p->u.proxy.mp.clients;
	if (rmsg_ad_encode(entry, sizeof(entry), &ad) < 0)
		return;
	argv[0] = "RPUSH";
	argv[1] = pool_key[p->u.proxy.mp.nat];
	argv[2] = entry;
	if (cmd(r, NULL, 0, 3, argv) == -1)
		return;
	argv[0] = "LTRIM";
	argv[2] = RDV_REDIS_LIST_MAX;
	argv[3] = "-1";
	(void)cmd(r, NULL, 0, 4, argv);
}

static void claim_next(struct rconn *c);

static void
give_up(struct rconn *c)
{
	rdv_serial_remove(c);
	sf_no_proxy(c);
}

static void
send_offer(struct rconn *c, const struct rmsg_ad *ad, int relay)
{
	struct rdv *r = c->r;
	char key[96], ttl[24];
	const char *argv[5];

	snprintf(key, sizeof(key), "rdv:sid:%s", ad->sid);
	snprintf(ttl, sizeof(ttl), "%d", (int)r->cfg.client_timeout + 1);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = r->proc;
	argv[3] = "EX";
	argv[4] = ttl;
	if (cmd(r, NULL, 0, 5, argv) == -1 ||
	    publish(r, ad->proc,
	            json_pack("{s:s, s:s, s:s, s:s%, s:s, s:s}", "op", "offer", "sid", ad->sid, "from", r->proc,
	                      "offer", c->u.client.offer, c->u.client.offer_len, "nat",
	                      sf_nat_name(c->u.client.mc.nat), "relay", r->relays.r[relay].url)) == -1) {
		give_up(c);
		return;
	}
	r->m.remote_matches++;
	r->m.matches++;
	r->m.matches_nat[c->u.client.mc.nat]++;
	rdv_serial_remove(c);
	sf_remote_pending(c, ad->sid, relay);
}

static void
on_lpop(void *arg, uint64_t token, const struct redisc_reply *rep)
{
	struct rdv *r = arg;
	struct rconn *c = serial_find(r, token);
	struct rmsg_ad ad;
	uint64_t both;

	if (c == NULL || c->state != RC_REDIS)
		return;
	if (rep == NULL || rep->kind != REDISC_STRING) {
		c->u.client.remote_pool++; /* this list is empty: the next one */
		claim_next(c);
		return;
	}
	c->u.client.remote_tries++;
	if (rmsg_ad_decode((const uint8_t *)rep->str, rep->len, &ad) < 0 || strcmp(ad.proc, r->proc) == 0 ||
	    ad.expiry_ms <= rdv_now_ms(r) || (both = ad.relays & c->u.client.mc.relays) == 0) {
		claim_next(c);
		return;
	}
	send_offer(c, &ad, relays_pick(&r->relays, both));
}

static void
claim_next(struct rconn *c)
{
	struct rdv *r = c->r;
	const char *argv[2];
	int pool = c->u.client.remote_pool;

	/* Snowflake's rule: only unrestricted clients may take restricted or unknown proxies */
	if (c->u.client.mc.nat != SF_NAT_UNRESTRICTED && pool < SF_NAT_UNRESTRICTED)
		pool = SF_NAT_UNRESTRICTED;
	c->u.client.remote_pool = pool;
	if (pool >= SF_NAT_N || c->u.client.remote_tries >= RDV_REDIS_TRIES * 4) {
		give_up(c);
		return;
	}
	argv[0] = "LPOP";
	argv[1] = pool_key[pool];
	if (cmd(r, on_lpop, c->serial, 2, argv) == -1)
		give_up(c);
}

static double
redis_wait(const struct rconn *c)
{
	const struct rdv *r = c->r;
	double left = r->cfg.client_timeout - (ev_now(r->loop) - c->u.client.arrived);

	return left < RDV_REDIS_WAIT ? (left > 0.05 ? left : 0.05) : RDV_REDIS_WAIT;
}

int
rdv_redis_claim(struct rconn *c)
{
	struct rdv *r = c->r;

	if (!rdv_redis_up(r))
		return -1;
	r->m.remote_claims++;
	c->u.client.remote_pool = 0;
	c->u.client.remote_tries = 0;
	serial_add(c);
	rconn_hold(c, RC_REDIS, redis_wait(c));
	claim_next(c);
	return 0;
}

static void
on_get(void *arg, uint64_t token, const struct redisc_reply *rep)
{
	struct rdv *r = arg;
	struct rconn *c = serial_find(r, token);
	char proc[RMSG_PROC_LEN + 1];
	int ok = 0;

	if (c == NULL || c->state != RC_REDIS)
		return;
	rdv_serial_remove(c);
	if (rep != NULL && rep->kind == REDISC_STRING && rep->len == RMSG_PROC_LEN) {
		memcpy(proc, rep->str, RMSG_PROC_LEN);
		proc[RMSG_PROC_LEN] = '\0';
		ok = publish(r, proc,
		             json_pack("{s:s, s:s, s:s%}", "op", "answer", "sid", c->u.ans.sid, "answer",
		                       c->u.ans.answer, c->u.ans.answer_len)) == 0;
	}
	r->m.remote_answers += ok;
	free(c->u.ans.answer);
	c->u.ans.answer = NULL;
	sf_answer_reply(c, ok);
}

int
rdv_redis_answer(struct rconn *c, const char *sid, const char *answer, size_t len)
{
	struct rdv *r = c->r;
	char key[96];
	const char *argv[2];

	if (!rdv_redis_up(r))
		return -1;
	if ((c->u.ans.answer = malloc(len + 1)) == NULL)
		return -1;
	memcpy(c->u.ans.answer, answer, len + 1);
	c->u.ans.answer_len = len;
	snprintf(c->u.ans.sid, sizeof(c->u.ans.sid), "%s", sid);
	snprintf(key, sizeof(key), "rdv:sid:%s", sid);
	argv[0] = "GET";
	argv[1] = key;
	serial_add(c);
	if (cmd(r, on_get, c->serial, 2, argv) == -1) {
		rdv_serial_remove(c);
		free(c->u.ans.answer);
		c->u.ans.answer = NULL;
		return -1;
	}
	rconn_hold(c, RC_REDIS, RDV_REDIS_WAIT);
	return 0;
}

static void
on_message(void *arg, uint64_t token, const struct redisc_reply *rep)
{
	struct rdv *r = arg;
	struct rmsg m;
	struct rconn *c;

	(void)token;
	if (rep == NULL || rep->kind != REDISC_ARRAY || rep->nelem < 3 || rep->elem[0].kind != REDISC_STRING ||
	    rep->elem[0].len != 7 || memcmp(rep->elem[0].str, "message", 7) != 0)
		return;
	if (rmsg_decode((const uint8_t *)rep->elem[2].str, rep->elem[2].len, &m) < 0) {
		r->m.redis_errors++;
		return;
	}
	switch (m.op) {
	case RMSG_OFFER:
		c = sf_held_proxy(r, m.sid);
		if (c != NULL && rconn_alive(c)) {
			sf_remote_pair(c, m.offer, m.offer_len, m.nat, m.relay);
		} else {
			if (c != NULL)
				rconn_close(c);
			(void)publish(r, m.from,
			              json_pack("{s:s, s:s, s:s}", "op", "nak", "sid", m.sid, "from", r->proc));
		}
		break;
	case RMSG_NAK:
		r->m.remote_naks++;
		if ((c = sf_pending_take(r, m.sid)) != NULL) {
			r->m.matches--;
			serial_add(c);
			rconn_hold(c, RC_REDIS, redis_wait(c));
			claim_next(c);
		}
		break;
	case RMSG_ANSWER:
		(void)sf_deliver_answer(r, m.sid, m.answer, m.answer_len);
		break;
	}
	rmsg_free(&m);
}

static void
on_sub_state(void *arg, int up)
{
	struct rdv *r = arg;
	char chan[32];
	const char *argv[2];
	size_t lens[2];

	if (!up)
		return;
	snprintf(chan, sizeof(chan), "rdv:p:%s", r->proc);
	argv[0] = "SUBSCRIBE";
	argv[1] = chan;
	lens[0] = strlen(argv[0]);
	lens[1] = strlen(chan);
	if (redisc_cmd(r->rsub, on_message, r, 0, 2, argv, lens) == -1)
		r->m.redis_errors++;
}

void
rdv_redis_open(struct rdv *r, const struct endpoint *ep)
{
	uint8_t b[RMSG_PROC_LEN / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		fatal(101, "getrandom");
	hex_encode(r->proc, b, sizeof(b));
	r->rcmd = redisc_new(r->loop, ep, NULL, r);
	r->rsub = redisc_new(r->loop, ep, on_sub_state, r);
	if (r->rcmd == NULL || r->rsub == NULL)
		fatalx(101, "out of memory");
	log_info("redis: process %s", r->proc);
}

void
rdv_redis_close(struct rdv *r)
{
	redisc_free(r->rcmd);
	redisc_free(r->rsub);
	r->rcmd = r->rsub = NULL;
}
