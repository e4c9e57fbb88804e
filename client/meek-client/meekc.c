/* SPDX-License-Identifier: MIT */
/*
 * The meek-client poll scheduler: one meek session between stdin/stdout
 * and requests carried as streams of one HTTP/2 connection (meekc_h2.c,
 * https:// when the front's ALPN says h2) or on HTTP/1.1 keep-alive
 * connections (meekc_h1.c).
 *
 * Every request announces the pipelining extension (X-Meek-Pipeline,
 * pipeworks-protocol(5)). Until an answer offers it back, exactly one
 * request is in flight and the next starts only once the previous
 * answer is written out: a classic meek server (lantern-box meek-v1, Tor
 * meek) sees what it always saw. Once offered, up to `window` requests
 * are in flight: the window grows by one while answers come back full
 * or the stdin backlog outlasts a body, and falls back to one (held)
 * poll when a round trip moved nothing; a request with stdin bytes may
 * always go beside one poll. Answers are written out in seq order.
 *
 * Invariants:
 * - a slot's request (head + body) is formatted once and resent
 *   unchanged on every retry, so the server sees the same X-Meek-Seq and
 *   the same bytes;
 * - seq_out <= every live slot's seq < seq_next <= seq_out + MEEKC_SLOTS;
 * - stdin is read only while the backlog holds less than
 *   MEEK_BACKLOG_MAX; a slot is freed only once its answer is written to
 *   stdout, so a consumer that stops reading stops the polling.
 * An answer that is not meek (a redirect, a web page, a status a meek
 * server never sends) ends the session at once with one line saying so.
 */
#include "meekc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/secret.h"
#include "nss/nssc.h"
#include "proto/http.h"
#include "tls/crypto.h"
#include "tls/tls.h"

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

static void write_down(struct meekc *m);

static struct meekc_slot *
slot_of(struct meekc *m, uint64_t seq)
{
	return &m->slots[seq % MEEKC_SLOTS];
}

static void
finish(struct meekc *m, int status)
{
	if (m->finished)
		return;
	m->finished = 1;
	m->status = status;
	ev_break(m->loop, EVBREAK_ALL);
}

void
meekc_fatal(struct meekc *m, int status, const char *why)
{
	if (m->finished)
		return;
	log_warnx("%s", why);
	finish(m, status);
}

/* Requests sent and not yet answered. */
static unsigned
outstanding(struct meekc *m)
{
	unsigned n = 0;
	uint64_t q;

	for (q = m->seq_out; q < m->seq_next; q++)
		n += slot_of(m, q)->st != SL_DONE;
	return n;
}

/* The lowest seq whose answer has not arrived: base= for the server. */
static uint64_t
pipe_base(struct meekc *m)
{
	uint64_t q;

	for (q = m->seq_out; q < m->seq_next; q++)
		if (slot_of(m, q)->st != SL_DONE)
			return q;
	return m->seq_next;
}

static int
slot_alloc(struct meekc *m, struct meekc_slot *sl)
{
	if (sl->req == NULL)
		sl->req = malloc(m->req_cap);
	if (sl->rsp == NULL)
		sl->rsp = malloc(m->rsp_cap);
	return sl->req != NULL && sl->rsp != NULL ? 0 : -1;
}

static void
slot_start(struct meekc *m, struct meekc_slot *sl)
{
	ev_timer_stop(m->loop, &sl->deadline);
	ev_timer_set(&sl->deadline, MEEKC_POLL_TIMEOUT_S, 0);
	ev_timer_start(m->loop, &sl->deadline);
	sl->st = SL_SENT;
	sl->rsp_len = 0;
	m->polls++;
	log_debug("poll %llu: %zu bytes", (unsigned long long)sl->seq, sl->req_body);
	if (m->h2 != NULL)
		meekc_h2_submit(m->h2, sl);
	else
		meekc_h1_submit(m->h1, sl);
}

