/* SPDX-License-Identifier: MIT */
/*
 * smux v2 sessions, client and server back to back through the pipes
 * of smux_pair.h: open, read, write, FIN and half close; stream and
 * session flow control; many streams and the stream cap; keepalive;
 * output backpressure; idle memory; stream ids. The tap checks the
 * exact frames a Go peer would see.
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

/* ---- sessions ---------------------------------------------------------- */


START_TEST(test_open_rw_fin)
{
	struct end *c, *s;
	uint32_t sid, sid2, ssid;
	uint8_t buf[64];

	pair(&c, &s, NULL, NULL);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(sid, 3); /* Go: counter 1, += 2 before use */
	ck_assert_int_eq(smux_open(c->s, &sid2), 0);
	ck_assert_uint_eq(sid2, 5);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"hello", 5), 5);
	pump(c, s);
	ck_assert_uint_eq(s->nacc, 2);
	ck_assert_uint_eq(s->acc[0], 3);
	ck_assert_uint_eq(s->acc[1], 5);
	ck_assert_uint_eq(smux_nstreams(s->s), 2);
	ck_assert_uint_eq(s->sinks[3].len, 5);
	ck_assert_mem_eq(s->sinks[3].data, "hello", 5);
	/* The first read announces itself: UPD(5, 1 MiB), as Go does. */
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, 3), 1);
	ck_assert_uint_eq(s->log[0].consumed, 5);
	ck_assert_uint_eq(s->log[0].window, 1048576);

	/* Server → client on the same stream; the client reads by hand. */
	ck_assert_int_eq(smux_write(s->s, 3, (const uint8_t *)"world", 5), 5);
	pump(c, s);
	ck_assert_uint_ge(c->nreadable, 1);
	ck_assert_int_eq(smux_read(c->s, 3, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "world", 5);
	errno = 0;
	ck_assert_int_eq(smux_read(c->s, 3, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);

	/* Server-opened streams are even from 2. */
	ck_assert_int_eq(smux_open(s->s, &ssid), 0);
	ck_assert_uint_eq(ssid, 2);
	pump(c, s);
	ck_assert_uint_eq(c->nacc, 1);
	ck_assert_uint_eq(c->acc[0], 2);

	/* FIN both ways, then close: nothing left. */
	ck_assert_int_eq(smux_shutdown(c->s, 3), 0);
	ck_assert_int_eq(smux_shutdown(c->s, 3), 0); /* idempotent: one FIN */
	pump(c, s);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_FIN, 3), 1);
	ck_assert_int_eq(s->sinks[3].eof, 1);
	ck_assert_int_eq(smux_shutdown(s->s, 3), 0);
	pump(c, s);
	ck_assert_int_eq(smux_read(c->s, 3, buf, sizeof(buf)), 0);
	smux_close(c->s, 3);
	smux_close(s->s, 3);
	smux_close(c->s, 3); /* twice: no-op */
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_FIN, 3), 1);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_FIN, 3), 1);
	errno = 0;
	ck_assert_int_eq(smux_write(c->s, 3, buf, 1), -1);
	ck_assert_int_eq(errno, EBADF);

	/* close without shutdown sends the FIN. */
	smux_close(c->s, 5);
	smux_close(c->s, 2);
	pump(c, s);
	ck_assert_int_eq(s->sinks[5].eof, 1);
	ck_assert_int_eq(s->sinks[2].eof, 1);
	smux_close(s->s, 5);
	smux_close(s->s, 2);
	ck_assert_uint_eq(smux_nstreams(c->s), 0);
	ck_assert_uint_eq(smux_nstreams(s->s), 0);
	ck_assert(!smux_dead(c->s) && !smux_dead(s->s));
	end_free(c);
	end_free(s);
}
END_TEST

