/* SPDX-License-Identifier: MIT */
/*
 * See prober.h. A probe goes: parse the URI → resolve → one of
 *   - Binding on the shared UDP socket (stun:, turn: over udp),
 *   - Binding on its own TCP/TLS stream (turn:?transport=tcp, turns:, stuns:),
 *   - Allocate with credentials, then Refresh LIFETIME 0 (--turn),
 * then, with --nat and OTHER-ADDRESS, the RFC 5780 tests (prober_nat.c);
 * probe_finish prints its line and frees it, exactly once. New probes are
 * started by prober_fill, never from inside it (pr->filling), so a
 * failure that completes at once cannot recurse.
 */
#include "prober.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "prober_int.h"
#include "base/secret.h"
#include "tls/tls.h"

static void prober_fill(struct prober *pr);

struct stunc *
probe_udp(struct probe *p, int family)
{
	static const struct stunc_cbs cbs = { NULL, NULL, NULL };
	struct prober *pr = p->pr;
	struct stunc **slot = family == AF_INET6 ? &pr->udp6 : &pr->udp4;

	if (*slot == NULL)
		*slot = stunc_udp_new(pr->loop, family, NULL, 0, &cbs, pr);
	return *slot;
}

void
probe_failf(struct probe *p, const char *status, const char *fmt, ...)
{
	va_list ap;

	p->status = status;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	probe_finish(p);
}

const char *
probe_fail_status(struct probe *p, enum stunc_result res, enum stunc_drop drop)
{
	switch (res) {
	case STUNC_TIMEOUT:
		if (drop != STUNC_DROP_NONE)
			snprintf(p->reason, sizeof(p->reason), "dropped: %s", stunc_drop_name(drop));
		return "timeout";
	case STUNC_REFUSED:
		snprintf(p->reason, sizeof(p->reason), "refused");
		return "refused";
	default:
		if (drop != STUNC_DROP_NONE)
			snprintf(p->reason, sizeof(p->reason), "%s", stunc_drop_name(drop));
		else if (p->own != NULL && stunc_close_reason(p->own)[0] != '\0')
			prober_sanitize(p->reason, sizeof(p->reason), stunc_close_reason(p->own),
			    strlen(stunc_close_reason(p->own)));
		else
			snprintf(p->reason, sizeof(p->reason), "transport failed");
		return "error";
	}
}

static void
addr_text(char *out, size_t cap, const struct stun_msg *m, uint16_t type, struct sockaddr_storage *ss,
          socklen_t *len)
{
	struct sockaddr_storage tmp;
	socklen_t tl;

	if (ss == NULL) {
		ss = &tmp;
		len = &tl;
	}
	if (stun_attr_addr(m, stun_find(m, type), ss, len) == 0)
		net_addr_format((struct sockaddr *)ss, out, cap);
	else
		*len = 0;
}

/* --- one probe --------------------------------------------------------- */

void
probe_finish(struct probe *p)
{
	struct prober *pr = p->pr;
	struct probe **pp;

	stunc_cancel(p->tx);
	dns_cancel(p->dq);
	turnc_free(p->turn);
	stunc_free(p->own);
	if (!pr->stopped) {
		if (prober_print(pr, p) == -1) {
			/* The reader is gone (head(1) had enough): stop quietly. */
			log_info("stdout: %s; stopping", strerror(errno));
			pr->stopped = 1;
			ev_break(pr->loop, EVBREAK_ALL);
		}
		pr->ntotal++;
		if (strcmp(p->status, "ok") == 0)
			pr->nok++;
	}
	for (pp = &pr->live; *pp != NULL && *pp != p; pp = &(*pp)->next)
		;
	if (*pp == p)
		*pp = p->next;
	pr->nlive--;
	free(p);
	if (!pr->stopped)
		prober_fill(pr);
}

