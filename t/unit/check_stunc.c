/* SPDX-License-Identifier: MIT */
/*
 * STUN client transactions and their pure parts: the RFC 8489 UDP
 * schedule, the TURN refresh schedule, server URI parsing (every form,
 * every refusal), and a live UDP transaction on loopback against an
 * in-process responder that first answers with a wrong transaction id,
 * a wrong key and garbage (all dropped and counted) and then correctly;
 * a stream fed glued frames, then one byte at a time, then garbage.
 */
#include "stun/stunc.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "stun/stunuri.h"
#include "stun/turnc.h"

START_TEST(test_schedule)
{
	/* RFC 8489 §6.2.1: 0, 500, 1500, 3500, 7500, 15500, 31500; give up at 39500. */
	static const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
	unsigned i;

	for (i = 0; i < 7; i++)
		ck_assert_uint_eq(stunc_send_at_ms(i, STUNC_RTO_MS), want[i]);
	ck_assert_uint_eq(stunc_give_up_ms(STUNC_RC, STUNC_RM, STUNC_RTO_MS), 39500);
	ck_assert_uint_eq(stunc_give_up_ms(1, 16, 100), 1600);
	ck_assert_uint_eq(stunc_give_up_ms(0, 16, 100), 0);
	ck_assert(stunc_send_at_ms(40, 500) == UINT64_MAX);
}
END_TEST

START_TEST(test_refresh)
{
	ck_assert_uint_eq(turnc_refresh_ms(600), 540000);
	ck_assert_uint_eq(turnc_refresh_ms(300), 240000);
	ck_assert_uint_eq(turnc_refresh_ms(121), 61000);
	ck_assert_uint_eq(turnc_refresh_ms(120), 60000);
	ck_assert_uint_eq(turnc_refresh_ms(10), 5000);
	ck_assert_uint_eq(turnc_refresh_ms(1), 500);
}
END_TEST

static int
parse(const char *s, struct stun_uri *u)
{
	char err[96];

	return stun_uri_parse(s, strlen(s), u, err, sizeof(err));
}