/* After the peer's FIN we can still write; after ours we can still read. */
START_TEST(test_half_close)
{
	struct end *c, *s;
	uint32_t sid;
	uint8_t buf[16];

	pair(&c, &s, NULL, NULL);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"req", 3), 3);
	ck_assert_int_eq(smux_shutdown(c->s, sid), 0);
	errno = 0;
	ck_assert_int_eq(smux_write(c->s, sid, (const uint8_t *)"x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	pump(c, s);
	ck_assert_uint_eq(s->sinks[sid].len, 3);
	ck_assert_int_eq(s->sinks[sid].eof, 1);

	/* The server answers after the client's FIN. */
	ck_assert_int_eq(smux_write(s->s, sid, (const uint8_t *)"resp1", 5), 5);
	pump(c, s);
	ck_assert_int_eq(smux_write(s->s, sid, (const uint8_t *)"resp2", 5), 5);
	ck_assert_int_eq(smux_shutdown(s->s, sid), 0);
	pump(c, s);
	ck_assert_int_eq(smux_read(c->s, sid, buf, sizeof(buf)), 10);
	ck_assert_mem_eq(buf, "resp1resp2", 10);
	ck_assert_int_eq(smux_read(c->s, sid, buf, sizeof(buf)), 0);
	ck_assert_int_eq(smux_read(c->s, sid, buf, sizeof(buf)), 0); /* EOF stays */
	smux_close(c->s, sid);
	smux_close(s->s, sid);
	pump(c, s);
	ck_assert_uint_eq(smux_nstreams(c->s) + smux_nstreams(s->s), 0);
	end_free(c);
	end_free(s);
}
END_TEST

static size_t
write_all(struct end *e, uint32_t sid, size_t max)
{
	static uint8_t data[256 * 1024];
	size_t total = 0;
	ssize_t r;

	do {
		size_t n = max - total < sizeof(data) ? max - total : sizeof(data);

		if (n == 0)
			break;
		r = smux_write(e->s, sid, data, n);
		ck_assert_int_ge(r, 0);
		total += (size_t)r;
	} while (r > 0);
	return total;
}

START_TEST(test_flow_control)
{
	struct end *c, *s;
	uint32_t sid;
	uint8_t *buf = malloc(MiB);
	size_t total, i, nupd;

	pair(&c, &s, NULL, NULL);
	s->autoread = 0;
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	/* Before any UPD the sender assumes Go's initial 256 KiB. */
	total = write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 262144);
	pump(c, s);
	ck_assert_int_eq(smux_write(c->s, sid, buf, 1), 0);

	/* One byte read: UPD(1, 1 MiB); the writer may fill the whole window. */
	c->nwritable = 0;
	ck_assert_int_eq(smux_read(s->s, sid, buf, 1), 1);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].consumed, 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 1048576);
	pump(c, s);
	ck_assert_uint_eq(c->nwritable, 1);
	ck_assert_uint_eq(c->last_writable, sid);
	total += write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 1 + 1048576); /* exactly 1 MiB unread */
	pump(c, s);
	ck_assert(!smux_dead(s->s));

	/* Reads below half a window send nothing. */
	ck_assert_int_eq(smux_read(s->s, sid, buf, 524287), 524287);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), 1);
	pump(c, s);
	ck_assert_int_eq(smux_write(c->s, sid, buf, 1), 0);
	/* The byte that makes half: UPD(consumed 524289). */
	ck_assert_int_eq(smux_read(s->s, sid, buf, 1), 1);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), 2);
	ck_assert_uint_eq(s->log[s->nlog - 1].consumed, 524289);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 1048576);
	pump(c, s);
	total += write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 524289 + 1048576);

	/* Drain everything in big reads: one UPD per half window. */
	for (i = 0; i < 40; i++) {
		ssize_t r;

		while ((r = smux_read(s->s, sid, buf, MiB)) > 0)
			;
		pump(c, s);
		total += write_all(c, sid, 16 * MiB - total);
		pump(c, s);
	}
	while (smux_read(s->s, sid, buf, MiB) > 0)
		;
	ck_assert_uint_eq(total, 16 * MiB);
	nupd = count_cmd(s, SMUX_CMD_UPD, sid);
	ck_assert_uint_le(nupd, 2 + 2 * 16 + 1);
	ck_assert_uint_gt(s->log[s->nlog - 1].consumed, 16 * MiB - 524288);
	free(buf);
	end_free(c);
	end_free(s);
}
END_TEST