static void
on_binding(void *arg, enum stunc_result res, const struct stun_msg *m, const struct sockaddr *from,
           double rtt_ms, enum stunc_drop drop)
{
	struct probe *p = arg;
	const struct stun_attr *sw;
	const char *reason;
	size_t rlen;
	int code;

	(void)from;
	p->tx = NULL;
	if (res != STUNC_RESPONSE) {
		p->status = probe_fail_status(p, res, drop);
		probe_finish(p);
		return;
	}
	p->rtt_ms = rtt_ms;
	if ((sw = stun_find(m, STUN_ATTR_SOFTWARE)) != NULL)
		prober_sanitize(p->software, sizeof(p->software), sw->val, sw->len);
	if (m->cls != STUN_SUCCESS) {
		char phrase[96];

		if (stun_attr_error(stun_find(m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen) == -1) {
			probe_failf(p, "error", "error response without ERROR-CODE");
			return;
		}
		prober_sanitize(phrase, sizeof(phrase), reason, rlen);
		probe_failf(p, "error", "%d %s", code, phrase);
		return;
	}
	addr_text(p->mapped, sizeof(p->mapped), m, STUN_ATTR_XOR_MAPPED_ADDRESS, &p->m1, &p->m1len);
	if (p->m1len == 0)
		addr_text(p->mapped, sizeof(p->mapped), m, STUN_ATTR_MAPPED_ADDRESS, &p->m1, &p->m1len);
	if (p->m1len == 0) {
		probe_failf(p, "error", "no mapped address in the response");
		return;
	}
	addr_text(p->origin, sizeof(p->origin), m, STUN_ATTR_RESPONSE_ORIGIN, NULL, NULL);
	addr_text(p->other_s, sizeof(p->other_s), m, STUN_ATTR_OTHER_ADDRESS, &p->other, &p->otherlen);
	p->status = "ok";
	if (p->pr->o.nat) {
		if (p->otherlen == 0 || p->own != NULL) {
			p->mapping = p->filtering = "unsupported";
		} else {
			prober_nat_start(p);
			return;
		}
	}
	probe_finish(p);
}

int
probe_binding(struct probe *p, const struct sockaddr *to, socklen_t tolen, uint32_t change,
              stunc_tx_cb cb)
{
	const struct prober_opts *o = &p->pr->o;
	uint8_t buf[STUNC_REQ_MAX], tid[STUN_TID_LEN];
	struct stun_builder b;
	struct stunc_opts so;
	struct stunc *c = p->own != NULL ? p->own : probe_udp(p, to->sa_family);
	ssize_t len;

	if (c == NULL || stun_new_tid(tid) == -1)
		return -1;
	memset(&so, 0, sizeof(so));
	so.timeout_ms = o->timeout_ms;
	so.any_source = change != 0;
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	if (change != 0)
		stun_add_u32(&b, STUN_ATTR_CHANGE_REQUEST, change);
	if (o->have_creds && !o->turn) {
		/* Short-term credential (RFC 8489 §9.1): the password is the key. */
		stun_add_str(&b, STUN_ATTR_USERNAME, o->username);
		stun_add_integrity(&b, (const uint8_t *)o->password, strlen(o->password));
		so.key = (const uint8_t *)o->password;
		so.keylen = strlen(o->password);
	}
	stun_add_fingerprint(&b);
	if ((len = stun_build_end(&b)) == -1) {
		errno = EMSGSIZE;
		return -1;
	}
	p->tx = stunc_request(c, to, tolen, buf, (size_t)len, &so, cb, p);
	return p->tx != NULL ? 0 : -1;
}

/* --- TURN probes --------------------------------------------------------- */

static void
turn_allocated(void *arg, const struct sockaddr *relayed, socklen_t rlen, const struct sockaddr *mapped,
               socklen_t mlen, uint32_t lifetime_s)
{
	struct probe *p = arg;

	(void)rlen;
	(void)lifetime_s;
	p->alloc_ms = (ev_time() - p->t0) * 1000.0;
	p->rtt_ms = turnc_stats(p->turn)->first_rtt_ms;
	net_addr_format(relayed, p->relayed, sizeof(p->relayed));
	if (mapped != NULL && mlen > 0)
		net_addr_format(mapped, p->mapped, sizeof(p->mapped));
	p->status = "ok";
	turnc_release(p->turn);
}

static void
turn_failed(void *arg, enum stunc_result res, int code, const char *why)
{
	struct probe *p = arg;

	(void)code;
	p->status = res == STUNC_TIMEOUT ? "timeout" : res == STUNC_REFUSED ? "refused" : "error";
	prober_sanitize(p->reason, sizeof(p->reason), why, strlen(why));
	probe_finish(p);
}

static void
turn_released(void *arg)
{
	probe_finish(arg);
}

static void
start_turn(struct probe *p)
{
	static const struct turnc_cbs cbs = { turn_allocated, NULL, NULL, turn_failed, turn_released };
	const struct prober_opts *o = &p->pr->o;
	struct tls_conn_opts tlso;
	struct turnc_cfg cfg;
	char err[160];

	memset(&cfg, 0, sizeof(cfg));
	memset(&tlso, 0, sizeof(tlso));
	cfg.transport = p->uri.transport == STUN_URI_UDP ? STUNC_UDP :
	    p->uri.transport == STUN_URI_TCP ? STUNC_TCP : STUNC_TLS;
	cfg.server = (struct sockaddr *)&p->addr;
	cfg.server_len = p->alen;
	cfg.username = o->username;
	cfg.password = o->password;
	cfg.timeout_ms = o->timeout_ms;
	cfg.tls_ctx = o->tls;
	tlso.sni = p->uri.host_is_v6 ? NULL : p->uri.host;
	tlso.verify_name = p->uri.host;
	tlso.insecure = o->tls_insecure;
	cfg.tlso = &tlso;
	if (cfg.transport == STUNC_TLS && o->tls == NULL) {
		probe_failf(p, "error", "no TLS context");
		return;
	}
	p->t0 = ev_time();
	if ((p->turn = turnc_new(p->pr->loop, &cfg, &cbs, p, err, sizeof(err))) == NULL) {
		probe_failf(p, "error", "%s", err);
		return;
	}
	(void)turnc_start(p->turn);
}

/* --- start ------------------------------------------------------------- */

static void
own_closed(void *arg, int err, const char *why)
{
	(void)arg;
	(void)err;
	(void)why; /* the transaction in flight reports it */
}

static void
start_probe(struct probe *p)
{
	static const struct stunc_cbs cbs = { NULL, NULL, own_closed };
	const struct prober_opts *o = &p->pr->o;
	char err[160];

	if (o->turn) {
		start_turn(p);
		return;
	}
	if (p->uri.transport != STUN_URI_UDP) {
		struct tls_conn_opts tlso;
		int fd = net_connect_addr((struct sockaddr *)&p->addr, p->alen);

		if (fd == -1) {
			probe_failf(p, errno == ECONNREFUSED ? "refused" : "error", "connect: %s",
			    strerror(errno));
			return;
		}
		if (p->uri.transport == STUN_URI_TLS && o->tls == NULL) {
			close(fd);
			probe_failf(p, "error", "no TLS context");
			return;
		}
		memset(&tlso, 0, sizeof(tlso));
		tlso.sni = p->uri.host_is_v6 ? NULL : p->uri.host;
		tlso.verify_name = p->uri.host;
		tlso.insecure = o->tls_insecure;
		p->own = stunc_stream_new(p->pr->loop, fd,
		    p->uri.transport == STUN_URI_TLS ? STUNC_TLS : STUNC_TCP, o->tls, &tlso, &cbs, p, err,
		    sizeof(err));
		if (p->own == NULL) {
			probe_failf(p, "error", "%s", err);
			return;
		}
	}
	if (probe_binding(p, (struct sockaddr *)&p->addr, p->alen, 0, on_binding) == -1)
		probe_failf(p, "error", "send: %s", strerror(errno));
}

static void
on_resolved(void *arg, enum dns_status st, const struct dns_result *res)
{
	struct probe *p = arg;

	p->dq = NULL;
	if (st != DNS_OK) {
		probe_failf(p, "error", "resolve: %s", res->why);
		return;
	}
	/* The first address, in c-ares' preference order. */
	p->alen = dns_addr_len(&res->addr[0]);
	memcpy(&p->addr, &res->addr[0], p->alen);
	start_probe(p);
}

/* One server line: a probe, or an error line at once (bad URI). */
static void
probe_new(struct prober *pr, const char *s, size_t n)
{
	struct probe *p = calloc(1, sizeof(*p));
	char err[96];

	if (p == NULL) {
		log_warnx("out of memory: skipping a server");
		return;
	}
	p->pr = pr;
	p->status = "error";
	prober_sanitize(p->name, sizeof(p->name), s, n);
	p->next = pr->live;
	pr->live = p;
	pr->nlive++;
	if (stun_uri_parse(s, n, &p->uri, err, sizeof(err)) == -1) {
		probe_failf(p, "error", "bad URI: %s", err);
		return;
	}
	p->dq = dns_lookup(pr->dns, p->uri.host, p->uri.port, on_resolved, p);
	if (p->dq == NULL)
		probe_failf(p, "error", "resolve: out of memory");
}

/* --- input ------------------------------------------------------------- */

/* The next complete line in pr->line, trimmed; 1 when one was taken. */
static int
next_line(struct prober *pr)
{
	char *nl = memchr(pr->line, '\n', pr->linelen);
	size_t n, used, start = 0;

	if (nl == NULL) {
		if (!pr->in_eof || pr->linelen == 0)
			return 0;
		n = pr->linelen; /* a last line without newline */
		used = n;
	} else {
		n = (size_t)(nl - pr->line);
		used = n + 1;
	}
	while (start < n && (pr->line[start] == ' ' || pr->line[start] == '\t'))
		start++;
	while (n > start && (pr->line[n - 1] == ' ' || pr->line[n - 1] == '\t' || pr->line[n - 1] == '\r'))
		n--;
	if (n > start && pr->line[start] != '#') {
		probe_new(pr, pr->line + start, n - start);
	}
	memmove(pr->line, pr->line + used, pr->linelen - used);
	pr->linelen -= used;
	return 1;
}

static void
on_input(struct ev_loop *loop, ev_io *w, int revents)
{
	struct prober *pr = w->data;
	ssize_t r;

	(void)loop;
	(void)revents;
	r = read(pr->infd, pr->line + pr->linelen, sizeof(pr->line) - pr->linelen);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		if (r == -1)
			log_warn("stdin");
		pr->in_eof = 1;
	} else
		pr->linelen += (size_t)r;
	if (pr->line_too_long) {
		char *nl = memchr(pr->line, '\n', pr->linelen);
		size_t drop = nl != NULL ? (size_t)(nl - pr->line) + 1 : pr->linelen;

		memmove(pr->line, pr->line + drop, pr->linelen - drop);
		pr->linelen -= drop;
		pr->line_too_long = nl == NULL;
	}
	if (pr->linelen == sizeof(pr->line) && memchr(pr->line, '\n', pr->linelen) == NULL) {
		/* Longer than any URI: one error line for it, then skip to its end. */
		probe_new(pr, pr->line, pr->linelen);
		pr->linelen = 0;
		pr->line_too_long = 1;
	}
	prober_fill(pr);
}

