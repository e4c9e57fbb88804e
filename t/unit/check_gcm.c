/* SPDX-License-Identifier: MIT */
/*
 * AES-GCM through libcrypto (gcm/gcm.h), the sealing of TLS records when
 * wolfSSL hands them over: the GCM specification's test case 4 with a
 * 128-bit key and its 256-bit twin (known answers, so any AES-GCM peer
 * agrees), in place and out of place; a flipped tag or ciphertext or AAD
 * bit is refused and leaves no plaintext behind; key sizes TLS never
 * uses are refused; the cache of keyed contexts never hands one key's
 * context to another (keys a byte apart, more keys than it holds, seal
 * and open with one key, after gcm_forget).
 */
#include "gcm/gcm.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2, i;
	unsigned v;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static const char *K128 = "feffe9928665731c6d6a8f9467308308";
static const char *IV = "cafebabefacedbaddecaf888";
static const char *PT = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char *AAD = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char *CT128 = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                           "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";
static const char *TAG128 = "5bc94fbc3221a5db94fae95ae7121a47";
static const char *CT256 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                           "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
static const char *TAG256 = "76fc6ece0f4e1768cddf8853bb2d551b";

struct vec {
	uint8_t k[32], iv[12], pt[64], aad[20], ct[64], tag[16];
	size_t klen, n, alen;
};

static void
load(struct vec *v, int k256)
{
	char k[65];

	snprintf(k, sizeof(k), "%s%s", K128, k256 ? K128 : "");
	v->klen = unhex(k, v->k);
	ck_assert_uint_eq(unhex(IV, v->iv), GCM_IV_LEN);
	v->n = unhex(PT, v->pt);
	v->alen = unhex(AAD, v->aad);
	ck_assert_uint_eq(unhex(k256 ? CT256 : CT128, v->ct), v->n);
	ck_assert_uint_eq(unhex(k256 ? TAG256 : TAG128, v->tag), GCM_TAG_LEN);
}

static void
known_answer(int k256)
{
	struct vec v;
	uint8_t out[64], tag[16], buf[64];

	load(&v, k256);
	ck_assert_int_eq(gcm_seal(v.k, v.klen, v.iv, v.aad, v.alen, v.pt, v.n, out, tag), 0);
	ck_assert_int_eq(memcmp(out, v.ct, v.n), 0);
	ck_assert_int_eq(memcmp(tag, v.tag, sizeof(tag)), 0);
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, v.aad, v.alen, v.ct, v.n, out, v.tag), 0);
	ck_assert_int_eq(memcmp(out, v.pt, v.n), 0);
	/* In place, as wolfSSL seals records. */
	memcpy(buf, v.pt, v.n);
	ck_assert_int_eq(gcm_seal(v.k, v.klen, v.iv, v.aad, v.alen, buf, v.n, buf, tag), 0);
	ck_assert_int_eq(memcmp(buf, v.ct, v.n), 0);
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, v.aad, v.alen, buf, v.n, buf, tag), 0);
	ck_assert_int_eq(memcmp(buf, v.pt, v.n), 0);
}

START_TEST(test_known_answer_128)
{
	known_answer(0);
}
END_TEST

START_TEST(test_known_answer_256)
{
	known_answer(1);
}
END_TEST

START_TEST(test_forgeries_refused)
{
	struct vec v;
	uint8_t out[64], zero[64] = { 0 };

	load(&v, 0);
	v.tag[15] ^= 1;
	memset(out, 0xaa, sizeof(out));
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, v.aad, v.alen, v.ct, v.n, out, v.tag), -1);
	ck_assert_int_eq(memcmp(out, zero, v.n), 0); /* nothing of the plaintext is left */
	v.tag[15] ^= 1;
	v.ct[0] ^= 0x80;
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, v.aad, v.alen, v.ct, v.n, out, v.tag), -1);
	v.ct[0] ^= 0x80;
	v.aad[3] ^= 4;
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, v.aad, v.alen, v.ct, v.n, out, v.tag), -1);
	v.aad[3] ^= 4;
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, v.aad, v.alen, v.ct, v.n, out, v.tag), 0);
}
END_TEST

START_TEST(test_misuse_refused)
{
	struct vec v;
	uint8_t out[64], tag[16];

	load(&v, 0);
	ck_assert_int_eq(gcm_seal(v.k, 24, v.iv, v.aad, v.alen, v.pt, v.n, out, tag), -1);
	ck_assert_int_eq(gcm_seal(v.k, 0, v.iv, NULL, 0, v.pt, v.n, out, tag), -1);
	ck_assert_int_eq(gcm_open(v.k, 15, v.iv, v.aad, v.alen, v.ct, v.n, out, v.tag), -1);
	/* Empty plaintext and AAD: a tag alone, still checked. */
	ck_assert_int_eq(gcm_seal(v.k, v.klen, v.iv, NULL, 0, NULL, 0, out, tag), 0);
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, NULL, 0, NULL, 0, out, tag), 0);
	tag[0] ^= 1;
	ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, NULL, 0, NULL, 0, out, tag), -1);
	ck_assert_int_eq(gcm_fast(), gcm_fast()); /* decided once */
}
END_TEST

START_TEST(test_cache_keys_apart)
{
	struct vec v, w;
	uint8_t out[64], tag[16];
	int round, i;

	load(&v, 0);
	load(&w, 1);
	for (round = 0; round < 3; round++) {
		/* Twelve keys that differ from the known one in their last byte only. */
		for (i = 0; i < 12; i++) {
			uint8_t k[16];

			memcpy(k, v.k, sizeof(k));
			k[15] ^= (uint8_t)(i + 1);
			ck_assert_int_eq(gcm_seal(k, 16, v.iv, v.aad, v.alen, v.pt, v.n, out, tag), 0);
			ck_assert_int_ne(memcmp(out, v.ct, v.n), 0);
			ck_assert_int_eq(gcm_open(v.k, v.klen, v.iv, v.aad, v.alen, out, v.n, out, tag), -1);
			ck_assert_int_eq(gcm_open(k, 16, v.iv, v.aad, v.alen, v.ct, v.n, out, v.tag), -1);
			known_answer(i & 1);
		}
		if (round == 1)
			gcm_forget();
		ck_assert_int_eq(gcm_seal(w.k, w.klen, w.iv, w.aad, w.alen, w.pt, w.n, out, tag), 0);
		ck_assert_int_eq(memcmp(out, w.ct, w.n), 0);
		known_answer(0);
	}
	gcm_forget();
	gcm_forget();
	known_answer(1);
}
END_TEST

static Suite *
gcm_suite(void)
{
	Suite *s = suite_create("gcm");
	TCase *tc = tcase_create("gcm");

	tcase_add_test(tc, test_known_answer_128);
	tcase_add_test(tc, test_known_answer_256);
	tcase_add_test(tc, test_forgeries_refused);
	tcase_add_test(tc, test_misuse_refused);
	tcase_add_test(tc, test_cache_keys_apart);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(gcm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
