/* SPDX-License-Identifier: MIT */
/*
 * nss/nssfd: the NSS TLS client on a socket (a non-blocking socketpair),
 * against an nssc server in the same process. Trust: the server's
 * self-signed certificate loaded as the one anchor verifies and its name
 * matches; another name is a name mismatch and no anchor an unknown CA,
 * both reported as verification failures. Data: the persona's ALPN (or
 * an override) is negotiated; a write larger than the socket buffer says
 * WANT_WRITE, keeps its place and completes when called again with the
 * same bytes, and every byte arrives in order; bytes read one at a time
 * come out whole; close_notify is EOF.
 */
#include "nss/nssc.h"
#include "nss/nssfd.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls/crypto.h"

#define BIG (2 << 20)

static struct {
	struct nssc *s;
	struct nssc_id *id;
	int fd;
	uint8_t *out;   /* what the server wrote, not yet on the socket */
	size_t nout;
	uint8_t *got;   /* what it decrypted */
	size_t ngot;
	int connected, failed, closed;
} srv;
static int cfd;
static char cn[33], pem_path[64];

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	ck_assert_uint_le(srv.nout + n, BIG + 65536);
	memcpy(srv.out + srv.nout, p, n);
	srv.nout += n;
}

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	ck_assert_uint_le(srv.ngot + n, BIG);
	memcpy(srv.got + srv.ngot, p, n);
	srv.ngot += n;
}

static void
on_event(void *arg, enum nssc_event ev)
{
	(void)arg;
	if (ev == NSSC_EV_CONNECTED)
		srv.connected = 1;
	else if (ev == NSSC_EV_CLOSED)
		srv.closed = 1;
	else
		srv.failed = 1;
}

/* The server's side of the socket: send what it wrote, read what came. */
static void
srv_pump(void)
{
	uint8_t b[16384];
	ssize_t r;

	while (srv.nout > 0) {
		r = write(srv.fd, srv.out, srv.nout);
		if (r <= 0)
			break;
		memmove(srv.out, srv.out + r, srv.nout - (size_t)r);
		srv.nout -= (size_t)r;
	}
	while (!srv.failed && (r = read(srv.fd, b, sizeof(b))) > 0)
		ck_assert_int_eq(nssc_input(srv.s, b, (size_t)r), r);
}

/* The CN of our self-signed certificate: 32 hex digits after a string tag. */
static void
find_cn(const uint8_t *der, size_t len)
{
	size_t i, j;

	for (i = 0; i + 34 <= len; i++) {
		if ((der[i] != 0x13 && der[i] != 0x0c) || der[i + 1] != 32)
			continue;
		for (j = 0; j < 32 && strchr("0123456789abcdefABCDEF", der[i + 2 + j]) &&
		            der[i + 2 + j] != 0; j++)
			;
		if (j == 32) {
			memcpy(cn, der + i + 2, 32);
			cn[32] = '\0';
			return;
		}
	}
	ck_abort_msg("no CN in the certificate");
}