/* smux_set_window: later UPDs announce the raised window, data up to it is taken, it never shrinks. */
START_TEST(test_set_window)
{
	struct end *c, *s;
	uint32_t sid;
	uint8_t *buf = malloc(MiB);
	size_t total, nupd;

	pair(&c, &s, NULL, NULL);
	s->autoread = 0;
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	total = write_all(c, sid, 8 * MiB);
	pump(c, s);
	smux_set_window(s->s, 3 * MiB);
	smux_set_window(s->s, 2 * MiB);
	ck_assert_uint_eq(smux_window(s->s), 3 * MiB);
	ck_assert_int_eq(smux_read(s->s, sid, buf, 1), 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 3 * MiB);
	pump(c, s);
	total += write_all(c, sid, 8 * MiB);
	ck_assert_uint_eq(total, 1 + 3 * MiB); /* 3 MiB unread: more than stream_window */
	pump(c, s);
	ck_assert(!smux_dead(s->s));
	/* A raise is told at once on a stream already read, without waiting for reads. */
	nupd = count_cmd(s, SMUX_CMD_UPD, sid);
	smux_set_window(s->s, 4 * MiB);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_UPD, sid), nupd + 1);
	ck_assert_uint_eq(s->log[s->nlog - 1].window, 4 * MiB);
	pump(c, s);
	ck_assert_uint_eq(write_all(c, sid, 8 * MiB), MiB);
	free(buf);
	end_free(c);
	end_free(s);
}
END_TEST

/* MaxReceiveBuffer: at 4 MiB buffered the server stops taking input. */
START_TEST(test_session_window)
{
	struct end *c, *s;
	uint32_t sid[20];
	uint8_t *buf = malloc(MiB);
	size_t i, pend;

	pair(&c, &s, NULL, NULL);
	s->autoread = 0;
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(smux_open(c->s, &sid[i]), 0);
		ck_assert_uint_eq(write_all(c, sid[i], 8 * MiB), 262144);
	}
	pump(c, s);
	/* 16 streams × 256 KiB = 4 MiB taken; the other 4 wait in the pipe. */
	ck_assert(!smux_want_input(s->s));
	pend = c->len;
	ck_assert_uint_eq(pend, 4 * (8 + 262144 + 8 * 8)); /* SYN + 8 PSH each */
	ck_assert_int_eq(smux_read(s->s, sid[15], buf, 1), 1);
	ck_assert_int_eq(smux_read(s->s, sid[19], buf, 1), -1);
	ck_assert(smux_want_input(s->s));
	pump(c, s);
	ck_assert(!smux_want_input(s->s));
	ck_assert_uint_lt(c->len, pend); /* one more frame went in */
	/* Closing a stream returns its bytes to the session. */
	smux_close(s->s, sid[0]);
	smux_close(s->s, sid[1]);
	pump(c, s);
	for (i = 2; i < 20; i++)
		while (smux_read(s->s, sid[i], buf, MiB) > 0)
			;
	pump(c, s);
	ck_assert_uint_eq(c->len, 0);
	ck_assert(smux_want_input(s->s));
	ck_assert(!smux_dead(s->s));
	free(buf);
	end_free(c);
	end_free(s);
}
END_TEST

START_TEST(test_many_streams)
{
	struct end *c, *s;
	static uint32_t sids[1000];
	uint8_t *data = malloc(8192);
	size_t i, n;

	pair(&c, &s, NULL, NULL);
	c->tap = s->tap = 0;
	c->autoread = 1;
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(smux_open(c->s, &sids[i]), 0);
		ck_assert_uint_eq(sids[i], 3 + 2 * i);
		n = 1000 + i * 7;
		fill(data, n, (uint32_t)i);
		ck_assert_int_eq(smux_write(c->s, sids[i], data, n), (ssize_t)n);
		if (i % 3 == 0)
			ck_assert_int_eq(smux_shutdown(c->s, sids[i]), 0);
	}
	pump(c, s);
	ck_assert_uint_eq(s->nacc, 1000);
	ck_assert_uint_eq(smux_nstreams(s->s), 1000);
	/* Each server stream answers with its own data, in reverse order. */
	for (i = 1000; i-- > 0;) {
		n = 500 + i * 3;
		fill(data, n, (uint32_t)(i + 5000));
		ck_assert_int_eq(smux_write(s->s, sids[i], data, n), (ssize_t)n);
		ck_assert_int_eq(smux_shutdown(s->s, sids[i]), 0);
	}
	pump(c, s);
	for (i = 0; i < 1000; i++) {
		uint32_t id = sids[i];

		n = 1000 + i * 7;
		fill(data, n, (uint32_t)i);
		ck_assert_uint_eq(s->sinks[id].len, n);
		ck_assert(memcmp(s->sinks[id].data, data, n) == 0);
		ck_assert_int_eq(s->sinks[id].eof, i % 3 == 0);
		n = 500 + i * 3;
		fill(data, n, (uint32_t)(i + 5000));
		ck_assert_uint_eq(c->sinks[id].len, n);
		ck_assert(memcmp(c->sinks[id].data, data, n) == 0);
		ck_assert_int_eq(c->sinks[id].eof, 1);
	}
	for (i = 0; i < 1000; i += 2) {
		smux_close(c->s, sids[i]);
		smux_close(s->s, sids[i]);
	}
	pump(c, s);
	ck_assert_uint_eq(smux_nstreams(c->s), 500);
	for (i = 1; i < 1000; i += 2) {
		smux_close(c->s, sids[i]);
		smux_close(s->s, sids[i]);
	}
	pump(c, s);
	ck_assert_uint_eq(smux_nstreams(c->s) + smux_nstreams(s->s), 0);
	free(data);
	end_free(c);
	end_free(s);
}
END_TEST

