/* SPDX-License-Identifier: MIT */
/*
 * freddie's wire (Lantern's Unbounded signaling, reference lantern.md
 * §3.2–3.4) over the matchmaking core:
 *
 *   GET /v1/signal   a consumer's genesis stream: JSON lines
 *                    {"ReplyTo":…,"Type":0,"Payload":…} for FR_CONSUMER_TTL;
 *   POST /v1/signal  form fields data, send-to, type: to "genesis" a
 *                    volunteer's announcement, otherwise the reply to the
 *                    held POST whose reqID is send-to (404 when that one is
 *                    gone); the POST itself is then held for the reply
 *                    addressed to its own new reqID (15 s after an offer or
 *                    an answer, none after ICE, 5 s otherwise), answered as
 *                    one JSON line, or an empty 200 on timeout.
 *
 * Every request but OPTIONS carries X-BF-Version with major "v2", or gets
 * 418 "418\n". Unlike freddie, a genesis is never lost for a consumer that
 * was not reading at that instant: a volunteer's genesis stays in the pool
 * while its POST is held, and a consumer that opens its stream later is
 * sent the best of them, chosen by the matchmaking core (free slots,
 * freshness, success of its address; each proposal counts as a load so
 * consumers spread); a genesis posted while consumers wait idle reaches all
 * of them (bounded fan-out: a stream more than FR_STREAM_MAX behind is
 * cut), and the first offer wins, as in freddie.
 */
#include "rdv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "fform.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define FR_VERSION "v2.3.1"

enum { FR_GENESIS = 0, FR_OFFER = 1, FR_ANSWER = 2, FR_ICE = 3 };

static const char options_hdrs[] =
	"Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: GET,HEAD,OPTIONS,POST,PUT\r\n"
	"Access-Control-Allow-Headers: Accept, Content-Type, Content-Length, Accept-Encoding, "
	"X-CSRF-Token, Authorization, X-BF-Version\r\n";
static const char plain_hdrs[] = "Content-Type: text/plain; charset=utf-8\r\nAccess-Control-Allow-Origin: *\r\n";

static void
new_id(char out[FR_ID_LEN + 1])
{
	uint8_t b[16];
	size_t i, o = 0;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		fatal(101, "getrandom");
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		o += (size_t)snprintf(out + o, 3, "%02x", b[i]);
	}
	out[o] = '\0';
}

static size_t
id_bucket(const char *id)
{
	uint64_t h = 1469598103934665603ull;

	for (; *id != '\0'; id++)
		h = (h ^ (uint8_t)*id) * 1099511628211ull;
	return (size_t)(h % RDV_PENDING_BUCKETS);
}

static void
slot_add(struct rconn *c)
{
	struct rdv *r = c->r;
	size_t b = id_bucket(c->u.fr.id);

	c->u.fr.hnext = r->fslots[b];
	r->fslots[b] = c;
	c->u.fr.slot = 1;
	r->nfslots++;
}

static struct rconn *
slot_find(struct rdv *r, const char *id)
{
	struct rconn *c;

	for (c = r->fslots[id_bucket(id)]; c != NULL; c = c->u.fr.hnext) {
		if (strcmp(c->u.fr.id, id) == 0)
			return c;
	}
	return NULL;
}

static void
slot_remove(struct rconn *c)
{
	struct rconn **pp;

	if (!c->u.fr.slot)
		return;
	for (pp = &c->r->fslots[id_bucket(c->u.fr.id)]; *pp != NULL; pp = &(*pp)->u.fr.hnext) {
		if (*pp == c) {
			*pp = c->u.fr.hnext;
			break;
		}
	}
	c->u.fr.slot = 0;
	c->r->nfslots--;
}

/* {"ReplyTo":id,"Type":type,"Payload":data}\n into a new allocation. */
static char *
envelope(const char *id, long type, const char *data, size_t dlen, size_t *outlen)
{
	char head[96];
	int hl = snprintf(head, sizeof(head), "{\"ReplyTo\":\"%s\",\"Type\":%ld,\"Payload\":", id, type);
	ssize_t q = sf_json_quote(NULL, 0, data, dlen);
	char *out;

	if (hl < 0 || q < 0 || (out = malloc((size_t)hl + (size_t)q + 3)) == NULL)
		return NULL;
	memcpy(out, head, (size_t)hl);
	(void)sf_json_quote(out + hl, (size_t)q + 1, data, dlen);
	memcpy(out + hl + q, "}\n", 3);
	*outlen = (size_t)hl + (size_t)q + 2;
	return out;
}

