/* SPDX-License-Identifier: MIT */
/*
 * smux v2, the codec and hostile input: frame vectors
 * (t/data/smux/vectors.txt), protocol errors, window overruns, ignored
 * and hostile frames, drip and glued input; and the one-stream
 * throughput figure. Sessions are joined through the pipes of
 * smux_pair.h; the session behaviour itself is check_smux_session.c.
 */
#include "tt/smux.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smux_pair.h"
#include "vec.h"

/* ---- codec ------------------------------------------------------------- */

static ssize_t
parse_frame(const uint8_t *p, size_t n, void *ctx)
{
	struct smux_hdr h;
	const uint8_t *pay;

	(void)ctx;
	return smux_frame_decode(p, n, &h, &pay);
}

START_TEST(test_vectors)
{
	size_t nv, i;
	struct vec *v = vec_load("smux/vectors.txt", &nv);

	for (i = 0; i < nv; i++) {
		const struct vec *x = &v[i];
		struct smux_hdr h;
		const uint8_t *pay;
		uint8_t enc[SMUX_HDR_LEN];

		vec_check_stream(x, parse_frame, NULL);
		if (strcmp(x->result, "ok") != 0)
			continue;
		ck_assert_int_eq(smux_frame_decode(x->bytes, x->len, &h, &pay), (ssize_t)x->len);
		ck_assert_int_eq(smux_hdr_decode(x->bytes, x->len, &h), SMUX_HDR_LEN);
		ck_assert_uint_eq(h.ver, SMUX_VERSION);
		ck_assert_uint_eq(h.cmd, vec_num(x, "cmd"));
		ck_assert_uint_eq(h.sid, (uint32_t)vec_num(x, "sid"));
		ck_assert_uint_eq(h.len, vec_num(x, "len"));
		ck_assert_uint_eq(h.len, x->len - SMUX_HDR_LEN);
		if (h.cmd == SMUX_CMD_UPD) {
			ck_assert_uint_eq(pay[0] | pay[1] << 8 | pay[2] << 16 | (uint32_t)pay[3] << 24,
			    (uint32_t)vec_num(x, "consumed"));
			ck_assert_uint_eq(pay[4] | pay[5] << 8 | pay[6] << 16 | (uint32_t)pay[7] << 24,
			    (uint32_t)vec_num(x, "window"));
		}
		smux_hdr_encode(enc, &h);
		ck_assert_mem_eq(enc, x->bytes, SMUX_HDR_LEN);
	}
	free(v);
}
END_TEST

/* Every header byte pattern that differs in ver or cmd is refused at once. */
START_TEST(test_hdr_early_error)
{
	uint8_t b[SMUX_HDR_LEN] = { 2, 0, 0, 0, 3, 0, 0, 0 };
	struct smux_hdr h;
	int v, c;

	for (v = 0; v < 256; v++) {
		b[0] = (uint8_t)v;
		ck_assert_int_eq(smux_hdr_decode(b, 1, &h), v == 2 ? 0 : -1);
	}
	b[0] = 2;
	for (c = 0; c < 256; c++) {
		b[1] = (uint8_t)c;
		ck_assert_int_eq(smux_hdr_decode(b, 2, &h), c <= SMUX_CMD_UPD ? 0 : -1);
	}
}
END_TEST

