/* SPDX-License-Identifier: MIT */
/*
 * Certificate compression (common/nss/certcomp.c, nssc_certcomp.c). The
 * codecs: every algorithm round-trips a certificate-sized message; the
 * decoder refuses an announced length shorter or longer than the data
 * (a bomb stops at the announced length), one above CERTCOMP_OUT_MAX
 * before any work, every truncation (drip), trailing bytes (glued),
 * corrupt bytes and unknown ids. End to end on an NSS that has the
 * experimental API (Firefox's copy: the binary runs again on it when
 * firefox-esr is installed): a TLS client and server in one process,
 * each algorithm forced in turn, the certificate crosses compressed and
 * the right decoder ran; a truncated compressed certificate fails the
 * client cleanly. On Debian's NSS 3.87 that part only checks that the
 * API is reported missing.
 */
#include "nss/certcomp.h"
#include "nss/nssc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MSG = 1500 };

static uint8_t msg[MSG];

static void
fill(void)
{
	static const uint8_t der[9] = { 0x30, 0x82, 0x05, 0x30, 0x06, 0x09, 0x2a, 0x86, 0x48 };
	size_t i;

	/* Certificate-like: DER-ish structure with repeats, some noise. */
	for (i = 0; i < MSG; i++)
		msg[i] = i % 7 == 0 ? (uint8_t)((i * 131u) >> 3) : der[i % 9];
}

START_TEST(test_roundtrip)
{
	uint16_t alg = certcomp_algs[_i];
	uint8_t *enc, out[MSG];
	size_t n, used;

	fill();
	ck_assert_str_eq(certcomp_name(alg), _i == 0 ? "zlib" : _i == 1 ? "brotli" : "zstd");
	ck_assert_int_eq(certcomp_encode(alg, msg, MSG, &enc, &n), 0);
	ck_assert_uint_lt(n, MSG);
	ck_assert_int_eq(certcomp_decode(alg, enc, n, out, MSG, &used), 0);
	ck_assert_uint_eq(used, MSG);
	ck_assert_mem_eq(out, msg, MSG);
	free(enc);
}
END_TEST