/* Make the next request from the backlog: its seq, head and body, once. */
static int
new_request(struct meekc *m)
{
	struct meekc_slot *sl = slot_of(m, m->seq_next);
	struct meek_pipe pp = { MEEK_PIPE_WINDOW_DEFAULT, pipe_base(m), 1, 0 };
	char pv[MEEK_PIPE_VALUE_MAX];
	size_t cap = m->pipe ? m->body_size : m->cfg->max_body;
	struct meekc_req_params rp = { &m->cfg->url, m->sid, m->seq_next, m->cfg->max_body,
		                       m->cfg->extra, pv };
	int hl;

	if (slot_alloc(m, sl) == -1) {
		meekc_fatal(m, EX_PW_INTERNAL, "out of memory");
		return -1;
	}
	if (meek_pipe_format(&pp, pv, sizeof(pv)) < 0)
		rp.pipe = NULL;
	sl->req_body = buf_len(&m->up) < cap ? buf_len(&m->up) : cap;
	hl = meekc_format_head(&rp, sl->req_body, (char *)sl->req, m->req_cap - sl->req_body);
	if (hl < 0) {
		meekc_fatal(m, EX_PW_INTERNAL, "request head does not fit");
		return -1;
	}
	memcpy(sl->req + hl, buf_rptr(&m->up), sl->req_body);
	buf_consume(&m->up, sl->req_body);
	/* Bodies grow toward the cap while the backlog outlasts them. */
	if (m->pipe && buf_len(&m->up) > 0 && m->body_size < m->cfg->max_body)
		m->body_size = m->body_size * 2 < m->cfg->max_body ? m->body_size * 2 : m->cfg->max_body;
	sl->req_len = (size_t)hl + sl->req_body;
	sl->seq = m->seq_next++;
	sl->attempt = 0;
	sl->stale_retried = 0;
	sl->down_len = sl->down_off = 0;
	slot_start(m, sl);
	return 0;
}

/* Whether another request should go now. */
static int
want_request(struct meekc *m, unsigned out)
{
	int data = buf_len(&m->up) > 0;

	if (m->gone || m->seq_next - m->seq_out >= MEEKC_SLOTS)
		return 0;
	/* The server takes seqs below base + the window we announce. */
	if (m->pipe && m->seq_next - pipe_base(m) >= MEEK_PIPE_WINDOW_DEFAULT)
		return 0;
	if (!m->pipe) {
		/* Serial, as classic meek: the previous answer is written out first. */
		if (m->seq_next != m->seq_out)
			return 0;
		return m->poll_due || data || m->interval_ms == 0 || m->in_eof;
	}
	if (data && out < (m->window > 2 ? m->window : 2))
		return 1;
	if (out < m->window && m->down_busy)
		return 1;
	return out == 0 && (m->poll_due || m->interval_ms == 0 || m->in_eof);
}

static void
schedule(struct meekc *m)
{
	unsigned out;

	while (!m->finished) {
		out = outstanding(m);
		if (!want_request(m, out))
			break;
		ev_timer_stop(m->loop, &m->poll_timer);
		m->poll_due = 0;
		if (new_request(m) == -1)
			return;
		out = outstanding(m);
		if (out > m->inflight_max)
			m->inflight_max = out;
	}
	if (m->finished)
		return;
	if (m->seq_next == m->seq_out || (m->pipe && outstanding(m) == 0)) {
		if (!ev_is_active(&m->poll_timer) && m->interval_ms > 0) {
			ev_timer_set(&m->poll_timer, m->interval_ms / 1000.0, 0);
			ev_timer_start(m->loop, &m->poll_timer);
		}
	} else {
		ev_timer_stop(m->loop, &m->poll_timer);
	}
}

static int
down_pending(struct meekc *m)
{
	return m->seq_out < m->seq_next && slot_of(m, m->seq_out)->st == SL_DONE;
}

void
meekc_update(struct meekc *m)
{
	if (m->finished)
		return;
	schedule(m);
	if (m->finished)
		return;
	stdio_carrier_want(&m->io, !m->in_eof && buf_room(&m->up) > 0, down_pending(m));
}

static void
slot_backoff(struct meekc *m, struct meekc_slot *sl, const char *why)
{
	ev_timer_stop(m->loop, &sl->deadline);
	if (++sl->attempt > MEEK_POLL_RETRIES) {
		log_warnx("poll %llu failed %d times, giving up: %s", (unsigned long long)sl->seq,
		          sl->attempt, why);
		finish(m, EX_PW_TEMP);
		return;
	}
	log_info("poll %llu failed (%s); retry %d in %d ms", (unsigned long long)sl->seq, why,
	         sl->attempt, MEEK_RETRY_BACKOFF_MS * sl->attempt);
	sl->st = SL_BACKOFF;
	ev_timer_set(&sl->retry, MEEK_RETRY_BACKOFF_MS * sl->attempt / 1000.0, 0);
	ev_timer_start(m->loop, &sl->retry);
}

