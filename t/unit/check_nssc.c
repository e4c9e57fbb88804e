/* SPDX-License-Identifier: MIT */
/*
 * common/nss sessions in one process, no sockets: a client and a server
 * wired by in-memory queues. DTLS: the handshake completes, both agree
 * on SRTP, ALPN and the exporter and see each other's fingerprint; a
 * wrong pin fails the client and nothing is exported; oversized and
 * excess datagrams are dropped, not queued. TLS: the same over a byte
 * stream fed one byte at a time.
 */
#include "nss/nssc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define Q_MAX 64
#define Q_BYTES 4096

struct side {
	struct nssc *s;
	struct nssc_id *id;
	uint8_t q[Q_MAX][Q_BYTES]; /* what this side sent, not yet delivered */
	size_t qlen[Q_MAX], nq;
	int connected, failed, closed;
	char got[256];
	size_t ngot;
};

static struct side *cli, *srv;

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	struct side *s = arg;

	ck_assert_uint_lt(s->nq, Q_MAX);
	ck_assert_uint_le(n, Q_BYTES);
	memcpy(s->q[s->nq], p, n);
	s->qlen[s->nq++] = n;
}

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	struct side *s = arg;

	ck_assert_uint_le(s->ngot + n, sizeof(s->got));
	memcpy(s->got + s->ngot, p, n);
	s->ngot += n;
}

static void
on_event(void *arg, enum nssc_event ev)
{
	struct side *s = arg;

	if (ev == NSSC_EV_CONNECTED)
		s->connected = 1;
	else if (ev == NSSC_EV_CLOSED)
		s->closed = 1;
	else
		s->failed = 1;
}

/* Move everything one side sent into the other; drip: one byte per call. */
static int
deliver(struct side *from, struct side *to, int drip)
{
	size_t i, j;
	int moved = from->nq > 0;

	for (i = 0; i < from->nq; i++) {
		if (!drip) {
			nssc_input(to->s, from->q[i], from->qlen[i]);
			continue;
		}
		for (j = 0; j < from->qlen[i]; j++)
			nssc_input(to->s, from->q[i] + j, 1);
	}
	from->nq = 0;
	return moved;
}

static void
pump(int drip)
{
	int rounds = 0;

	while ((deliver(cli, srv, drip) | deliver(srv, cli, drip)) && rounds++ < 50)
		;
}

static struct side *
side_new(const struct persona *p, int server, const uint8_t *pin)
{
	struct side *s = calloc(1, sizeof(*s));
	char err[NSSC_ERR_MAX];
	struct nssc_cb cb = { on_send, on_data, on_event, NULL };
	struct nssc_opts o = { .persona = p, .server = server, .pin = pin };

	ck_assert_ptr_nonnull(s);
	s->id = nssc_id_new(err, sizeof(err));
	ck_assert_msg(s->id != NULL, "%s", err);
	cb.arg = s;
	o.id = s->id;
	s->s = nssc_new(&o, &cb, err, sizeof(err));
	ck_assert_msg(s->s != NULL, "%s", err);
	return s;
}

static void
side_free(struct side *s)
{
	nssc_free(s->s);
	nssc_id_free(s->id);
	free(s);
}

static void
setup(void)
{
	char err[NSSC_ERR_MAX];

	ck_assert_msg(nssc_global_init(err, sizeof(err)) == 0, "%s", err);
}

static void
check_agree(void)
{
	uint8_t a[56], b[56], fa[FP_LEN], fb[FP_LEN];

	ck_assert(cli->connected && srv->connected);
	ck_assert_str_eq(nssc_alpn(cli->s), nssc_alpn(srv->s));
	ck_assert_int_eq(nssc_export(cli->s, "EXTRACTOR-dtls_srtp", NULL, 0, a, sizeof(a)), 0);
	ck_assert_int_eq(nssc_export(srv->s, "EXTRACTOR-dtls_srtp", NULL, 0, b, sizeof(b)), 0);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_int_eq(nssc_peer_fingerprint(cli->s, fa), 0);
	nssc_id_fingerprint(srv->id, fb);
	ck_assert_mem_eq(fa, fb, FP_LEN);
	ck_assert_int_eq(nssc_peer_fingerprint(srv->s, fa), 0);
	nssc_id_fingerprint(cli->id, fb);
	ck_assert_mem_eq(fa, fb, FP_LEN);
}