START_TEST(test_malformed)
{
	uint16_t alg = certcomp_algs[_i];
	uint8_t *enc, *big, out[MSG + 64], glued[4096];
	size_t n, k, used;

	fill();
	ck_assert_int_eq(certcomp_encode(alg, msg, MSG, &enc, &n), 0);
	/* Announced length wrong either way: a bomb stops at the announced length. */
	ck_assert_int_eq(certcomp_decode(alg, enc, n, out, MSG - 1, &used), -1);
	ck_assert_uint_le(used, MSG - 1);
	ck_assert_int_eq(certcomp_decode(alg, enc, n, out, MSG + 64, &used), -1);
	/* Drip: every truncation is refused. */
	for (k = 1; k < n; k++)
		ck_assert_msg(certcomp_decode(alg, enc, k, out, MSG, &used) == -1, "prefix %zu", k);
	ck_assert_int_eq(certcomp_decode(alg, enc, 0, out, MSG, &used), -1);
	/* Glued: the same message twice, or with trailing bytes. */
	ck_assert_uint_le(2 * n, sizeof(glued));
	memcpy(glued, enc, n);
	memcpy(glued + n, enc, n);
	ck_assert_int_eq(certcomp_decode(alg, glued, 2 * n, out, MSG, &used), -1);
	glued[n] = 0;
	ck_assert_int_eq(certcomp_decode(alg, glued, n + 1, out, MSG, &used), -1);
	/* Corrupt: a flipped byte in the middle either fails or is caught by the length. */
	memcpy(glued, enc, n);
	glued[n / 2] ^= 0xff;
	if (certcomp_decode(alg, glued, n, out, MSG, &used) == 0)
		ck_assert_mem_ne(out, msg, MSG); /* zlib/zstd checksums make this rare */
	/* Above the cap: refused before inflating anything. */
	big = malloc(CERTCOMP_OUT_MAX + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(certcomp_decode(alg, enc, n, big, CERTCOMP_OUT_MAX + 1, &used), -1);
	ck_assert_uint_eq(used, 0);
	free(big);
	free(enc);
	/* Encoder bounds. */
	ck_assert_int_eq(certcomp_encode(alg, msg, 0, &enc, &n), -1);
	ck_assert_ptr_null(enc);
}
END_TEST

START_TEST(test_bomb)
{
	/* 200 KiB of zeros compressed, announced as 1 KiB: stops there, refused. */
	size_t zn = 200 * 1024, n, used;
	uint8_t *z = calloc(1, zn), *enc, out[1024];
	unsigned i;

	ck_assert_ptr_nonnull(z);
	for (i = 0; i < CERTCOMP_NALGS; i++) {
		ck_assert_int_eq(certcomp_encode(certcomp_algs[i], z, zn, &enc, &n), 0);
		ck_assert_uint_lt(n, 1024);
		ck_assert_int_eq(certcomp_decode(certcomp_algs[i], enc, n, out, sizeof(out), &used), -1);
		free(enc);
	}
	free(z);
}
END_TEST

START_TEST(test_unknown)
{
	uint8_t in[4] = { 1, 2, 3, 4 }, out[16], *enc;
	size_t used, n;

	ck_assert_ptr_null(certcomp_name(0));
	ck_assert_ptr_null(certcomp_name(4));
	ck_assert_int_eq(certcomp_decode(0, in, 4, out, 16, &used), -1);
	ck_assert_int_eq(certcomp_decode(4, in, 4, out, 16, &used), -1);
	ck_assert_int_eq(certcomp_encode(0xffff, in, 4, &enc, &n), -1);
	ck_assert_uint_eq(certcomp_decoded(0), 0);
}
END_TEST

/* --- end to end: our TLS client and server over in-memory queues ---- */

enum { QB = 1 << 16 };

struct side {
	struct nssc *s;
	struct nssc_id *id;
	uint8_t q[QB];
	size_t nq;
	int connected, failed;
};

static void
on_send(void *arg, const uint8_t *p, size_t n)
{
	struct side *s = arg;

	ck_assert_uint_le(s->nq + n, QB);
	memcpy(s->q + s->nq, p, n);
	s->nq += n;
}

static void
on_data(void *arg, const uint8_t *p, size_t n)
{
	(void)arg, (void)p, (void)n;
}

static void
on_event(void *arg, enum nssc_event ev)
{
	struct side *s = arg;

	if (ev == NSSC_EV_CONNECTED)
		s->connected = 1;
	else if (ev == NSSC_EV_ERROR)
		s->failed = 1;
}

static struct side *
side_new(int server, uint16_t only)
{
	struct side *s = calloc(1, sizeof(*s));
	char err[NSSC_ERR_MAX];
	struct nssc_cb cb = { on_send, on_data, on_event, NULL };
	struct nssc_opts o = { .persona = &persona_firefox_https, .server = server };

	ck_assert_ptr_nonnull(s);
	cb.arg = s;
	if (server) {
		s->id = nssc_id_new(err, sizeof(err));
		ck_assert_msg(s->id != NULL, "%s", err);
		o.id = s->id;
	}
	o.certcomp_only = only;
	s->s = nssc_new(&o, &cb, err, sizeof(err));
	ck_assert_msg(s->s != NULL, "%s", err);
	return s;
}

static void
side_free(struct side *s)
{
	nssc_free(s->s);
	if (s->id)
		nssc_id_free(s->id);
	free(s);
}

static int
deliver(struct side *from, struct side *to)
{
	size_t off = 0;
	ssize_t r;

	while (off < from->nq && (r = nssc_input(to->s, from->q + off, from->nq - off)) > 0)
		off += (size_t)r;
	from->nq = 0;
	return off > 0;
}

static void
handshake(uint16_t only, struct side **c, struct side **s)
{
	int rounds = 0;

	*s = side_new(1, 0);     /* the server can encode all three */
	*c = side_new(0, only);  /* the client offers one */
	nssc_start((*c)->s);
	while ((deliver(*c, *s) | deliver(*s, *c)) && rounds++ < 50)
		;
}

START_TEST(test_e2e)
{
	uint16_t alg = certcomp_algs[_i];
	unsigned long d0 = certcomp_decoded(alg), e0 = certcomp_encoded(alg);
	struct side *c, *s;
	char err[NSSC_ERR_MAX];

	ck_assert(nssc_global_init(err, sizeof(err)) == 0);
	if (!nssc_has_certcomp()) {
		fprintf(stderr, "# NSS %s: no certificate compression API, end-to-end %s skipped\n",
		        nssc_nss_version(), certcomp_name(alg));
		return;
	}
	fprintf(stderr, "# NSS %s: %s end to end\n", nssc_nss_version(), certcomp_name(alg));
	handshake(alg, &c, &s);
	ck_assert_msg(c->connected && s->connected, "client: %s / server: %s", nssc_error(c->s),
	              nssc_error(s->s));
	ck_assert_uint_eq(certcomp_encoded(alg), e0 + 1);
	ck_assert_uint_eq(certcomp_decoded(alg), d0 + 1);
	side_free(c);
	side_free(s);

	/* A compressed certificate that does not decode: the client fails, cleanly. */
	certcomp_test_mangle(1);
	handshake(alg, &c, &s);
	certcomp_test_mangle(0);
	ck_assert(!c->connected);
	ck_assert(c->failed);
	ck_assert_uint_eq(certcomp_decoded(alg), d0 + 1);
	fprintf(stderr, "# %s truncated: client refused: %s\n", certcomp_name(alg), nssc_error(c->s));
	side_free(c);
	side_free(s);
}
END_TEST

static Suite *
certcomp_suite(void)
{
	Suite *s = suite_create("nss_certcomp");
	TCase *tc = tcase_create("certcomp");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_roundtrip, 0, CERTCOMP_NALGS);
	tcase_add_loop_test(tc, test_malformed, 0, CERTCOMP_NALGS);
	tcase_add_test(tc, test_bomb);
	tcase_add_test(tc, test_unknown);
	tcase_add_loop_test(tc, test_e2e, 0, CERTCOMP_NALGS);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	(void)argc;
	/* Firefox's NSS when installed: the binary runs again on it. */
	if (nssc_use_nss_dir("auto", argv) < 0)
		return 1;
	sr = srunner_create(certcomp_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