START_TEST(test_config)
{
	struct smux_config c;
	struct smux *s;

	smux_config_default(&c, 1);
	ck_assert_uint_eq(c.frame_max, 32768);
	ck_assert_uint_eq(c.stream_window, 1048576);
	ck_assert_uint_eq(c.session_window, 4194304);
	ck_assert_uint_eq(c.keepalive_ms, 10000);
	ck_assert_uint_eq(c.timeout_ms, 600000);
	smux_config_default(&c, 0);
	ck_assert_uint_eq(c.timeout_ms, 240000);

	c.stream_window = c.session_window + 1;
	errno = 0;
	ck_assert_ptr_null(smux_new(0, &c, &cbs, NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	smux_config_default(&c, 0);
	c.frame_max = 65536;
	ck_assert_ptr_null(smux_new(0, &c, &cbs, NULL, 0));
	smux_config_default(&c, 0);
	c.timeout_ms = c.keepalive_ms - 1;
	ck_assert_ptr_null(smux_new(0, &c, &cbs, NULL, 0));
	c.keepalive_ms = 0; /* disabled: timeout ignored */
	s = smux_new(0, &c, &cbs, NULL, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(smux_next_tick(s), UINT64_MAX);
	smux_free(s);
}
END_TEST

static struct end *
server_fed(const uint8_t *p, size_t n, ssize_t *r)
{
	struct end *s = end_new(0, NULL, 0);

	s->autoread = 1;
	*r = smux_input(s->s, p, n);
	return s;
}

START_TEST(test_protocol_errors)
{
	static const struct {
		const char *name;
		uint8_t b[24];
		size_t n;
	} bad[] = {
		{ "version 1", { 1, 0, 0, 0, 3, 0, 0, 0 }, 8 },
		{ "version 3", { 3, 3, 0, 0, 0, 0, 0, 0 }, 8 },
		{ "cmd 5", { 2, 5, 0, 0, 3, 0, 0, 0 }, 8 },
		{ "cmd 255", { 2, 255, 0, 0, 3, 0, 0, 0 }, 8 },
		{ "SYN with payload", { 2, 0, 1, 0, 3, 0, 0, 0, 'x' }, 9 },
		{ "NOP with payload", { 2, 3, 2, 0, 0, 0, 0, 0, 'x', 'y' }, 10 },
		{ "FIN with payload", { 2, 1, 0, 1, 3, 0, 0, 0 }, 8 },
		{ "short UPD", { 2, 4, 4, 0, 3, 0, 0, 0, 1, 0, 0, 0 }, 12 },
		{ "long UPD", { 2, 4, 9, 0, 3, 0, 0, 0 }, 8 },
	};
	static const uint8_t good[] = { 2, 0, 0, 0, 3, 0, 0, 0, 2, 2, 2, 0, 3, 0, 0, 0, 'h', 'i' };
	uint8_t in[64];
	size_t i, j;
	ssize_t r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct end *s;

		/* Alone, after good frames in one piece, and dripped. */
		s = server_fed(bad[i].b, bad[i].n, &r);
		ck_assert_msg(r == -1, "%s: %zd", bad[i].name, r);
		ck_assert(smux_dead(s->s));
		ck_assert_str_eq(smux_error(s->s), "bad frame header");
		ck_assert_int_eq(smux_input(s->s, good, sizeof(good)), -1);
		ck_assert_int_eq(smux_open(s->s, &(uint32_t){ 0 }), -1);
		ck_assert_int_eq(smux_tick(s->s, 1), -1);
		end_free(s);

		memcpy(in, good, sizeof(good));
		memcpy(in + sizeof(good), bad[i].b, bad[i].n);
		s = server_fed(in, sizeof(good) + bad[i].n, &r);
		ck_assert_msg(r == -1, "%s glued", bad[i].name);
		ck_assert_uint_eq(s->sinks[3].len, 2); /* the good frames took effect */
		end_free(s);

		s = end_new(0, NULL, 0);
		s->autoread = 1;
		for (j = 0; j < sizeof(good) + bad[i].n; j++) {
			r = smux_input(s->s, in + j, 1);
			if (r < 0)
				break;
			ck_assert_int_eq(r, 1);
		}
		/* Dripped, it dies on the first byte that makes it wrong. */
		ck_assert_msg(r == -1, "%s drip", bad[i].name);
		ck_assert_uint_le(j, sizeof(good) + SMUX_HDR_LEN - 1);
		ck_assert_uint_eq(s->sinks[3].len, 2);
		end_free(s);
	}
}
END_TEST

/* A peer that sends past our window: 1 MiB + 1 unread. */
START_TEST(test_window_overrun)
{
	static uint8_t in[MiB + 200];
	struct end *s;
	size_t off = 0, left = MiB + 1, k;
	ssize_t r;

	in[off++] = 2, in[off++] = 0, off += 2, in[off++] = 7, off += 3;
	while (left > 0) {
		k = left < 65535 ? left : 65535;
		in[off] = 2, in[off + 1] = 2, in[off + 2] = (uint8_t)k, in[off + 3] = (uint8_t)(k >> 8);
		in[off + 4] = 7;
		off += 8 + k;
		left -= k;
	}
	s = end_new(0, NULL, 0);
	r = smux_input(s->s, in, off);
	ck_assert_int_eq(r, -1);
	ck_assert_str_eq(smux_error(s->s), "peer overran the stream window");
	/* 65535-byte frames (more than our 32768) are fine otherwise. */
	end_free(s);
	s = end_new(0, NULL, 0);
	ck_assert_int_eq(smux_input(s->s, in, off - 8 - 17), (ssize_t)(off - 8 - 17));
	ck_assert(!smux_dead(s->s));
	end_free(s);
}
END_TEST

/* Frames Go ignores: PSH/FIN/UPD for unknown sids, SYN for a known one. */
START_TEST(test_ignored_frames)
{
	static const uint8_t in[] = {
		2, 2, 3, 0, 99, 0, 0, 0, 'a', 'b', 'c',          /* PSH unknown */
		2, 1, 0, 0, 99, 0, 0, 0,                         /* FIN unknown */
		2, 4, 8, 0, 99, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, /* UPD unknown */
		2, 0, 0, 0, 3, 0, 0, 0,                          /* SYN 3 */
		2, 2, 1, 0, 3, 0, 0, 0, 'x',                     /* PSH 3 */
		2, 0, 0, 0, 3, 0, 0, 0,                          /* SYN 3 again */
		2, 2, 1, 0, 3, 0, 0, 0, 'y',                     /* PSH 3 */
		2, 3, 0, 0, 5, 0, 0, 0,                          /* NOP, any sid */
		2, 2, 0, 0, 3, 0, 0, 0,                          /* empty PSH */
		2, 1, 0, 0, 3, 0, 0, 0,                          /* FIN 3 */
		2, 1, 0, 0, 3, 0, 0, 0,                          /* FIN 3 again */
		2, 2, 1, 0, 3, 0, 0, 0, 'z',                     /* PSH after FIN: kept, as Go */
	};
	struct end *s;
	ssize_t r;

	s = server_fed(in, sizeof(in), &r);
	ck_assert_int_eq(r, (ssize_t)sizeof(in));
	ck_assert_uint_eq(s->nacc, 1);
	ck_assert_uint_eq(s->sinks[3].len, 3);
	ck_assert_mem_eq(s->sinks[3].data, "xyz", 3);
	ck_assert_int_eq(s->sinks[3].eof, 1);
	ck_assert_uint_eq(s->sinks[99].len, 0);
	ck_assert(!smux_dead(s->s));
	end_free(s);
}
END_TEST

/*
 * UPD values a Go peer never sends: garbage (found by the fuzzer as a
 * signed overflow), consumed beyond what was written (Go's ErrConsumed:
 * the write fails), a window past INT32_MAX (Go reads it as negative: no
 * room).
 */
START_TEST(test_upd_hostile)
{
	static const uint8_t upd_bad[] = { 2, 4, 8, 0, 3, 0, 0, 0, 0xa5, 0xa5, 0xa5, 0xa5,
		0xa5, 0xa5, 0xa5, 0xa5 };
	static const uint8_t upd_over[] = { 2, 4, 8, 0, 3, 0, 0, 0, 6, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t upd_neg[] = { 2, 4, 8, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x80 };
	static const uint8_t upd_ok[] = { 2, 4, 8, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 1, 0 };
	struct end *c = end_new(1, NULL, 0);
	uint32_t sid;

	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"hello", 5), 5);
	ck_assert_int_eq(smux_input(c->s, upd_bad, sizeof(upd_bad)), (ssize_t)sizeof(upd_bad));
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), 0);
	ck_assert_int_eq(smux_input(c->s, upd_over, sizeof(upd_over)), (ssize_t)sizeof(upd_over));
	errno = 0;
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(smux_input(c->s, upd_neg, sizeof(upd_neg)), (ssize_t)sizeof(upd_neg));
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), 0);
	c->nwritable = 0;
	ck_assert_int_eq(smux_input(c->s, upd_ok, sizeof(upd_ok)), (ssize_t)sizeof(upd_ok));
	ck_assert_uint_eq(c->nwritable, 1);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), 1);
	ck_assert(!smux_dead(c->s));
	end_free(c);
}
END_TEST

