/* SPDX-License-Identifier: MIT */
#include "redisc.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libev.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct redisc {
	struct ev_loop *loop;
	struct endpoint ep;
	redisAsyncContext *ac;
	ev_timer retry;
	double backoff;
	int up, freeing;
	uint64_t reconnects;
	redisc_state_cb st;
	void *arg;
};

struct pending {
	struct redisc *rc;
	redisc_cb cb;
	void *arg;
	uint64_t token;
};

static void connect_now(struct redisc *rc);

static void
convert(const redisReply *h, struct redisc_reply *r, struct redisc_reply *elems)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	switch (h->type) {
	case REDIS_REPLY_STRING:
		r->kind = REDISC_STRING;
		break;
	case REDIS_REPLY_INTEGER:
		r->kind = REDISC_INTEGER;
		break;
	case REDIS_REPLY_NIL:
		r->kind = REDISC_NIL;
		break;
	case REDIS_REPLY_ERROR:
		r->kind = REDISC_ERROR;
		break;
	case REDIS_REPLY_ARRAY:
		r->kind = REDISC_ARRAY;
		break;
	default:
		r->kind = REDISC_OTHER;
	}
	r->integer = h->integer;
	r->str = h->str;
	r->len = h->str != NULL ? h->len : 0;
	if (h->type == REDIS_REPLY_ARRAY && elems != NULL) {
		r->nelem = h->elements < REDISC_ELEMS_MAX ? h->elements : REDISC_ELEMS_MAX;
		r->elem = elems;
		for (i = 0; i < r->nelem; i++)
			convert(h->element[i], &elems[i], NULL);
	}
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct pending *p = privdata;
	struct redisc_reply r, elems[REDISC_ELEMS_MAX];
	int subscribed = (ac->c.flags & REDIS_SUBSCRIBED) != 0;

	if (p->cb != NULL) {
		if (reply != NULL)
			convert(reply, &r, elems);
		p->cb(p->arg, p->token, reply != NULL ? &r : NULL);
	}
	/* a subscription's callback is called for every message: keep it until the end */
	if (reply == NULL || !subscribed)
		free(p);
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct redisc *rc = w->data;

	(void)loop;
	(void)revents;
	connect_now(rc);
}

static void
schedule(struct redisc *rc)
{
	ev_timer_stop(rc->loop, &rc->retry);
	ev_timer_set(&rc->retry, rc->backoff, 0);
	ev_timer_start(rc->loop, &rc->retry);
	rc->backoff = rc->backoff * 2 > REDISC_BACKOFF_MAX ? REDISC_BACKOFF_MAX : rc->backoff * 2;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct redisc *rc = ac->data;

	if (status != REDIS_OK) {
		log_debug("redis: connect: %s", ac->errstr);
		rc->ac = NULL; /* hiredis frees it */
		schedule(rc);
		return;
	}
	rc->up = 1;
	rc->backoff = REDISC_BACKOFF_MIN;
	log_info("redis: connected");
	if (rc->st != NULL)
		rc->st(rc->arg, 1);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redisc *rc = ac->data;
	int was_up = rc->up;

	(void)status;
	rc->ac = NULL;
	rc->up = 0;
	if (rc->freeing)
		return;
	if (was_up) {
		log_warnx("redis: connection lost; reconnecting");
		if (rc->st != NULL)
			rc->st(rc->arg, 0);
	}
	schedule(rc);
}

static void
connect_now(struct redisc *rc)
{
	redisAsyncContext *ac;

	if (rc->ac != NULL)
		return;
	rc->reconnects++;
	if (rc->ep.kind == EP_UNIX)
		ac = redisAsyncConnectUnix(rc->ep.path);
	else
		ac = redisAsyncConnect(rc->ep.host, rc->ep.port);
	if (ac == NULL || ac->err) {
		if (ac != NULL)
			redisAsyncFree(ac);
		schedule(rc);
		return;
	}
	ac->data = rc;
	if (redisLibevAttach(rc->loop, ac) != REDIS_OK) {
		redisAsyncFree(ac);
		schedule(rc);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	rc->ac = ac;
}

struct redisc *
redisc_new(struct ev_loop *loop, const struct endpoint *ep, redisc_state_cb st, void *arg)
{
	struct redisc *rc = calloc(1, sizeof(*rc));

	if (rc == NULL)
		return NULL;
	rc->loop = loop;
	rc->ep = *ep;
	rc->st = st;
	rc->arg = arg;
	rc->backoff = REDISC_BACKOFF_MIN;
	ev_init(&rc->retry, on_retry);
	rc->retry.data = rc;
	connect_now(rc);
	rc->reconnects = 0;
	return rc;
}

int
redisc_up(const struct redisc *rc)
{
	return rc != NULL && rc->up;
}

uint64_t
redisc_reconnects(const struct redisc *rc)
{
	return rc != NULL ? rc->reconnects : 0;
}

int
redisc_cmd(struct redisc *rc, redisc_cb cb, void *arg, uint64_t token, int argc, const char **argv,
           const size_t *lens)
{
	struct pending *p;

	if (rc == NULL || !rc->up || rc->ac == NULL)
		return -1;
	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	p->rc = rc;
	p->cb = cb;
	p->arg = arg;
	p->token = token;
	if (redisAsyncCommandArgv(rc->ac, on_reply, p, argc, argv, lens) != REDIS_OK) {
		free(p);
		return -1;
	}
	return 0;
}

void
redisc_free(struct redisc *rc)
{
	if (rc == NULL)
		return;
	rc->freeing = 1;
	ev_timer_stop(rc->loop, &rc->retry);
	if (rc->ac != NULL)
		redisAsyncFree(rc->ac); /* pending callbacks are called with NULL */
	free(rc);
}