/*
 * Send a genesis to a consumer's stream; the stream is cut if it is too far
 * behind. A fresh stream (the request being handled) always has room, as a
 * genesis is at most FR_GENESIS_MAX, so only other connections are closed.
 */
static void
consumer_send(struct rconn *con, struct rconn *vol)
{
	struct rdv *r = con->r;

	match_queue_remove(&r->fmatch, &con->u.fr.mc);
	if (rconn_stream_send(con, vol->u.fr.genesis, vol->u.fr.genesis_len) == -1) {
		r->m.fr_stream_cut++;
		rconn_close(con);
		return;
	}
	vol->u.fr.mp.clients++; /* a proposal counts as load: the next consumer gets another */
}

static void
on_genesis(struct rconn *c, const struct fform *f)
{
	struct rdv *r = c->r;
	struct match_link *l, *next;

	c->u.fr.genesis = envelope(c->u.fr.id, FR_GENESIS, f->data, f->data_len, &c->u.fr.genesis_len);
	if (c->u.fr.genesis == NULL) {
		rconn_reply(c, 500, NULL, 0);
		return;
	}
	if (c->u.fr.genesis_len > FR_GENESIS_MAX) {
		/* a fresh stream must always take one genesis: see consumer_send */
		free(c->u.fr.genesis);
		c->u.fr.genesis = NULL;
		r->m.oversize++;
		rconn_reply_hdrs(c, 413, NULL, 0, plain_hdrs);
		return;
	}
	membudget_force(&r->mem, membudget_cost(c->u.fr.genesis_len));
	r->m.fr_genesis++;
	c->u.fr.volunteer = 1;
	c->u.fr.mp.nat = SF_NAT_UNRESTRICTED;
	c->u.fr.mp.relays = 1;
	c->u.fr.mp.since_ms = rdv_now_ms(r);
	c->u.fr.mp.success = c->addr->success;
	match_pool_add(&r->fmatch, &c->u.fr.mp);
	r->nvolunteers++;
	/* every idle consumer hears it now */
	for (l = r->fmatch.queue.next; l != &r->fmatch.queue; l = next) {
		next = l->next;
		consumer_send(container_of(l, struct rconn, u.fr.mc.link), c);
	}
}

static void
on_stream(struct rconn *c)
{
	struct rdv *r = c->r;
	struct mproxy *mp;

	if (r->nconsumers >= r->cfg.max_clients) {
		r->m.refused_clients++;
		rconn_reply_hdrs(c, 503, NULL, 0, plain_hdrs);
		return;
	}
	r->m.fr_streams++;
	r->nconsumers++;
	c->u.fr.stream = 1;
	c->u.fr.mc.nat = SF_NAT_UNRESTRICTED;
	c->u.fr.mc.relays = 1;
	c->u.fr.mc.since_ms = rdv_now_ms(r);
	rconn_stream_start(c, FR_CONSUMER_TTL);
	match_queue_add(&r->fmatch, &c->u.fr.mc);
	/* a genesis already waiting: the best one, not whichever came first */
	while ((mp = match_best(&r->fmatch, SF_NAT_UNRESTRICTED, 1, rdv_now_ms(r))) != NULL) {
		struct rconn *v = container_of(mp, struct rconn, u.fr.mp);

		if (rconn_alive(v)) {
			consumer_send(c, v);
			return;
		}
		rconn_close(v);
	}
}

static double
reply_ttl(long type)
{
	switch (type) {
	case FR_OFFER:
	case FR_ANSWER:
		return FR_OFFER_TTL;
	case FR_ICE:
		return 0;
	default:
		return FR_DEFAULT_TTL;
	}
}