static void
prober_fill(struct prober *pr)
{
	if (pr->filling)
		return;
	pr->filling = 1;
	while (!pr->stopped && pr->nlive < pr->o.concurrency) {
		if (pr->argv_servers != NULL) {
			const char *s;

			if (pr->nextarg == pr->nargv)
				break;
			s = pr->argv_servers[pr->nextarg++];
			probe_new(pr, s, strlen(s));
		} else if (!next_line(pr))
			break;
	}
	pr->filling = 0;
	if (pr->argv_servers == NULL && !pr->in_eof && !pr->stopped &&
	    pr->nlive < pr->o.concurrency && memchr(pr->line, '\n', pr->linelen) == NULL)
		ev_io_start(pr->loop, &pr->in);
	else
		ev_io_stop(pr->loop, &pr->in);
	if (prober_done(pr))
		ev_break(pr->loop, EVBREAK_ALL);
}

/* --- API --------------------------------------------------------------- */

struct prober *
prober_new(struct ev_loop *loop, const struct prober_opts *o, char *err, size_t errlen)
{
	struct prober *pr = calloc(1, sizeof(*pr));
	struct dns_opts dns_o = {0};

	if (pr == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pr->loop = loop;
	pr->o = *o;
	pr->infd = -1;
	/* Every probe slot may be resolving at once. */
	dns_o.max_inflight = o->concurrency;
	if ((pr->dns = dns_new(loop, &dns_o, err, errlen)) == NULL) {
		secret_wipe(pr, sizeof(*pr));
		free(pr);
		return NULL;
	}
	return pr;
}

void
prober_start(struct prober *pr, char **servers, int nservers, int fd)
{
	if (nservers > 0) {
		pr->argv_servers = servers;
		pr->nargv = nservers;
	} else {
		pr->infd = fd;
		(void)net_set_nonblock(fd);
		ev_io_init(&pr->in, on_input, fd, EV_READ);
		pr->in.data = pr;
	}
	prober_fill(pr);
}

int
prober_done(const struct prober *pr)
{
	int input_done = pr->argv_servers != NULL ? pr->nextarg == pr->nargv
	                                          : pr->in_eof && pr->linelen == 0;

	return pr->nlive == 0 && (input_done || pr->stopped);
}

void
prober_stop(struct prober *pr)
{
	pr->stopped = 1;
	if (pr->infd != -1)
		ev_io_stop(pr->loop, &pr->in);
	while (pr->live != NULL)
		probe_finish(pr->live);
}

void
prober_counts(const struct prober *pr, uint64_t *ok, uint64_t *total)
{
	*ok = pr->nok;
	*total = pr->ntotal;
}

void
prober_free(struct prober *pr)
{
	if (pr == NULL)
		return;
	prober_stop(pr);
	stunc_free(pr->udp4);
	stunc_free(pr->udp6);
	dns_free(pr->dns);
	secret_wipe(&pr->o, sizeof(pr->o));
	free(pr);
}