static void
write_pem(void)
{
	const uint8_t *der;
	size_t len, i, n;
	char *b64;
	FILE *f;
	int fd;

	nssc_id_cert_der(srv.id, &der, &len);
	find_cn(der, len);
	b64 = malloc(len * 2 + 4);
	ck_assert_ptr_nonnull(b64);
	ck_assert_int_gt(crypto_base64(der, len, b64, len * 2 + 4), 0);
	snprintf(pem_path, sizeof(pem_path), "/tmp/check_nssfd.XXXXXX");
	ck_assert_int_ge(fd = mkstemp(pem_path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fprintf(f, "-----BEGIN CERTIFICATE-----\n");
	for (i = 0, n = strlen(b64); i < n; i += 64)
		fprintf(f, "%.64s\n", b64 + i);
	fprintf(f, "-----END CERTIFICATE-----\n");
	fclose(f);
	free(b64);
}

static void
setup(void)
{
	char err[NSSC_ERR_MAX];
	struct nssc_cb cb = { on_send, on_data, on_event, NULL };
	struct nssc_opts o = { .persona = &persona_firefox_https, .server = 1 };
	int sv[2];

	ck_assert_msg(nssc_global_init(err, sizeof(err)) == 0, "%s", err);
	memset(&srv, 0, sizeof(srv));
	srv.out = malloc(BIG + 65536);
	srv.got = malloc(BIG);
	ck_assert(srv.out && srv.got);
	srv.id = nssc_id_new(err, sizeof(err));
	ck_assert_msg(srv.id != NULL, "%s", err);
	o.id = srv.id;
	srv.s = nssc_new(&o, &cb, err, sizeof(err));
	ck_assert_msg(srv.s != NULL, "%s", err);
	ck_assert_int_eq(nssc_start(srv.s), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	cfd = sv[0];
	srv.fd = sv[1];
	write_pem();
}

static void
teardown(void)
{
	nssc_trust_clear();
	nssc_free(srv.s);
	nssc_id_free(srv.id);
	free(srv.out);
	free(srv.got);
	close(cfd);
	close(srv.fd);
	unlink(pem_path);
}

static struct nssfd *
client(const char *name, const char *alpn)
{
	struct nssfd_opts o = { .sni = "front.example", .verify_name = name, .alpn = alpn };
	char err[NSSC_ERR_MAX];
	struct nssfd *f = nssfd_new(cfd, &o, err, sizeof(err));

	ck_assert_msg(f != NULL, "%s", err);
	return f;
}

/* Drive the handshake to its end: NSSFD_OK or NSSFD_ERROR. */
static int
handshake(struct nssfd *f)
{
	int r = NSSFD_WANT_READ, i;

	for (i = 0; i < 100 && (r == NSSFD_WANT_READ || r == NSSFD_WANT_WRITE); i++) {
		r = nssfd_handshake(f);
		srv_pump();
	}
	return r;
}

START_TEST(test_verified)
{
	char err[NSSC_ERR_MAX];
	struct nssfd *f;

	ck_assert_msg(nssc_trust_load(pem_path, err, sizeof(err)) == 1, "%s", err);
	f = client(cn, NULL);
	ck_assert_int_eq(handshake(f), NSSFD_OK);
	ck_assert(srv.connected);
	ck_assert_str_eq(nssfd_version(f), "TLSv1.3");
	ck_assert_str_eq(nssfd_alpn(f), "h2");
	ck_assert_str_eq(nssfd_error(f), "");
	nssfd_free(f);
}
END_TEST

START_TEST(test_alpn_override)
{
	char err[NSSC_ERR_MAX];
	struct nssfd *f;

	ck_assert_int_eq(nssc_trust_load(pem_path, err, sizeof(err)), 1);
	f = client(cn, "http/1.1");
	ck_assert_int_eq(handshake(f), NSSFD_OK);
	ck_assert_str_eq(nssfd_alpn(f), "http/1.1");
	nssfd_free(f);
}
END_TEST

START_TEST(test_wrong_name)
{
	char err[NSSC_ERR_MAX];
	struct nssfd *f;

	ck_assert_int_eq(nssc_trust_load(pem_path, err, sizeof(err)), 1);
	f = client("other.example", NULL);
	ck_assert_int_eq(handshake(f), NSSFD_ERROR);
	ck_assert_str_eq(nssfd_error(f), "certificate name mismatch (want other.example)");
	ck_assert(nssfd_error_is_verify(f));
	ck_assert(!srv.connected || srv.ngot == 0);
	nssfd_free(f);
}
END_TEST

START_TEST(test_unknown_ca)
{
	struct nssfd *f = client(cn, NULL);
	uint8_t b[1];

	ck_assert_int_eq(handshake(f), NSSFD_ERROR);
	ck_assert_str_eq(nssfd_error(f), "certificate signed by an unknown CA");
	ck_assert(nssfd_error_is_verify(f));
	ck_assert_int_eq(nssfd_read(f, b, 1), NSSFD_ERROR);
	nssfd_free(f);
}
END_TEST

START_TEST(test_data)
{
	char err[NSSC_ERR_MAX];
	struct nssfd *f;
	uint8_t *big = malloc(BIG), b[1];
	size_t i, n = 0;
	ssize_t r;
	int sndbuf = 4096, wants = 0;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	ck_assert_int_eq(setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	ck_assert_int_eq(nssc_trust_load(pem_path, err, sizeof(err)), 1);
	f = client(cn, NULL);
	ck_assert_int_eq(handshake(f), NSSFD_OK);
	/*
	 * Larger than the socket takes: WANT_WRITE, then the same bytes
	 * again; at most NSSFD_WRITE_MAX taken a call.
	 */
	while (n < BIG) {
		r = nssfd_write(f, big + n, BIG - n);
		if (r == NSSFD_WANT_WRITE) {
			wants++;
			srv_pump();
			continue;
		}
		ck_assert_int_gt(r, 0);
		ck_assert_int_le(r, NSSFD_WRITE_MAX);
		n += (size_t)r;
	}
	ck_assert_int_gt(wants, 0);
	for (i = 0; i < 100 && srv.ngot < BIG; i++)
		srv_pump();
	ck_assert_uint_eq(srv.ngot, BIG);
	ck_assert_mem_eq(srv.got, big, BIG);
	/* The other way, handed out one byte at a time. */
	ck_assert_int_eq(nssc_write(srv.s, "hello, client", 13), 13);
	srv_pump();
	for (i = 0; i < 13; i++) {
		ck_assert_int_eq(nssfd_read(f, b, 1), 1);
		ck_assert_int_eq(b[0], "hello, client"[i]);
	}
	ck_assert_int_eq(nssfd_read(f, b, 1), NSSFD_WANT_READ);
	ck_assert(!nssfd_pending(f));
	nssc_close(srv.s);
	srv_pump();
	ck_assert_int_eq(nssfd_read(f, b, 1), NSSFD_EOF);
	nssfd_free(f);
	free(big);
}
END_TEST

START_TEST(test_bad_options)
{
	struct nssfd_opts o = { .sni = "x.example" };
	char err[NSSC_ERR_MAX];

	ck_assert_ptr_null(nssfd_new(cfd, &o, err, sizeof(err)));
	ck_assert_str_eq(err, "no name to verify the certificate against");
	o.verify_name = "x.example";
	o.persona = &persona_firefox_webrtc;
	ck_assert_ptr_null(nssfd_new(cfd, &o, err, sizeof(err)));
	ck_assert_int_eq(nssc_trust_load("/nonexistent/ca.pem", err, sizeof(err)), -1);
	ck_assert_int_eq(nssc_trust_load("/dev/null", err, sizeof(err)), -1);
	ck_assert(strstr(err, "no PEM certificate") != NULL);
}
END_TEST

static Suite *
nssfd_suite(void)
{
	Suite *s = suite_create("nssfd");
	TCase *tc = tcase_create("nssfd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_verified);
	tcase_add_test(tc, test_alpn_override);
	tcase_add_test(tc, test_wrong_name);
	tcase_add_test(tc, test_unknown_ca);
	tcase_add_test(tc, test_data);
	tcase_add_test(tc, test_bad_options);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nssfd_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