static void
on_post(struct rconn *c, const uint8_t *body, size_t len)
{
	struct rdv *r = c->r;
	struct fform f;
	double ttl;

	if (fform_decode(body, len, &f) < 0 || !f.has_type) {
		fform_free(&f);
		r->m.bad_requests++;
		rconn_reply_hdrs(c, 400, "400\n", 4, plain_hdrs);
		return;
	}
	if (f.data == NULL && (f.data = calloc(1, 1)) == NULL) {
		rconn_reply(c, 500, NULL, 0);
		return;
	}
	if (r->nfslots >= r->cfg.max_proxies + r->cfg.max_clients) {
		fform_free(&f);
		r->m.refused_proxies++;
		rconn_reply_hdrs(c, 503, NULL, 0, plain_hdrs);
		return;
	}
	new_id(c->u.fr.id);
	if (strcmp(f.send_to, "genesis") == 0) {
		on_genesis(c, &f);
	} else {
		struct rconn *to = slot_find(r, f.send_to);
		char *env;
		size_t elen;

		if (to == NULL || !rconn_alive(to)) {
			if (to != NULL)
				rconn_close(to);
			fform_free(&f);
			r->m.fr_not_found++;
			rconn_reply_hdrs(c, 404, "404\n", 4, plain_hdrs);
			return;
		}
		if ((env = envelope(c->u.fr.id, f.type, f.data, f.data_len, &elen)) == NULL) {
			fform_free(&f);
			rconn_reply(c, 500, NULL, 0);
			return;
		}
		if (to->u.fr.volunteer && f.type == FR_OFFER) {
			r->m.fr_matches++;
			r->m.matches++;
			addrtab_outcome(to->addr, 1);
		}
		r->m.fr_delivered++;
		fr_held_close(to);
		rconn_reply_hdrs(to, 200, env, elen, plain_hdrs);
		free(env);
	}
	ttl = reply_ttl(f.type);
	fform_free(&f);
	if (c->state != RC_READ)
		return; /* answered already (out of memory) */
	if (ttl <= 0) {
		rconn_reply_hdrs(c, 200, NULL, 0, plain_hdrs);
		return;
	}
	slot_add(c);
	rconn_hold(c, RC_FR_HELD, ttl);
}

static int
version_ok(const struct rconn *c)
{
	const char *v = c->bf_version;

	return c->has_bf_version && v[0] == 'v' && v[1] == '2' && (v[2] == '\0' || v[2] == '.');
}

void
fr_route(struct rconn *c, const uint8_t *body, size_t len)
{
	if (c->method == RM_OPTIONS) {
		rconn_reply_hdrs(c, 200, NULL, 0, options_hdrs);
		return;
	}
	if (!version_ok(c)) {
		c->r->m.fr_bad_version++;
		rconn_reply_hdrs(c, 418, "418\n", 4, plain_hdrs);
		return;
	}
	c->route = RT_FREDDIE;
	if (c->method == RM_GET)
		on_stream(c);
	else if (c->method == RM_POST)
		on_post(c, body, len);
	else
		rconn_reply_hdrs(c, 200, NULL, 0, plain_hdrs);
}

void
fr_timeout(struct rconn *c)
{
	if (c->state == RC_STREAM) {
		fr_held_close(c);
		rconn_stream_end(c);
		return;
	}
	c->r->m.fr_no_reply += !c->u.fr.volunteer;
	c->r->m.proxy_idle += c->u.fr.volunteer;
	fr_held_close(c);
	rconn_reply_hdrs(c, 200, NULL, 0, plain_hdrs);
}

void
fr_held_close(struct rconn *c)
{
	struct rdv *r = c->r;

	slot_remove(c);
	if (c->u.fr.mp.pooled) {
		match_pool_remove(&r->fmatch, &c->u.fr.mp);
		r->nvolunteers--;
	}
	match_queue_remove(&r->fmatch, &c->u.fr.mc);
	if (c->u.fr.stream) {
		r->nconsumers--;
		c->u.fr.stream = 0;
	}
	if (c->u.fr.genesis != NULL) {
		membudget_uncharge(&r->mem, membudget_cost(c->u.fr.genesis_len));
		free(c->u.fr.genesis);
		c->u.fr.genesis = NULL;
	}
	c->u.fr.volunteer = 0;
}