/* The same byte stream fed whole, one byte at a time, and in odd pieces. */
START_TEST(test_drip_glued)
{
	struct end *c, *ref;
	uint8_t *stream;
	size_t len, i, cut;
	uint32_t sid;
	uint8_t data[40000];

	/* Produce a realistic stream with a client session. */
	c = end_new(1, NULL, 0);
	c->tap = 0;
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(smux_open(c->s, &sid), 0);
		fill(data, sizeof(data), (uint32_t)i);
		ck_assert_int_eq(smux_write(c->s, sid, data, 100 + i * 9000), (ssize_t)(100 + i * 9000));
		if (i & 1)
			ck_assert_int_eq(smux_shutdown(c->s, sid), 0);
	}
	ck_assert_int_eq(smux_tick(c->s, 10000), 0);
	smux_close(c->s, 3);
	stream = c->buf;
	len = c->len;

	ref = server_fed(stream, len, &(ssize_t){ 0 });
	for (cut = 1; cut <= 1001; cut += 100) {
		struct end *s = end_new(0, NULL, 0);

		s->autoread = 1;
		for (i = 0; i < len; i += cut) {
			size_t n = len - i < cut ? len - i : cut;

			ck_assert_int_eq(smux_input(s->s, stream + i, n), (ssize_t)n);
		}
		ck_assert_uint_eq(s->nacc, ref->nacc);
		for (i = 3; i <= 11; i += 2) {
			ck_assert_uint_eq(s->sinks[i].len, ref->sinks[i].len);
			ck_assert_int_eq(s->sinks[i].eof, ref->sinks[i].eof);
			ck_assert(memcmp(s->sinks[i].data, ref->sinks[i].data, s->sinks[i].len) == 0);
		}
		end_free(s);
	}
	ck_assert_uint_eq(ref->nacc, 5);
	ck_assert_uint_eq(ref->sinks[3].len, 100);
	ck_assert_int_eq(ref->sinks[3].eof, 1); /* closed: FIN */
	ck_assert_int_eq(ref->sinks[5].eof, 1);
	ck_assert_int_eq(ref->sinks[7].eof, 0);
	ck_assert_uint_eq(ref->sinks[11].len, 36100);
	end_free(ref);
	end_free(c);
}
END_TEST