START_TEST(test_keepalive)
{
	struct end *c, *s;
	uint64_t t;
	size_t i;

	pair(&c, &s, NULL, NULL);
	ck_assert_uint_eq(smux_next_tick(c->s), 10000);
	ck_assert_int_eq(smux_tick(c->s, 9999), 0);
	ck_assert_uint_eq(c->len, 0);
	ck_assert_int_eq(smux_tick(c->s, 10000), 0);
	ck_assert_uint_eq(c->len, 8);
	ck_assert_mem_eq(c->buf, "\x02\x03\x00\x00\x00\x00\x00\x00", 8);
	ck_assert_uint_eq(smux_next_tick(c->s), 20000);
	ck_assert_int_eq(smux_tick(c->s, 15000), 0);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 1);
	/* A late tick sends one NOP, not the missed ones. */
	ck_assert_int_eq(smux_tick(c->s, 45000), 0);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 2);
	ck_assert_uint_eq(smux_next_tick(c->s), 55000);

	/* Server: NOPs every 10 s; it hears nothing and dies at 240 s. */
	for (t = 0; t < 240000; t += 10000) {
		ck_assert_int_eq(smux_tick(s->s, t), 0);
		ck_assert_uint_le(smux_next_tick(s->s), t + 10000);
	}
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_NOP, 0), 23);
	ck_assert_int_eq(smux_tick(s->s, 239999), 0);
	ck_assert_int_eq(smux_tick(s->s, 240000), -1);
	ck_assert(smux_dead(s->s));
	ck_assert_str_eq(smux_error(s->s), "keepalive timeout");
	ck_assert_uint_eq(smux_next_tick(s->s), UINT64_MAX);
	end_free(c);
	end_free(s);

	/* Joined, each side's NOPs keep the other alive for an hour. */
	pair(&c, &s, NULL, NULL);
	for (t = 0, i = 0; t <= 3600000; t += 5000, i++) {
		ck_assert_int_eq(smux_tick(c->s, t), 0);
		ck_assert_int_eq(smux_tick(s->s, t), 0);
		pump(c, s);
	}
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 360);
	end_free(c);
	end_free(s);
}
END_TEST

/* While our own receive buffer is full the silence is ours: no timeout. */
START_TEST(test_keepalive_full_buffer)
{
	struct end *c, *s;
	struct smux_config cfg;
	uint32_t sid;
	uint64_t t;
	uint8_t b[64];

	smux_config_default(&cfg, 0);
	cfg.session_window = cfg.stream_window = 4096;
	pair(&c, &s, NULL, &cfg);
	s->autoread = 0;
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(write_all(c, sid, 1 * MiB), 262144);
	pump(c, s); /* takes the first frame, 32768 > 4096: bucket negative */
	ck_assert(!smux_want_input(s->s));
	for (t = 0; t <= 600000; t += 10000)
		ck_assert_int_eq(smux_tick(s->s, t), 0);
	ck_assert_int_eq(smux_read(s->s, sid, b, sizeof(b)), 64);
	end_free(c);
	end_free(s);
}
END_TEST

/*
 * The stream underneath takes 1000 bytes at a time: smux keeps one frame
 * tail, refuses writes, owes SYN/UPD/FIN in order, and catches up on flush.
 */
