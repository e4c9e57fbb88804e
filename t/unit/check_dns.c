/* SPDX-License-Identifier: MIT */
/*
 * dns: lookups against a tiny DNS server on 127.0.0.1 that lives in the
 * test's own loop. It answers ok.test with one A and one AAAA record,
 * never answers a name that starts with "silent.", and says NXDOMAIN to
 * everything else. The resolver is pointed at it through dns_opts.servers,
 * so no test leaves the machine.
 */
#include <check.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dns.h"

#define OK_A "192.0.2.1"
#define OK_AAAA "2001:db8::1"
#define T_A 1
#define T_AAAA 28

static struct ev_loop *L;

/* --- the fake server --------------------------------------------------- */

struct fake {
	int fd;
	ev_io io;
	uint16_t port;
	unsigned queries, answers;
};

/* The question's name, lowercased and dotted; its end offset, or 0. */
static size_t
fake_qname(const uint8_t *p, size_t n, char *name, size_t cap)
{
	size_t off = 12, len = 0;

	while (off < n && p[off] != 0) {
		size_t l = p[off++];

		if (l > 63 || l > n - off || len + l + 2 > cap)
			return 0;
		if (len > 0)
			name[len++] = '.';
		while (l-- > 0)
			name[len++] = (char)tolower(p[off++]);
	}
	name[len] = '\0';
	return off + 5 <= n ? off + 5 : 0; /* the root label, QTYPE, QCLASS */
}

static size_t
fake_answer(uint8_t *r, size_t at, uint16_t type)
{
	static const uint8_t head[] = {0xc0, 0x0c, 0, 0, 0, 1, 0, 0, 0, 60, 0, 0};
	size_t rdlen = type == T_A ? 4 : 16;

	memcpy(r + at, head, sizeof(head));
	r[at + 3] = (uint8_t)type;
	r[at + 11] = (uint8_t)rdlen;
	at += sizeof(head);
	(void)inet_pton(type == T_A ? AF_INET : AF_INET6, type == T_A ? OK_A : OK_AAAA, r + at);
	return at + rdlen;
}

static void
fake_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fake *f = w->data;
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t q[512], r[600];
	char name[256];
	ssize_t n;
	size_t qend, len;
	uint16_t type;

	(void)loop;
	(void)revents;
	if ((n = recvfrom(f->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen)) < 12)
		return;
	f->queries++;
	if ((qend = fake_qname(q, (size_t)n, name, sizeof(name))) == 0 ||
	    strncmp(name, "silent.", 7) == 0)
		return;
	type = (uint16_t)(q[qend - 4] << 8 | q[qend - 3]);
	memcpy(r, q, qend);
	r[2] = 0x81 | (q[2] & 0x01); /* QR, RD echoed */
	r[3] = 0x80;                  /* RA, NOERROR */
	memset(r + 4, 0, 8);
	r[5] = 1; /* QDCOUNT; any EDNS record of the query is dropped */
	len = qend;
	if (strcmp(name, "ok.test") != 0)
		r[3] |= 3; /* NXDOMAIN */
	else if (type == T_A || type == T_AAAA) {
		r[7] = 1;
		len = fake_answer(r, len, type);
	}
	if (sendto(f->fd, r, len, 0, (struct sockaddr *)&from, flen) == (ssize_t)len)
		f->answers++;
}

static void
fake_start(struct fake *f)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&sin, &len), 0);
	f->port = ntohs(sin.sin_port);
	ev_io_init(&f->io, fake_cb, f->fd, EV_READ);
	f->io.data = f;
	ev_io_start(L, &f->io);
}

static void
fake_stop(struct fake *f)
{
	ev_io_stop(L, &f->io);
	close(f->fd);
}

/* --- harness ----------------------------------------------------------- */

struct got {
	int n;
	enum dns_status st;
	struct dns_result res;
};

static void
on_result(void *arg, enum dns_status st, const struct dns_result *res)
{
	struct got *g = arg;

	g->n++;
	g->st = st;
	g->res = *res;
	ev_break(L, EVBREAK_ALL);
}