START_TEST(test_dtls)
{
	uint8_t pin[FP_LEN];

	srv = side_new(&persona_firefox_webrtc, 1, NULL);
	nssc_id_fingerprint(srv->id, pin);
	cli = side_new(&persona_firefox_webrtc, 0, pin);
	ck_assert_int_eq(nssc_start(srv->s), 0);
	ck_assert_int_eq(nssc_start(cli->s), 0);
	ck_assert_uint_eq(cli->nq, 1); /* the ClientHello, one datagram */
	ck_assert_int_ge(nssc_timeout_ms(cli->s), 0);
	pump(0);
	check_agree();
	ck_assert_uint_eq(nssc_srtp_profile(cli->s), 0x0007);
	ck_assert_uint_eq(nssc_srtp_profile(srv->s), 0x0007);
	ck_assert_str_eq(nssc_alpn(cli->s), "webrtc");
	ck_assert_str_eq(nssc_version(cli->s), "DTLSv1.2");
	ck_assert_int_eq(nssc_write(cli->s, "hello", 5), 5);
	pump(0);
	ck_assert_uint_eq(srv->ngot, 5);
	ck_assert_mem_eq(srv->got, "hello", 5);
	nssc_close(cli->s);
	pump(0);
	ck_assert(srv->closed);
	ck_assert(!cli->failed && !srv->failed);
	side_free(cli);
	side_free(srv);
}
END_TEST

START_TEST(test_dtls_wrong_pin)
{
	uint8_t pin[FP_LEN], km[16];

	memset(pin, 0xab, sizeof(pin));
	srv = side_new(&persona_firefox_webrtc, 1, NULL);
	cli = side_new(&persona_firefox_webrtc, 0, pin);
	nssc_start(cli->s);
	pump(0);
	ck_assert(cli->failed);
	ck_assert(!cli->connected);
	ck_assert(strstr(nssc_error(cli->s), "fingerprint") != NULL);
	ck_assert_int_eq(nssc_export(cli->s, "EXTRACTOR-dtls_srtp", NULL, 0, km, sizeof(km)), -1);
	ck_assert_int_eq(nssc_write(cli->s, "x", 1), -1);
	side_free(cli);
	side_free(srv);
}
END_TEST

START_TEST(test_dtls_input_bounds)
{
	static uint8_t big[NSSC_DGRAM_MAX + 1];
	static const uint8_t junk[20] = { 0x17, 0xfe, 0xfd };
	size_t i;

	srv = side_new(&persona_firefox_webrtc, 1, NULL);
	ck_assert_int_eq(nssc_input(srv->s, big, sizeof(big)), 0);
	ck_assert_int_eq(nssc_input(srv->s, junk, 0), 0);
	/* Junk records are dropped by NSS as they arrive; the queue never fills. */
	for (i = 0; i < 4 * NSSC_INQ_MAX; i++)
		ck_assert_int_ge(nssc_input(srv->s, junk, sizeof(junk)), 0);
	ck_assert(!srv->connected);
	side_free(srv);
}
END_TEST

START_TEST(test_tls_drip)
{
	srv = side_new(&persona_firefox_https, 1, NULL);
	cli = side_new(&persona_firefox_https, 0, NULL);
	nssc_start(cli->s);
	pump(1);
	check_agree();
	ck_assert_str_eq(nssc_alpn(cli->s), "h2");
	ck_assert_str_eq(nssc_version(srv->s), "TLSv1.3");
	ck_assert_uint_eq(nssc_srtp_profile(cli->s), 0);
	ck_assert_int_eq(nssc_write(srv->s, "glued", 5), 5);
	ck_assert_int_eq(nssc_write(srv->s, "twice", 5), 5);
	pump(1);
	ck_assert_uint_eq(cli->ngot, 10);
	ck_assert_mem_eq(cli->got, "gluedtwice", 10);
	ck_assert_int_eq(nssc_timeout_ms(cli->s), -1);
	side_free(cli);
	side_free(srv);
}
END_TEST

static Suite *
nssc_suite(void)
{
	Suite *s = suite_create("nssc");
	TCase *tc = tcase_create("nssc");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_dtls);
	tcase_add_test(tc, test_dtls_wrong_pin);
	tcase_add_test(tc, test_dtls_input_bounds);
	tcase_add_test(tc, test_tls_drip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nssc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