START_TEST(test_output_backpressure)
{
	struct end *c, *s;
	uint32_t a, b;
	uint8_t *data = malloc(200000);
	size_t sent = 0, rounds = 0;
	ssize_t r;

	pair(&c, &s, NULL, NULL);
	c->limit = 1000;
	fill(data, 200000, 42);
	ck_assert_int_eq(smux_open(c->s, &a), 0);
	r = smux_write(c->s, a, data, 200000);
	ck_assert_int_eq(r, 32768); /* one frame, mostly held */
	sent = (size_t)r;
	ck_assert(smux_blocked(c->s));
	ck_assert_uint_eq(c->len, 1000);
	ck_assert_int_eq(smux_write(c->s, a, data + sent, 200000 - sent), 0);
	ck_assert_int_eq(smux_write(c->s, a, data + sent, 200000 - sent), 0);
	/* Open and FIN while held: owed, emitted in order later. */
	ck_assert_int_eq(smux_open(c->s, &b), 0);
	ck_assert_int_eq(smux_shutdown(c->s, b), 0);
	ck_assert_uint_eq(c->len, 1000);
	c->nwritable = 0;
	while (sent < 200000) {
		pump(c, s);
		r = smux_write(c->s, a, data + sent, 200000 - sent);
		ck_assert_int_ge(r, 0);
		sent += (size_t)r;
		ck_assert_uint_le(c->len, 1000);
		ck_assert_uint_lt(++rounds, 10000);
	}
	ck_assert_uint_ge(c->nwritable, 1);
	ck_assert_int_eq(smux_shutdown(c->s, a), 0);
	pump(c, s);
	ck_assert(!smux_blocked(c->s));
	ck_assert_uint_eq(s->nacc, 2);
	ck_assert_uint_eq(s->sinks[a].len, 200000);
	ck_assert(memcmp(s->sinks[a].data, data, 200000) == 0);
	ck_assert_int_eq(s->sinks[a].eof, 1);
	ck_assert_int_eq(s->sinks[b].eof, 1);
	/* The frames as emitted: SYN a, PSH a..., SYN b, FIN b, ... FIN a. */
	ck_assert_uint_eq(c->log[0].cmd, SMUX_CMD_SYN);
	ck_assert_uint_eq(c->log[1].cmd, SMUX_CMD_PSH);
	ck_assert_uint_eq(c->log[2].cmd, SMUX_CMD_SYN);
	ck_assert_uint_eq(c->log[2].sid, b);
	ck_assert_uint_eq(c->log[3].cmd, SMUX_CMD_FIN);
	ck_assert_uint_eq(c->log[3].sid, b);
	ck_assert_uint_eq(c->log[c->nlog - 1].cmd, SMUX_CMD_FIN);
	ck_assert_uint_eq(c->log[c->nlog - 1].sid, a);

	/* Close while held: the stream lingers until its FIN is out. */
	smux_close(c->s, a);
	smux_close(c->s, b);
	ck_assert_int_eq(smux_open(c->s, &b), 0);
	c->limit = c->len; /* full */
	ck_assert_int_eq(smux_write(c->s, b, data, 10), 10); /* the whole frame held */
	ck_assert_int_eq(smux_write(c->s, b, data, 10), 0);
	smux_close(c->s, b);
	ck_assert_uint_eq(smux_nstreams(c->s), 0);
	c->limit = SIZE_MAX;
	pump(c, s);
	ck_assert_uint_eq(s->sinks[b].len, 10);
	ck_assert_int_eq(s->sinks[b].eof, 1);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_FIN, b), 1);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_PSH, b), 1);
	/* A NOP behind held output is skipped. */
	c->limit = c->len;
	ck_assert_int_eq(smux_write(c->s, a, data, 1), -1); /* a is closed */
	ck_assert_int_eq(smux_open(c->s, &b), 0);
	ck_assert(smux_blocked(c->s));
	ck_assert_int_eq(smux_tick(c->s, 10000), 0);
	c->limit = SIZE_MAX;
	ck_assert_int_eq(smux_flush(c->s), 0);
	ck_assert_uint_eq(count_cmd(c, SMUX_CMD_NOP, 0), 0);
	free(data);
	end_free(c);
	end_free(s);
}
END_TEST

/*
 * A frame with a small payload is one output call (a secure session seals
 * each call as a TLS record); a large one stays two. A small frame cut by
 * the output's limit is held whole and arrives intact.
 */