void
meekc_failed(struct meekc *m, struct meekc_slot *sl, const char *why, int reused)
{
	if (m->finished)
		return;
	/* A kept-alive connection the server closed as we reused it: not a failure. */
	if (reused && !sl->stale_retried) {
		log_info("kept-alive connection closed (%s); resending on a new one", why);
		sl->stale_retried = 1;
		m->polls--;
		slot_start(m, sl);
		return;
	}
	slot_backoff(m, sl, why);
}

/* The first answer that offers the extension turns it on. */
static void
pipe_offer(struct meekc *m, const char *value)
{
	struct meek_pipe pp;

	if (m->pipe || value == NULL || meek_pipe_parse(value, strlen(value), &pp) == -1)
		return;
	m->pipe = 1;
	m->pipe_max = pp.window < MEEK_PIPE_WINDOW_DEFAULT ? pp.window : MEEK_PIPE_WINDOW_DEFAULT;
	m->window = 1;
	m->body_size = m->cfg->max_body / 4 > MEEKC_BODY_MIN ? m->cfg->max_body / 4 : m->cfg->max_body;
	log_info("server offers pipelining: up to %u requests in flight, polls held %u ms",
	         m->pipe_max, pp.hold_ms);
}

static void
not_meek(struct meekc *m, const struct meekc_answer *a)
{
	char why[512];

	if (a->status >= 300 && a->status < 400)
		snprintf(why, sizeof(why), "not a meek server: %d %s to %.200s", a->status,
		         http_reason(a->status), a->location != NULL ? a->location : "(no Location)");
	else if (a->status == 200 || a->ctype != NULL)
		snprintf(why, sizeof(why), "not a meek server: %d %s, a web page (%.80s)", a->status,
		         http_reason(a->status), a->ctype != NULL ? a->ctype : "no Content-Type");
	else
		snprintf(why, sizeof(why), "not a meek server: it answered %d %s", a->status,
		         http_reason(a->status));
	meekc_fatal(m, EX_PW_TEMP, why);
}

/* Window: wider while the path is busy, one poll when a round trip moved nothing. */
static void
pipe_adapt(struct meekc *m, size_t sent, size_t got)
{
	m->down_busy = got > 0 && got + 4096 >= (m->cfg->max_body < MEEK_BODY_LEGACY
	                                              ? m->cfg->max_body : MEEK_BODY_LEGACY);
	if (!m->pipe)
		return;
	if (m->down_busy || buf_len(&m->up) >= m->body_size) {
		if (m->window < m->pipe_max)
			m->window++;
	} else if (sent == 0 && got == 0) {
		m->window = 1;
		m->down_busy = 0;
	}
	if (buf_len(&m->up) == 0)
		m->body_size = m->cfg->max_body / 4 > MEEKC_BODY_MIN ? m->cfg->max_body / 4
		                                                   : m->cfg->max_body;
}