/*
 * One stream client → server, big reads; prints the rate. Three copies
 * per byte (into the pipe, into the stream, out to the reader). Run twice:
 * with glibc's default heap trimming, which hands the freed chunks of
 * each 1 MiB window back to the kernel and faults them in again, and
 * with trimming raised, which leaves only the copies.
 */
static void
throughput(const char *what)
{
	struct end *c, *s;
	const size_t total = (size_t)2 << 30;
	size_t sent = 0, got = 0;
	uint8_t *wbuf = malloc(MiB), *rbuf = malloc(4 * MiB);
	struct timespec t0, t1;
	uint32_t sid;
	double secs;
	ssize_t r;

	pair(&c, &s, NULL, NULL);
	c->tap = s->tap = 0;
	s->autoread = 0;
	fill(wbuf, MiB, 7);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < total) {
		while (sent < total &&
		    (r = smux_write(c->s, sid, wbuf + sent % MiB, MiB - sent % MiB)) > 0)
			sent += (size_t)r;
		deliver(c);
		while ((r = smux_read(s->s, sid, rbuf, 4 * MiB)) > 0) {
			/* Spot check: the pattern repeats every MiB. */
			ck_assert(rbuf[0] == wbuf[got % MiB] && rbuf[r - 1] == wbuf[(got + (size_t)r - 1) % MiB]);
			got += (size_t)r;
		}
		deliver(s);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "smux: %zu MiB one stream in %.3f s = %.2f GB/s (%s)\n", total / MiB, secs,
	    (double)total / secs / 1e9, what);
	ck_assert_uint_eq(got, total);
	free(wbuf);
	free(rbuf);
	end_free(c);
	end_free(s);
}

START_TEST(test_throughput)
{
	throughput("glibc default trim");
	mallopt(M_TRIM_THRESHOLD, 64 * MiB);
	throughput("M_TRIM_THRESHOLD 64 MiB");
}
END_TEST

static Suite *
smux_suite(void)
{
	Suite *su = suite_create("smux");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_hdr_early_error);
	tcase_add_test(tc, test_config);
	suite_add_tcase(su, tc);

	tc = tcase_create("input");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_protocol_errors);
	tcase_add_test(tc, test_window_overrun);
	tcase_add_test(tc, test_ignored_frames);
	tcase_add_test(tc, test_upd_hostile);
	tcase_add_test(tc, test_drip_glued);
	suite_add_tcase(su, tc);

	tc = tcase_create("bench");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_throughput);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(smux_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
