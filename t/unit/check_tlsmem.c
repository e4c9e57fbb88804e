/* SPDX-License-Identifier: MIT */
/*
 * TLS over memory with a pinned key: a client and a server shuttle
 * records through two byte pipes and talk both ways; a wrong pin is
 * refused during the handshake with a reason naming the key; a key's
 * fingerprint is stable across loads and matches the SPKI hash; bad
 * pins and bad key files are refused.
 */
#include "tls/tlsmem.h"

#include "gcm/gcm.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pipe {
	uint8_t b[65536];
	size_t len;
};

struct end {
	struct pipe *in, *out;
};

static size_t
p_recv(void *arg, uint8_t *p, size_t n)
{
	struct pipe *in = ((struct end *)arg)->in;

	if (n > in->len)
		n = in->len;
	memcpy(p, in->b, n);
	memmove(in->b, in->b + n, in->len - n);
	in->len -= n;
	return n;
}

static size_t
p_send(void *arg, const uint8_t *p, size_t n)
{
	struct pipe *out = ((struct end *)arg)->out;

	if (n > sizeof(out->b) - out->len)
		n = sizeof(out->b) - out->len;
	memcpy(out->b + out->len, p, n);
	out->len += n;
	return n;
}

static const struct tlsmem_io pio = { p_recv, p_send };

static struct pipe c2s, s2c;
static struct end cend = { &s2c, &c2s }, send_ = { &c2s, &s2c };