void
meekc_answered(struct meekc *m, struct meekc_slot *sl, const struct meekc_answer *a)
{
	size_t sent = sl->req_body;

	if (m->finished)
		return;
	ev_timer_stop(m->loop, &sl->deadline);
	log_debug("poll %llu: status %d, %zu bytes", (unsigned long long)sl->seq, a->status, a->len);
	switch (meekc_answer_kind(a->status, a->ctype)) {
	case MEEKC_ANS_OK:
		break;
	case MEEKC_ANS_GONE:
		/*
		 * Polls in flight before this one may still bring the
		 * upstream's last bytes (pipelining: their answers come on
		 * other connections, in any order): they are written out
		 * first, and write_down ends the session at this seq.
		 */
		if (!m->gone || sl->seq < m->gone_seq) {
			if (!m->gone)
				log_info("server closed the session (410)");
			m->gone = 1;
			m->gone_seq = sl->seq;
		}
		sl->st = SL_DONE;
		sl->down_len = 0;
		write_down(m);
		return;
	case MEEKC_ANS_RETRY:
		log_info("server answered %d %s", a->status, http_reason(a->status));
		slot_backoff(m, sl, "server busy");
		return;
	case MEEKC_ANS_FAIL:
		log_warnx("server answered %d %s; giving up", a->status, http_reason(a->status));
		finish(m, EX_PW_TEMP);
		return;
	case MEEKC_ANS_NOT_MEEK:
		not_meek(m, a);
		return;
	}
	pipe_offer(m, a->pipe);
	sl->st = SL_DONE;
	sl->down_off = (size_t)(a->body - sl->rsp);
	sl->down_len = a->len;
	m->bytes_up += sent;
	m->answers++;
	m->interval_ms = meekc_poll_next(m->interval_ms, sent > 0 || a->len > 0);
	pipe_adapt(m, sent, a->len);
	if (m->in_eof && buf_len(&m->up) == 0 && sent == 0 && a->len == 0 &&
	    outstanding(m) == 0) {
		log_info("stdin closed and nothing left to deliver");
		m->drained = 1;
		write_down(m);
		if (!m->finished && !down_pending(m))
			finish(m, EX_PW_OK);
		return;
	}
	write_down(m);
}

/* Answers go out in seq order; a slot is free once its body is written. */
static void
write_down(struct meekc *m)
{
	struct meekc_slot *sl;
	ssize_t r;

	while (!m->finished && down_pending(m)) {
		if (m->gone && m->seq_out >= m->gone_seq) {
			finish(m, EX_PW_OK);
			return;
		}
		sl = slot_of(m, m->seq_out);
		while (sl->down_len > 0) {
			r = write(STDOUT_FILENO, sl->rsp + sl->down_off, sl->down_len);
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				if (errno == EPIPE)
					log_info("stdout closed by the reader");
				else
					log_warn("write to stdout");
				finish(m, errno == EPIPE ? EX_PW_OK : EX_PW_TEMP);
				return;
			}
			sl->down_off += (size_t)r;
			sl->down_len -= (size_t)r;
			m->bytes_down += (size_t)r;
		}
		sl->st = SL_FREE;
		m->seq_out++;
	}
}

static void
on_stdin(void *arg)
{
	struct meekc *m = arg;
	size_t room;
	uint8_t *p = buf_wptr(&m->up, &room);
	ssize_t n;

	n = read(STDIN_FILENO, p, room);
	if (n > 0) {
		buf_commit(&m->up, (size_t)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		if (n < 0)
			log_warn("read stdin");
		log_debug("stdin closed; draining");
		m->in_eof = 1;
	}
	meekc_update(m);
}

static void
on_stdout(void *arg)
{
	struct meekc *m = arg;

	write_down(m);
	if (!m->finished && m->drained && !down_pending(m)) {
		finish(m, EX_PW_OK);
		return;
	}
	meekc_update(m);
}

static void
on_stdout_gone(void *arg)
{
	struct meekc *m = arg;

	log_info("stdout closed by the reader");
	finish(m, EX_PW_OK);
}

static void
on_poll_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meekc *m = container_of(w, struct meekc, poll_timer);

	(void)loop;
	(void)revents;
	m->poll_due = 1;
	meekc_update(m);
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meekc_slot *sl = container_of(w, struct meekc_slot, retry);

	(void)loop;
	(void)revents;
	slot_start(sl->m, sl);
	meekc_update(sl->m);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct meekc_slot *sl = container_of(w, struct meekc_slot, deadline);
	struct meekc *m = sl->m;

	(void)loop;
	(void)revents;
	if (m->h2 != NULL)
		meekc_h2_abort(m->h2, sl);
	else
		meekc_h1_abort(m->h1, sl);
	slot_backoff(m, sl, "timed out");
	meekc_update(m);
}

static void
on_signal(void *arg, int signum)
{
	struct meekc *m = arg;

	log_info("signal %d: closing the session", signum);
	finish(m, EX_PW_OK);
}

static const struct stdio_carrier_cbs stdio_cbs = { on_stdin, on_stdout, on_stdout_gone,
	                                             on_signal };