static void
on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until a callback breaks it or `secs` pass. */
static void
spin(double secs)
{
	ev_timer guard;

	ev_timer_init(&guard, on_guard, secs, 0);
	ev_timer_start(L, &guard);
	ev_run(L, 0);
	ev_timer_stop(L, &guard);
}

static struct dns *
resolver(const struct fake *f, double timeout, size_t max_inflight, int family)
{
	struct dns_opts o = {0};
	char servers[64], err[128];
	struct dns *d;

	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f->port);
	o.servers = servers;
	o.timeout = timeout;
	o.max_inflight = max_inflight;
	o.family = family;
	d = dns_new(L, &o, err, sizeof(err));
	ck_assert_msg(d != NULL, "dns_new: %s", err);
	return d;
}

static int
has_addr(const struct dns_result *r, int family, const char *text, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < r->n; i++) {
		const union dns_addr *a = &r->addr[i];

		if (a->sa.sa_family != family)
			continue;
		if (family == AF_INET && ntohs(a->sin.sin_port) == port &&
		    inet_ntop(AF_INET, &a->sin.sin_addr, buf, sizeof(buf)) != NULL &&
		    strcmp(buf, text) == 0)
			return 1;
		if (family == AF_INET6 && ntohs(a->sin6.sin6_port) == port &&
		    inet_ntop(AF_INET6, &a->sin6.sin6_addr, buf, sizeof(buf)) != NULL &&
		    strcmp(buf, text) == 0)
			return 1;
	}
	return 0;
}

static void
setup(void)
{
	L = ev_loop_new(EVFLAG_AUTO);
}

static void
teardown(void)
{
	ev_loop_destroy(L);
}

/* --- cases ------------------------------------------------------------- */

START_TEST(test_ok)
{
	struct fake f;
	struct got g = {0};
	struct dns *d;

	fake_start(&f);
	d = resolver(&f, 5, 0, 0);
	ck_assert_ptr_nonnull(dns_lookup(d, "ok.test", 3478, on_result, &g));
	ck_assert_int_eq(g.n, 0); /* never from inside dns_lookup() */
	spin(5);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.st, DNS_OK);
	ck_assert_ptr_null(g.res.why);
	ck_assert_uint_eq(g.res.n, 2);
	ck_assert(has_addr(&g.res, AF_INET, OK_A, 3478));
	ck_assert(has_addr(&g.res, AF_INET6, OK_AAAA, 3478));
	ck_assert_uint_eq(dns_inflight(d), 0);
	dns_free(d);

	/* A resolver for one family asks for A records only. */
	d = resolver(&f, 5, 0, AF_INET);
	f.queries = 0;
	memset(&g, 0, sizeof(g));
	ck_assert_ptr_nonnull(dns_lookup(d, "ok.test", 53, on_result, &g));
	spin(5);
	ck_assert_int_eq(g.st, DNS_OK);
	ck_assert_uint_eq(g.res.n, 1);
	ck_assert(has_addr(&g.res, AF_INET, OK_A, 53));
	ck_assert_uint_eq(f.queries, 1);
	dns_free(d);
	fake_stop(&f);
}
END_TEST

START_TEST(test_literal)
{
	struct fake f;
	struct got g = {0};
	struct dns *d;

	fake_start(&f);
	d = resolver(&f, 5, 1, 0);
	ck_assert_ptr_nonnull(dns_lookup(d, "2001:db8::7", 443, on_result, &g));
	ck_assert_int_eq(g.n, 0);
	ck_assert_uint_eq(dns_inflight(d), 0); /* literals never count */
	spin(5);
	ck_assert_int_eq(g.st, DNS_OK);
	ck_assert_uint_eq(g.res.n, 1);
	ck_assert(has_addr(&g.res, AF_INET6, "2001:db8::7", 443));
	ck_assert_uint_eq(f.queries, 0);
	dns_free(d);
	fake_stop(&f);
}
END_TEST