/* A fresh key in a temporary file; its path in path. */
static void
key_file(char path[64])
{
	char pem[TLSMEM_KEY_PEM_MAX];
	int n = tlsmem_key_generate(pem, sizeof(pem)), fd;

	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	snprintf(path, 64, "/tmp/check_tlsmem.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, pem, (size_t)n), n);
	close(fd);
}

/* Run both handshakes until neither moves: the client's result. */
static int
handshake(struct tlsmem *c, struct tlsmem *s, int *srv)
{
	int rc = TLS_WANT_READ, i;

	*srv = TLS_WANT_READ;
	for (i = 0; i < 20; i++) {
		if (rc != TLS_OK && rc != TLS_ERROR)
			rc = tlsmem_handshake(c);
		if (*srv != TLS_OK && *srv != TLS_ERROR)
			*srv = tlsmem_handshake(s);
	}
	return rc;
}

static void
pair(const char *path, const char *pinstr, struct tlsmem_ctx **cc, struct tlsmem_ctx **sc,
     struct tlsmem **c, struct tlsmem **s)
{
	char err[TLS_ERR_MAX];
	uint8_t pin[TLSMEM_PIN_LEN];
	struct tlsmem_key *k = tlsmem_key_load(path, err, sizeof(err));

	ck_assert_msg(k != NULL, "%s", err);
	ck_assert_int_eq(tlsmem_pin_parse(pinstr, pin), 0);
	*sc = tlsmem_ctx_server(k, err, sizeof(err));
	ck_assert_msg(*sc != NULL, "%s", err);
	*cc = tlsmem_ctx_client(err, sizeof(err));
	ck_assert_msg(*cc != NULL, "%s", err);
	*c = tlsmem_new(*cc, pin, &pio, &cend, err, sizeof(err));
	*s = tlsmem_new(*sc, NULL, &pio, &send_, err, sizeof(err));
	ck_assert_ptr_nonnull(*c);
	ck_assert_ptr_nonnull(*s);
	tlsmem_key_free(k);
	c2s.len = s2c.len = 0;
}

static void
unpair(struct tlsmem_ctx *cc, struct tlsmem_ctx *sc, struct tlsmem *c, struct tlsmem *s,
       const char *path)
{
	tlsmem_free(c);
	tlsmem_free(s);
	tlsmem_ctx_free(cc);
	tlsmem_ctx_free(sc);
	unlink(path);
}

START_TEST(test_handshake_and_data)
{
	char path[64], fp[TLSMEM_FP_LEN + 1], err[TLS_ERR_MAX];
	struct tlsmem_ctx *cc, *sc;
	struct tlsmem *c, *s;
	struct tlsmem_key *k;
	uint8_t buf[100];
	int srv;

	key_file(path);
	k = tlsmem_key_load(path, err, sizeof(err));
	ck_assert_ptr_nonnull(k);
	tlsmem_key_fingerprint(k, fp);
	tlsmem_key_free(k);
	pair(path, fp, &cc, &sc, &c, &s);
	ck_assert_int_eq(handshake(c, s, &srv), TLS_OK);
	ck_assert_msg(srv == TLS_OK, "%s", tlsmem_error(s));
	/* AES-GCM first where it runs on AES instructions (gcm/gcm.h), ChaCha elsewhere. */
	ck_assert_str_eq(tlsmem_cipher(c), gcm_fast() ? "TLS13-AES128-GCM-SHA256"
	                                              : "TLS13-CHACHA20-POLY1305-SHA256");
	ck_assert_int_eq(tlsmem_write(c, "hello egress", 12), 12);
	ck_assert_ptr_null(memmem(c2s.b, c2s.len, "hello", 5)); /* sealed */
	ck_assert_int_eq(tlsmem_read(s, buf, sizeof(buf)), 12);
	ck_assert_int_eq(memcmp(buf, "hello egress", 12), 0);
	ck_assert_int_eq(tlsmem_write(s, "\0", 1), 1);
	ck_assert_int_eq(tlsmem_read(c, buf, sizeof(buf)), 1);
	ck_assert_int_eq(tlsmem_read(c, buf, sizeof(buf)), TLS_WANT_READ);
	unpair(cc, sc, c, s, path);
}
END_TEST

START_TEST(test_wrong_pin)
{
	char path[64];
	struct tlsmem_ctx *cc, *sc;
	struct tlsmem *c, *s;
	int srv;

	key_file(path);
	pair(path, "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", &cc, &sc,
	     &c, &s);
	ck_assert_int_eq(handshake(c, s, &srv), TLS_ERROR);
	ck_assert_int_ne(srv, TLS_OK);
	ck_assert_int_eq(tlsmem_error_is_pin(c), 1);
	ck_assert_ptr_nonnull(strstr(tlsmem_error(c), "not the pinned one (it is sha256:"));
	ck_assert_int_eq(tlsmem_write(c, "x", 1), TLS_ERROR);
	unpair(cc, sc, c, s, path);
}
END_TEST

START_TEST(test_fingerprint_stable)
{
	char path[64], a[TLSMEM_FP_LEN + 1], b[TLSMEM_FP_LEN + 1], err[TLS_ERR_MAX];
	struct tlsmem_key *k;
	uint8_t pin[TLSMEM_PIN_LEN];

	key_file(path);
	k = tlsmem_key_load(path, err, sizeof(err));
	ck_assert_ptr_nonnull(k);
	tlsmem_key_fingerprint(k, a);
	tlsmem_key_free(k);
	k = tlsmem_key_load(path, err, sizeof(err));
	tlsmem_key_fingerprint(k, b);
	tlsmem_key_free(k);
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(strlen(a), TLSMEM_FP_LEN);
	ck_assert_int_eq(tlsmem_pin_parse(a, pin), 0);
	unlink(path);
}
END_TEST

/* RFC 8032 test 1's key: its SPKI hash, as openssl computes it. */
START_TEST(test_fingerprint_vector)
{
	static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
	                          "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	                          "-----END PRIVATE KEY-----\n";
	char path[] = "/tmp/check_tlsmem.XXXXXX", fp[TLSMEM_FP_LEN + 1], err[TLS_ERR_MAX];
	struct tlsmem_key *k;
	int fd = mkstemp(path);

	ck_assert_int_eq(write(fd, pem, sizeof(pem) - 1), (ssize_t)sizeof(pem) - 1);
	close(fd);
	k = tlsmem_key_load(path, err, sizeof(err));
	ck_assert_msg(k != NULL, "%s", err);
	tlsmem_key_fingerprint(k, fp);
	ck_assert_str_eq(fp, "sha256:06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9");
	tlsmem_key_free(k);
	unlink(path);
}
END_TEST

START_TEST(test_bad_inputs)
{
	char path[] = "/tmp/check_tlsmem.XXXXXX", err[TLS_ERR_MAX];
	uint8_t pin[TLSMEM_PIN_LEN];
	int fd = mkstemp(path);

	ck_assert_int_eq(write(fd, "not a key\n", 10), 10);
	close(fd);
	ck_assert_ptr_null(tlsmem_key_load(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not an Ed25519 private key"));
	ck_assert_ptr_null(tlsmem_key_load("/nonexistent/key", err, sizeof(err)));
	unlink(path);
	ck_assert_int_eq(tlsmem_pin_parse("sha256:00", pin), -1);
	ck_assert_int_eq(tlsmem_pin_parse("sha1:00112233445566778899aabbccddeeff"
	                                  "00112233445566778899aabbccddeeff", pin), -1);
	ck_assert_int_eq(tlsmem_pin_parse("sha256:0011223344556677889xaabbccddeeff"
	                                  "00112233445566778899aabbccddeeff", pin), -1);
}
END_TEST

static Suite *
tlsmem_suite(void)
{
	Suite *s = suite_create("tlsmem");
	TCase *tc = tcase_create("tlsmem");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_handshake_and_data);
	tcase_add_test(tc, test_wrong_pin);
	tcase_add_test(tc, test_fingerprint_stable);
	tcase_add_test(tc, test_fingerprint_vector);
	tcase_add_test(tc, test_bad_inputs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tlsmem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
