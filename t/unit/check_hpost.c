/* SPDX-License-Identifier: MIT */
/*
 * hpost: URL parsing (defaults, the Host header, fronts, SNI for names
 * only, refusals) and one POST over https:// through a stand-in TLS
 * layer that passes bytes through, taking at most 7 a write and asking
 * for the socket once in the handshake, against a server on loopback.
 */
#include "net/hpost.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	const char *url, *front;
	const char *connect, *host, *sni, *verify;
	unsigned port;
	int https;
} good[] = {
	{ "http://b.test/", NULL, "b.test", "b.test", "", "", 80, 0 },
	{ "http://b.test:8080/x/", NULL, "b.test", "b.test:8080", "", "", 8080, 0 },
	{ "https://b.test", NULL, "b.test", "b.test", "b.test", "b.test", 443, 1 },
	{ "https://b.test:8443/", "cdn.test", "cdn.test", "b.test:8443", "cdn.test", "cdn.test", 8443, 1 },
	{ "https://192.0.2.1/", NULL, "192.0.2.1", "192.0.2.1", "", "192.0.2.1", 443, 1 },
	{ "https://b.test/", "192.0.2.9", "192.0.2.9", "b.test", "", "192.0.2.9", 443, 1 },
	{ "https://[2001:db8::1]:444/", NULL, "2001:db8::1", "[2001:db8::1]:444", "", "2001:db8::1", 444, 1 },
};

START_TEST(test_parse_good)
{
	struct hpost_url u;
	char err[160];

	ck_assert_int_eq(hpost_parse_url(good[_i].url, good[_i].front, &u, err, sizeof(err)), 0);
	ck_assert_int_eq(u.ep.kind, EP_TCP);
	ck_assert_str_eq(u.ep.host, good[_i].connect);
	ck_assert_str_eq(u.host, good[_i].host);
	ck_assert_str_eq(u.sni, good[_i].sni);
	ck_assert_str_eq(u.verify, good[_i].verify);
	ck_assert_uint_eq(u.ep.port, good[_i].port);
	ck_assert_int_eq(u.https, good[_i].https);
	ck_assert_ptr_null(u.tls);
}
END_TEST

START_TEST(test_parse_bad)
{
	static const struct {
		const char *url, *front, *why;
	} bad[] = {
		{ "ftp://b.test/", NULL, "not an http:// or https:// URL" },
		{ "HTTP://b.test/", NULL, "not an http:// or https:// URL" },
		{ "https://b.test/,x=1", NULL, "takes no options" },
		{ "https://b.test/", "", "to front with" },
		{ "https://b.test/", "cdn.test:443", "to front with" },
		{ "https://b.test/", "cdn.test/x", "to front with" },
		{ "https://b.test:99999/", NULL, "" },
	};
	struct hpost_url u;
	char err[160];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(hpost_parse_url(bad[i].url, bad[i].front, &u, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: %s", bad[i].url, err);
		ck_assert_msg(err[0] != '\0', "%s: no reason", bad[i].url);
	}
}
END_TEST

/* The stand-in TLS layer: plain bytes, a handshake that waits once, short writes. */
static struct {
	char sni[64], verify[64], alpn[32];
	int handshakes, closed;
	size_t writes;
} fake;

static void *
fake_open(int fd, const char *sni, const char *verify, const char *alpn, char *err, size_t errlen)
{
	static int sfd;

	(void)err;
	(void)errlen;
	snprintf(fake.sni, sizeof(fake.sni), "%s", sni != NULL ? sni : "");
	snprintf(fake.verify, sizeof(fake.verify), "%s", verify);
	snprintf(fake.alpn, sizeof(fake.alpn), "%s", alpn != NULL ? alpn : "");
	sfd = fd;
	return &sfd;
}

static int
fake_handshake(void *s)
{
	(void)s;
	return ++fake.handshakes == 1 ? TLSOPS_WANT_WRITE : TLSOPS_OK;
}

static ssize_t
fake_read(void *s, void *p, size_t n)
{
	ssize_t r = read(*(int *)s, p, n);

	if (r < 0)
		return errno == EAGAIN ? TLSOPS_WANT_READ : TLSOPS_ERROR;
	return r == 0 ? TLSOPS_EOF : r;
}

static ssize_t
fake_write(void *s, const void *p, size_t n)
{
	ssize_t r = write(*(int *)s, p, n < 7 ? n : 7);

	fake.writes++;
	if (r < 0)
		return errno == EAGAIN ? TLSOPS_WANT_WRITE : TLSOPS_ERROR;
	return r;
}

static const char *
fake_error(const void *s)
{
	(void)s;
	return "stand-in";
}

static void
fake_close(void *s)
{
	(void)s;
	fake.closed++;
}

static const struct tlsops fake_ops = { fake_open, fake_handshake, fake_read, fake_write, fake_error,
	                                fake_close };

static struct {
	int lfd, status;
	char req[1024], body[64];
	size_t req_len;
	const char *err;
} srv;

static void
on_conn(struct ev_loop *loop, ev_io *w, int revents)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	ssize_t n;

	(void)revents;
	n = read(w->fd, srv.req + srv.req_len, sizeof(srv.req) - 1 - srv.req_len);
	if (n < 0 && errno == EAGAIN)
		return;
	ck_assert_int_gt(n, 0);
	srv.req_len += (size_t)n;
	srv.req[srv.req_len] = '\0';
	if (strstr(srv.req, "\r\n\r\nbody") == NULL)
		return;
	ev_io_stop(loop, w);
	ck_assert_int_eq(write(w->fd, resp, sizeof(resp) - 1), (ssize_t)sizeof(resp) - 1);
	close(w->fd);
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	static ev_io conn;
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);

	(void)revents;
	ev_io_stop(loop, w);
	ck_assert_int_ge(fd, 0);
	ev_io_init(&conn, on_conn, fd, EV_READ);
	ev_io_start(loop, &conn);
}