START_TEST(test_nxdomain)
{
	struct fake f;
	struct got g = {0};
	struct dns *d;

	fake_start(&f);
	d = resolver(&f, 5, 0, 0);
	ck_assert_ptr_nonnull(dns_lookup(d, "nx.test", 80, on_result, &g));
	spin(5);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.st, DNS_NOTFOUND);
	ck_assert_uint_eq(g.res.n, 0);
	ck_assert_ptr_nonnull(g.res.why);
	ck_assert_uint_ge(f.answers, 1);
	dns_free(d);
	fake_stop(&f);
}
END_TEST

START_TEST(test_timeout)
{
	struct fake f;
	struct got g = {0};
	struct dns *d;
	ev_tstamp t0;

	fake_start(&f);
	d = resolver(&f, 0.3, 0, 0);
	ev_now_update(L);
	t0 = ev_now(L);
	ck_assert_ptr_nonnull(dns_lookup(d, "silent.test", 80, on_result, &g));
	spin(5);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.st, DNS_TIMEOUT);
	ck_assert_ptr_nonnull(g.res.why);
	ck_assert(ev_now(L) - t0 >= 0.25 && ev_now(L) - t0 < 3);
	ck_assert_uint_ge(f.queries, 1);
	/* c-ares still retries the abandoned query; freeing it must not leak. */
	ck_assert_uint_eq(dns_inflight(d), 1);
	dns_free(d);
	fake_stop(&f);
}
END_TEST

START_TEST(test_cancel)
{
	struct fake f;
	struct got g = {0}, h = {0};
	struct dns_query *q;
	struct dns *d;

	fake_start(&f);
	d = resolver(&f, 5, 0, 0);
	/* Cancelled before the answer comes: the answer frees the query. */
	ck_assert_ptr_nonnull(q = dns_lookup(d, "ok.test", 80, on_result, &g));
	dns_cancel(q);
	/* Also a literal, whose answer is already waiting on the loop. */
	ck_assert_ptr_nonnull(q = dns_lookup(d, "192.0.2.5", 80, on_result, &g));
	dns_cancel(q);
	dns_cancel(NULL);
	while (f.answers < 2 || dns_inflight(d) > 0)
		spin(0.05);
	spin(0.1);
	ck_assert_int_eq(g.n, 0);
	/* Cancelled while the server stays silent, then the resolver goes. */
	ck_assert_ptr_nonnull(q = dns_lookup(d, "silent.test", 80, on_result, &g));
	dns_cancel(q);
	ck_assert_uint_eq(dns_inflight(d), 1);
	/* Left open at dns_free(): its callback never runs either. */
	ck_assert_ptr_nonnull(dns_lookup(d, "silent.test", 80, on_result, &h));
	ck_assert_ptr_nonnull(dns_lookup(d, "ok.test", 80, on_result, &h));
	dns_free(d);
	spin(0.1);
	ck_assert_int_eq(g.n + h.n, 0);
	fake_stop(&f);
}
END_TEST

START_TEST(test_bound)
{
	struct fake f;
	struct got g = {0}, h = {0};
	struct dns_query *q;
	struct dns *d;

	fake_start(&f);
	d = resolver(&f, 5, 1, 0);
	ck_assert_ptr_nonnull(q = dns_lookup(d, "silent.test", 80, on_result, &g));
	/* A cancelled query still holds its slot until c-ares lets it go. */
	dns_cancel(q);
	ck_assert_ptr_nonnull(dns_lookup(d, "ok.test", 80, on_result, &h));
	spin(5);
	ck_assert_int_eq(h.n, 1);
	ck_assert_int_eq(h.st, DNS_BUSY);
	ck_assert_ptr_nonnull(h.res.why);
	ck_assert_int_eq(g.n, 0);
	dns_free(d);
	fake_stop(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nfail;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ok);
	tcase_add_test(tc, test_literal);
	tcase_add_test(tc, test_nxdomain);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_bound);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? 0 : 1;
}