START_TEST(test_small_frames_joined)
{
	struct end *c, *s;
	uint32_t a;
	uint8_t data[4000];
	size_t before;

	pair(&c, &s, NULL, NULL);
	fill(data, sizeof(data), 7);
	ck_assert_int_eq(smux_open(c->s, &a), 0);
	before = c->ncalls;
	ck_assert_int_eq(smux_write(c->s, a, data, 100), 100);
	ck_assert_uint_eq(c->ncalls - before, 1);
	before = c->ncalls;
	ck_assert_int_eq(smux_write(c->s, a, data, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_uint_eq(c->ncalls - before, 2);
	c->limit = c->len + 20; /* header and 12 of 100 bytes */
	ck_assert_int_eq(smux_write(c->s, a, data + 100, 100), 100);
	ck_assert(smux_blocked(c->s));
	c->limit = SIZE_MAX;
	pump(c, s);
	ck_assert(!smux_blocked(c->s));
	ck_assert_uint_eq(s->sinks[a].len, 4200);
	ck_assert(memcmp(s->sinks[a].data, data, 100) == 0);
	ck_assert(memcmp(s->sinks[a].data + 100, data, sizeof(data)) == 0);
	ck_assert(memcmp(s->sinks[a].data + 4100, data + 100, 100) == 0);
	end_free(c);
	end_free(s);
}
END_TEST

START_TEST(test_streams_max)
{
	struct end *c, *s;
	struct smux_config cfg;
	uint32_t sid[3];
	uint8_t b[4];
	int i;

	smux_config_default(&cfg, 0);
	cfg.streams_max = 2;
	pair(&c, &s, NULL, &cfg);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(smux_open(c->s, &sid[i]), 0);
	pump(c, s);
	ck_assert_uint_eq(s->nacc, 2);
	ck_assert_int_eq(smux_read(c->s, sid[2], b, sizeof(b)), 0); /* refused: FIN */
	errno = 0;
	ck_assert_int_eq(smux_open(s->s, &sid[0]), -1);
	ck_assert_int_eq(errno, EMFILE);
	end_free(c);
	end_free(s);

	/* Sid 0 is never a stream: its SYN gets a FIN, no accept. */
	pair(&c, &s, NULL, NULL);
	ck_assert_int_eq(smux_input(s->s, (const uint8_t *)"\2\0\0\0\0\0\0\0", 8), 8);
	ck_assert_uint_eq(s->nacc, 0);
	ck_assert_uint_eq(count_cmd(s, SMUX_CMD_FIN, 0), 1);
	ck_assert_uint_eq(smux_nstreams(s->s), 0);
	end_free(c);
	end_free(s);
}
END_TEST

static long
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)mi.uordblks;
}

static size_t
discard(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	return n;
}

/* glibc's count of bytes in use (0 under ASan, whose allocator it does not see). */
START_TEST(test_idle_memory)
{
	static const struct smux_cb dcb = { discard, NULL, NULL, NULL };
	static uint32_t sids[1000];
	struct smux *x;
	long before, used;
	size_t i;

	before = heap_used();
	x = smux_new(1, NULL, &dcb, NULL, 0);
	used = heap_used() - before;
	fprintf(stderr, "smux: idle session %ld bytes\n", used);
	ck_assert_int_le(used, 2048);
	before = heap_used();
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(smux_open(x, &sids[i]), 0);
	used = heap_used() - before;
	fprintf(stderr, "smux: 1000 idle streams %ld bytes (%ld per stream, table included)\n", used,
	    used / 1000);
	ck_assert_int_le(used, 1000 * 128);
	for (i = 0; i < 1000; i++)
		smux_close(x, sids[i]);
	/* Table freed with the last stream; glibc counts its tcache as in use. */
	ck_assert_int_le(heap_used() - before, 8192);
	smux_free(x);
}
END_TEST

START_TEST(test_sid_skip_and_goaway)
{
	static const uint8_t syn5[] = { 2, 0, 0, 0, 5, 0, 0, 0 };
	struct end *c = end_new(1, NULL, 0);
	uint32_t sid;

	ck_assert_int_eq(smux_input(c->s, syn5, sizeof(syn5)), 8);
	ck_assert_uint_eq(c->nacc, 1);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(sid, 3);
	ck_assert_int_eq(smux_open(c->s, &sid), 0);
	ck_assert_uint_eq(sid, 7); /* 5 is the peer's */
	end_free(c);
}
END_TEST

static Suite *
smux_session_suite(void)
{
	Suite *su = suite_create("smux-session");
	TCase *tc = tcase_create("session");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_rw_fin);
	tcase_add_test(tc, test_half_close);
	tcase_add_test(tc, test_set_window);
	tcase_add_test(tc, test_flow_control);
	tcase_add_test(tc, test_session_window);
	tcase_add_test(tc, test_many_streams);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_keepalive_full_buffer);
	tcase_add_test(tc, test_output_backpressure);
	tcase_add_test(tc, test_small_frames_joined);
	tcase_add_test(tc, test_streams_max);
	tcase_add_test(tc, test_idle_memory);
	tcase_add_test(tc, test_sid_skip_and_goaway);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(smux_session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