START_TEST(test_uri_ok)
{
	static const struct {
		const char *in, *canon;
		int turn;
		enum stun_uri_transport tr;
		uint16_t port;
	} v[] = {
		{ "stun:stun.example.org", "stun:stun.example.org:3478", 0, STUN_URI_UDP, 3478 },
		{ "STUN:1.2.3.4:19302", "stun:1.2.3.4:19302", 0, STUN_URI_UDP, 19302 },
		{ "stuns:h:443", "stuns:h:443", 0, STUN_URI_TLS, 443 },
		{ "stuns:h", "stuns:h:5349", 0, STUN_URI_TLS, 5349 },
		{ "turn:[::1]", "turn:[::1]:3478", 1, STUN_URI_UDP, 3478 },
		{ "turn:[2001:db8::1]:80?transport=tcp", "turn:[2001:db8::1]:80?transport=tcp", 1,
		    STUN_URI_TCP, 80 },
		{ "turn:h?transport=udp", "turn:h:3478", 1, STUN_URI_UDP, 3478 },
		{ "turns:relay.example.net", "turns:relay.example.net:5349", 1, STUN_URI_TLS, 5349 },
		{ "turns:r:443?transport=tcp", "turns:r:443", 1, STUN_URI_TLS, 443 },
		{ "stun:a_b-c.d:65535", "stun:a_b-c.d:65535", 0, STUN_URI_UDP, 65535 },
	};
	struct stun_uri u;
	char out[STUN_URI_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_msg(parse(v[i].in, &u) == 0, "%s", v[i].in);
		ck_assert_int_eq(u.turn, v[i].turn);
		ck_assert_int_eq(u.transport, v[i].tr);
		ck_assert_uint_eq(u.port, v[i].port);
		ck_assert_int_eq(stun_uri_format(&u, out, sizeof(out)), 0);
		ck_assert_str_eq(out, v[i].canon);
	}
	ck_assert_int_eq(parse("turn:[::1]:9", &u), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_int_eq(u.host_is_v6, 1);
	ck_assert_int_eq(stun_uri_format(&u, out, 8), -1);
}
END_TEST

START_TEST(test_uri_bad)
{
	static const char *bad[] = { "", "stun", "stun:", "http://h", "stun:h:", "stun:h:0",
		"stun:h:65536", "stun:h:123456", "stun:h:+1", "stun:h:1x", "stun:[::1", "stun:[]",
		"stun:[nothex]", "stun:h?transport=udp", "turn:h?transport=sctp", "turn:h?", "turn:h#f",
		"turns:h?transport=udp", "stun:user@h", "stun:h h", "stun:.h", "stun:-h", "stun:a..b",
		"turn:h:1?transport=tcp&x=1", "stun:h/path", "stun:[::1]x" };
	struct stun_uri u;
	char err[96], big[STUN_URI_MAX + 10];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(stun_uri_parse(bad[i], strlen(bad[i]), &u, err, sizeof(err)) == -1, "%s",
		    bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
	}
	/* An embedded NUL, an over-long host, an over-long URI. */
	ck_assert_int_eq(stun_uri_parse("stun:h\0x", 8, &u, err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big));
	memcpy(big, "stun:", 5);
	ck_assert_int_eq(stun_uri_parse(big, 5 + 256, &u, err, sizeof(err)), -1);
	ck_assert_int_eq(stun_uri_parse(big, sizeof(big), &u, err, sizeof(err)), -1);
	ck_assert_int_eq(stun_uri_parse(big, 5 + 255, &u, err, sizeof(err)), 0);
}
END_TEST

/* --- a live transaction --------------------------------------------------- */

struct responder {
	int fd;
	int mode; /* number of requests seen */
	ev_io io;
};

static int got_result = -1;
static char got_mapped[64];
static enum stunc_drop got_drop;

static void
respond(struct responder *r, const uint8_t *req, size_t n, const struct sockaddr_in *from)
{
	uint8_t buf[512], tid[STUN_TID_LEN];
	struct stun_builder b;
	struct stun_msg m;
	ssize_t len;

	ck_assert_int_eq(stun_decode_dgram(req, n, &m), 0);
	memcpy(tid, m.tid, sizeof(tid));
	/* One request: answer it four ways at once; only the last may count. */
	tid[0] ^= 0xff;
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid);
	stun_add_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)from);
	len = stun_build_end(&b);
	ck_assert_int_gt(len, 0);
	sendto(r->fd, buf, (size_t)len, 0, (const struct sockaddr *)from, sizeof(*from));
	tid[0] ^= 0xff;
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid);
	stun_add_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)from);
	stun_add_integrity(&b, (const uint8_t *)"wrong", 5);
	len = stun_build_end(&b);
	sendto(r->fd, buf, (size_t)len, 0, (const struct sockaddr *)from, sizeof(*from));
	sendto(r->fd, "garbage!", 8, 0, (const struct sockaddr *)from, sizeof(*from));
	stun_build_begin(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid);
	stun_add_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)from);
	stun_add_integrity(&b, (const uint8_t *)"right", 5);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	sendto(r->fd, buf, (size_t)len, 0, (const struct sockaddr *)from, sizeof(*from));
	r->mode++;
}

static void
responder_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct responder *r = w->data;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint8_t buf[2048];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recvfrom(r->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n > 0 && r->mode == 0)
		respond(r, buf, (size_t)n, &from);
}

static void
tx_done(void *arg, enum stunc_result res, const struct stun_msg *m, const struct sockaddr *from,
        double rtt_ms, enum stunc_drop drop)
{
	struct ev_loop *loop = arg;
	struct sockaddr_storage ss;
	socklen_t len;

	(void)from;
	(void)rtt_ms;
	got_result = (int)res;
	got_drop = drop;
	if (res == STUNC_RESPONSE && stun_attr_addr(m, stun_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS), &ss,
	                                 &len) == 0)
		snprintf(got_mapped, sizeof(got_mapped), "%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	ev_break(loop, EVBREAK_ALL);
}