static int
setup(struct meekc *m, struct meekc_config *cfg)
{
	uint8_t id[MEEK_SESSION_ID_HEX / 2];
	char err[TLS_ERR_MAX];
	size_t i;

	m->cfg = cfg;
	m->loop = ev_default_loop(EVFLAG_AUTO);
	if (m->loop == NULL) {
		log_warnx("cannot initialise the event loop");
		return EX_PW_INTERNAL;
	}
	if (cfg->url.https && cfg->tls_firefox) {
		if (nssc_global_init(err, sizeof(err)) < 0 ||
		    nssc_trust_load(cfg->ca_file, err, sizeof(err)) < 0) {
			log_warnx("TLS: %s", err);
			return EX_PW_USAGE;
		}
		log_debug("TLS: NSS %s as Firefox", nssc_nss_version());
	} else if (cfg->url.https &&
	           (m->tls = tls_ctx_new(cfg->ca_file, err, sizeof(err))) == NULL) {
		log_warnx("TLS: %s", err);
		return EX_PW_USAGE;
	}
	if (crypto_random(id, sizeof(id)) == -1) {
		log_warnx("no random bytes for the session id");
		return EX_PW_INTERNAL;
	}
	hex_encode(m->sid, id, sizeof(id));
	m->req_cap = MEEKC_REQ_HEAD_MAX + cfg->max_body;
	m->rsp_cap = HTTP_HEAD_MAX + cfg->max_body + MEEKC_CHUNK_SLACK;
	m->window = 1;
	if ((m->h1 = meekc_h1_new(m)) == NULL || buf_init(&m->up, MEEK_BACKLOG_MAX) == -1 ||
	    (cfg->url.https && !cfg->http1 && (m->h2 = meekc_h2_new(m)) == NULL) ||
	    slot_alloc(m, &m->slots[0]) == -1) {
		log_warnx("out of memory");
		return EX_PW_INTERNAL;
	}
	if (stdio_carrier_open(&m->io, m->loop, STDIN_FILENO, STDOUT_FILENO, &stdio_cbs, m) == -1) {
		log_warn("stdin/stdout");
		return EX_PW_USAGE;
	}
	for (i = 0; i < MEEKC_SLOTS; i++) {
		m->slots[i].m = m;
		ev_timer_init(&m->slots[i].retry, on_retry, 0, 0);
		ev_timer_init(&m->slots[i].deadline, on_deadline, 0, 0);
	}
	ev_timer_init(&m->poll_timer, on_poll_timer, 0, 0);
	return EX_PW_OK;
}

static void
teardown(struct meekc *m)
{
	size_t i;

	meekc_h2_free(m->h2);
	meekc_h1_free(m->h1);
	if (m->loop != NULL) {
		stdio_carrier_close(&m->io);
		ev_timer_stop(m->loop, &m->poll_timer);
		for (i = 0; i < MEEKC_SLOTS; i++) {
			ev_timer_stop(m->loop, &m->slots[i].retry);
			ev_timer_stop(m->loop, &m->slots[i].deadline);
		}
		ev_loop_destroy(m->loop);
	}
	tls_ctx_free(m->tls);
	if (m->cfg != NULL && m->cfg->url.https && m->cfg->tls_firefox)
		nssc_trust_clear();
	for (i = 0; i < MEEKC_SLOTS; i++) {
		if (m->slots[i].req != NULL)
			secret_wipe(m->slots[i].req, m->req_cap); /* the head carries X-Meek-Auth */
		free(m->slots[i].req);
		free(m->slots[i].rsp);
	}
	buf_free(&m->up);
}

int
meekc_run(struct meekc_config *cfg)
{
	static struct meekc m;
	int rc;

	rc = setup(&m, cfg);
	if (rc == EX_PW_OK) {
		log_info("session %.8s...: bodies up to %llu bytes", m.sid,
		         (unsigned long long)cfg->max_body);
		meekc_update(&m);
		if (!m.finished)
			ev_run(m.loop, 0);
		rc = m.status;
		log_info("session ended after %llu polls (%u in flight at most): %llu bytes up, %llu down",
		         (unsigned long long)m.polls, m.inflight_max, (unsigned long long)m.bytes_up,
		         (unsigned long long)m.bytes_down);
	}
	teardown(&m);
	return rc;
}