static void
on_done(void *arg, int status, const char *body, size_t n, const char *err)
{
	srv.status = status;
	srv.err = err;
	if (body != NULL)
		snprintf(srv.body, sizeof(srv.body), "%.*s", (int)n, body);
	ev_break((struct ev_loop *)arg, EVBREAK_ALL);
}

START_TEST(test_post_https)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct hpost_url u;
	char url[96], err[160], host[64];
	ev_io acc;

	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(srv.lfd, 4), 0);
	ck_assert_int_eq(getsockname(srv.lfd, (struct sockaddr *)&a, &al), 0);
	snprintf(url, sizeof(url), "https://broker.test:%u/base/", (unsigned)ntohs(a.sin_port));
	ck_assert_int_eq(hpost_parse_url(url, "127.0.0.1", &u, err, sizeof(err)), 0);
	/* https without TLS calls is refused at start */
	errno = 0;
	ck_assert_ptr_null(hpost_start(loop, &u, "/client", "body", 4, 5., 100, on_done, loop));
	ck_assert_int_eq(errno, EPROTONOSUPPORT);
	u.tls = &fake_ops;
	ev_io_init(&acc, on_accept, srv.lfd, EV_READ);
	ev_io_start(loop, &acc);
	ck_assert_ptr_nonnull(hpost_start(loop, &u, "/client", "body", 4, 5., 100, on_done, loop));
	ev_run(loop, 0);
	ck_assert_msg(srv.status == 200, "status %d: %s", srv.status, srv.err ? srv.err : "");
	ck_assert_str_eq(srv.body, "hello");
	ck_assert_msg(strncmp(srv.req, "POST /base/client HTTP/1.1\r\n", 28) == 0, "%s", srv.req);
	snprintf(host, sizeof(host), "\r\nHost: broker.test:%u\r\n", (unsigned)ntohs(a.sin_port));
	ck_assert_msg(strstr(srv.req, host) != NULL, "%s", srv.req);
	ck_assert_str_eq(fake.sni, "");
	ck_assert_str_eq(fake.verify, "127.0.0.1");
	ck_assert_str_eq(fake.alpn, "http/1.1");
	ck_assert_int_eq(fake.handshakes, 2);
	ck_assert_uint_ge(fake.writes, srv.req_len / 7);
	ck_assert_int_eq(fake.closed, 1);
	close(srv.lfd);
	ev_loop_destroy(loop);
}
END_TEST

static Suite *
hpost_suite(void)
{
	Suite *s = suite_create("hpost");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse_good, 0, (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_post_https);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hpost_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