START_TEST(test_udp_transaction)
{
	static const struct stunc_cbs cbs = { NULL, NULL, NULL };
	struct ev_loop *loop = ev_loop_new(0);
	struct responder r = { 0 };
	struct sockaddr_in sa = { 0 };
	struct sockaddr_storage local;
	socklen_t sl = sizeof(sa), ll;
	uint8_t req[64], tid[STUN_TID_LEN];
	struct stun_builder b;
	struct stunc_opts o = { 0 };
	struct stunc *c;
	char want[16];
	ssize_t len;

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(r.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(r.fd, (struct sockaddr *)&sa, &sl), 0);
	ev_io_init(&r.io, responder_cb, r.fd, EV_READ);
	r.io.data = &r;
	ev_io_start(loop, &r.io);

	c = stunc_udp_new(loop, AF_INET, NULL, 0, &cbs, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(stunc_local(c, &local, &ll), 0);
	ck_assert_int_eq(stun_new_tid(tid), 0);
	stun_build_begin(&b, req, sizeof(req), STUN_BINDING, STUN_REQUEST, tid);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	ck_assert_int_gt(len, 0);
	o.key = (const uint8_t *)"right";
	o.keylen = 5;
	o.timeout_ms = 5000;
	ck_assert_ptr_nonnull(stunc_request(c, (struct sockaddr *)&sa, sizeof(sa), req, (size_t)len, &o,
	    tx_done, loop));
	ck_assert_int_eq(got_result, -1); /* never called back from inside */
	ev_run(loop, 0);
	ck_assert_int_eq(got_result, STUNC_RESPONSE);
	snprintf(want, sizeof(want), "%d", ntohs(((struct sockaddr_in *)&local)->sin_port));
	ck_assert_str_eq(got_mapped, want);
	ck_assert_uint_eq(stunc_stats(c)->unknown_tid, 1);
	ck_assert_uint_eq(stunc_stats(c)->bad_integrity, 1);
	ck_assert_uint_eq(stunc_stats(c)->malformed, 1);
	ck_assert_uint_eq(stunc_stats(c)->responses, 1);

	/* Nothing listening: the ICMP error fails it as refused, long before the timeout. */
	close(r.fd);
	ev_io_stop(loop, &r.io);
	got_result = -1;
	ck_assert_int_eq(stun_new_tid(tid), 0);
	stun_build_begin(&b, req, sizeof(req), STUN_BINDING, STUN_REQUEST, tid);
	len = stun_build_end(&b);
	o.key = NULL;
	o.keylen = 0;
	o.timeout_ms = 8000;
	ck_assert_ptr_nonnull(stunc_request(c, (struct sockaddr *)&sa, sizeof(sa), req, (size_t)len, &o,
	    tx_done, loop));
	ev_run(loop, 0);
	ck_assert_int_eq(got_result, STUNC_REFUSED);
	stunc_free(c);
	ev_loop_destroy(loop);
}
END_TEST


/* --- a stream: drip, glued, garbage ---------------------------------------- */

static int chan_got, closed_got, tx_got;
static char close_why[128];

static void
s_channel(void *arg, uint16_t chan, const uint8_t *p, size_t n)
{
	(void)arg;
	ck_assert_uint_eq(chan, 0x4001);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(p, "hello", 5);
	chan_got++;
}

static void
s_closed(void *arg, int err, const char *why)
{
	(void)arg;
	(void)err;
	snprintf(close_why, sizeof(close_why), "%s", why);
	closed_got++;
}

static void
s_tx(void *arg, enum stunc_result res, const struct stun_msg *m, const struct sockaddr *from,
     double rtt_ms, enum stunc_drop drop)
{
	(void)arg;
	(void)m;
	(void)from;
	(void)rtt_ms;
	(void)drop;
	tx_got = res == STUNC_RESPONSE ? 1 : -1;
}

static void
spin(struct ev_loop *loop)
{
	int i;

	for (i = 0; i < 4; i++)
		ev_run(loop, EVRUN_NOWAIT);
}

/* Send a Binding request on c, read it from peer, return its response. */
static ssize_t
stream_exchange(struct ev_loop *loop, struct stunc *c, int peer, uint8_t *resp, size_t cap)
{
	static const struct stunc_opts o = { 5000, NULL, 0, 0 };
	uint8_t req[64], tid[STUN_TID_LEN], got[64];
	struct stun_builder b;
	struct stun_msg m;
	ssize_t len, n;

	ck_assert_int_eq(stun_new_tid(tid), 0);
	stun_build_begin(&b, req, sizeof(req), STUN_BINDING, STUN_REQUEST, tid);
	len = stun_build_end(&b);
	ck_assert_ptr_nonnull(stunc_request(c, NULL, 0, req, (size_t)len, &o, s_tx, NULL));
	spin(loop);
	n = read(peer, got, sizeof(got));
	ck_assert_int_eq(n, len);
	ck_assert_int_eq(stun_decode_dgram(got, (size_t)n, &m), 0);
	stun_build_begin(&b, resp, cap, STUN_BINDING, STUN_SUCCESS, m.tid);
	stun_add_str(&b, STUN_ATTR_SOFTWARE, "x");
	return stun_build_end(&b);
}

START_TEST(test_stream)
{
	static const struct stunc_cbs cbs = { s_channel, NULL, s_closed };
	struct ev_loop *loop = ev_loop_new(0);
	uint8_t resp[128], glued[256];
	struct stunc *c;
	char err[64];
	ssize_t len, cl;
	int sv[2];
	size_t i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	c = stunc_stream_new(loop, sv[0], STUNC_TCP, NULL, NULL, &cbs, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(c);

	/* Glued: a padded ChannelData frame and the response in one write. */
	len = stream_exchange(loop, c, sv[1], resp, sizeof(resp));
	cl = turn_channeldata_encode(glued, sizeof(glued), 0x4001, "hello", 5, 1);
	ck_assert_int_eq(cl, 12);
	memcpy(glued + cl, resp, (size_t)len);
	ck_assert_int_eq(write(sv[1], glued, (size_t)(cl + len)), cl + len);
	tx_got = 0;
	spin(loop);
	ck_assert_int_eq(chan_got, 1);
	ck_assert_int_eq(tx_got, 1);

	/* Drip: one byte at a time; nothing completes before the last. */
	len = stream_exchange(loop, c, sv[1], resp, sizeof(resp));
	memcpy(glued, resp, (size_t)len);
	memcpy(glued + len, "\x40\x01\x00\x05hello\0\0\0", 12);
	tx_got = 0;
	chan_got = 0;
	for (i = 0; i < (size_t)len + 12; i++) {
		ck_assert_int_eq(tx_got, i < (size_t)len ? 0 : 1);
		ck_assert_int_eq(chan_got, 0);
		ck_assert_int_eq(write(sv[1], glued + i, 1), 1);
		spin(loop);
	}
	ck_assert_int_eq(tx_got, 1);
	ck_assert_int_eq(chan_got, 1);

	/* Garbage: the transaction in flight fails, the stream closes once. */
	(void)stream_exchange(loop, c, sv[1], resp, sizeof(resp));
	tx_got = 0;
	ck_assert_int_eq(write(sv[1], "\xff\xff\xff\xff", 4), 4);
	spin(loop);
	ck_assert_int_eq(tx_got, -1);
	ck_assert_int_eq(closed_got, 1);
	ck_assert_str_eq(close_why, "garbage on the stream");
	ck_assert_str_eq(stunc_close_reason(c), "garbage on the stream");
	stunc_free(c);
	close(sv[1]);
	ev_loop_destroy(loop);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stunc");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nfail;

	tcase_add_test(tc, test_schedule);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_uri_ok);
	tcase_add_test(tc, test_uri_bad);
	tcase_add_test(tc, test_udp_transaction);
	tcase_add_test(tc, test_stream);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? 0 : 1;
}
