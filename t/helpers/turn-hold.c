/* SPDX-License-Identifier: MIT */
/*
 * turn-hold: a test peer for common/turnc. Allocates on a TURN server,
 * binds a channel to one peer (an echo server such as turnutils_peer),
 * sends a numbered datagram every interval for a duration and checks
 * that each comes back, then releases the allocation. Prints
 * "allocated RELAYED lifetime N" once allocated, and at the end
 * "summary sent=N echoed=N bad=N refreshes=N perm_refreshes=N
 * chan_refreshes=N channel=N indication=N". Exit 0 when every datagram
 * but the last in flight came back intact and nothing failed, 1
 * otherwise, 100 on usage errors.
 *
 *   turn-hold -s HOST:PORT -p PEERHOST:PORT (--username U --password-file F |
 *       --secret-file F) [--tcp] [--indication] [-d seconds] [-i ms]
 *       [--lifetime S] [--perm-lifetime S] [--chan-lifetime S]
 *
 * With --indication no channel is bound: data goes out in Send
 * indications and comes back in Data indications.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "base/num.h"
#include "base/secret.h"
#include "proto/stun.h"
#include "stun/turnc.h"

#define HOLD_PAYLOAD 200

static struct ev_loop *loop;
static struct turnc *tc;
static struct sockaddr_in server, peer;
static ev_timer tick, stop_timer;
static uint64_t sent, echoed, bad, max_echoed;
static int failed, interval_ms = 300, indication;
static double duration_s = 5;

static void
parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	int port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		fatalx(EX_PW_USAGE, "want HOST:PORT: %s", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 || num_parse_int(colon + 1, 1, 65535, &port) == -1)
		fatalx(EX_PW_USAGE, "want IPv4:PORT: %s", s);
	sin->sin_port = htons((uint16_t)port);
}

static void
fill(uint8_t *p, uint64_t seq)
{
	size_t i;

	for (i = 0; i < HOLD_PAYLOAD; i++)
		p[i] = (uint8_t)(seq * 31 + i);
	memcpy(p, &seq, sizeof(seq));
}

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	uint8_t p[HOLD_PAYLOAD];

	(void)l;
	(void)w;
	(void)revents;
	fill(p, sent);
	if (turnc_send(tc, (struct sockaddr *)&peer, sizeof(peer), p, sizeof(p)) == 0)
		sent++;
	else
		log_warn("send");
}

static void
start_ticking(void)
{
	if (!ev_is_active(&tick)) {
		ev_timer_set(&tick, (double)interval_ms / 1000.0, (double)interval_ms / 1000.0);
		ev_timer_start(loop, &tick);
		ev_timer_start(loop, &stop_timer);
	}
}

static void
on_allocated(void *arg, const struct sockaddr *relayed, socklen_t rlen, const struct sockaddr *mapped,
             socklen_t mlen, uint32_t lifetime_s)
{
	char r[NET_ADDRSTR_MAX];

	(void)arg;
	(void)rlen;
	(void)mapped;
	(void)mlen;
	net_addr_format(relayed, r, sizeof(r));
	printf("allocated %s lifetime %u\n", r, (unsigned)lifetime_s);
	fflush(stdout);
	if (turnc_add_peer(tc, (struct sockaddr *)&peer, sizeof(peer), !indication) == -1)
		fatal(EX_PW_INTERNAL, "add peer");
	if (indication)
		start_ticking();
}

static void
on_bound(void *arg, const struct sockaddr *p, uint16_t chan)
{
	(void)arg;
	(void)p;
	log_info("channel 0x%04x bound", chan);
	start_ticking();
}

static void
on_data(void *arg, const struct sockaddr *from, socklen_t flen, const uint8_t *p, size_t n)
{
	uint8_t want[HOLD_PAYLOAD];
	uint64_t seq;

	(void)arg;
	(void)from;
	(void)flen;
	if (n != HOLD_PAYLOAD) {
		bad++;
		return;
	}
	memcpy(&seq, p, sizeof(seq));
	fill(want, seq);
	if (seq >= sent || memcmp(want, p, n) != 0) {
		bad++;
		return;
	}
	echoed++;
	if (seq + 1 > max_echoed)
		max_echoed = seq + 1;
}

static void
on_failed(void *arg, enum stunc_result res, int code, const char *why)
{
	(void)arg;
	(void)res;
	(void)code;
	log_warnx("TURN failed: %s", why);
	failed = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void
on_released(void *arg)
{
	(void)arg;
	ev_break(loop, EVBREAK_ALL);
}

static void
on_stop(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	ev_timer_stop(loop, &tick);
	turnc_release(tc);
}

static void
on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	failed = 1;
	ev_break(l, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	enum { O_USER = 256, O_PASS, O_SECRET, O_TCP, O_LIFE, O_PERM, O_CHAN, O_IND };
	static const struct option lo[] = {
		{ "username", required_argument, NULL, O_USER },
		{ "password-file", required_argument, NULL, O_PASS },
		{ "secret-file", required_argument, NULL, O_SECRET },
		{ "tcp", no_argument, NULL, O_TCP },
		{ "indication", no_argument, NULL, O_IND },
		{ "lifetime", required_argument, NULL, O_LIFE },
		{ "perm-lifetime", required_argument, NULL, O_PERM },
		{ "chan-lifetime", required_argument, NULL, O_CHAN },
		{ NULL, 0, NULL, 0 },
	};
	static const struct turnc_cbs cbs = { on_allocated, on_bound, on_data, on_failed, on_released };
	char user[STUN_USERNAME_MAX + 1] = "", pass[SECRET_MAX], secret[SECRET_MAX], err[160];
	const char *passfile = NULL, *secretfile = NULL;
	struct turnc_cfg cfg;
	ev_signal sig;
	uint64_t ms;
	int ch, n, v, have_server = 0, have_peer = 0;

	log_init(argv[0], LOG_LVL_WARN);
	memset(&cfg, 0, sizeof(cfg));
	cfg.transport = STUNC_UDP;
	while ((ch = getopt_long(argc, argv, "s:p:d:i:v", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			parse_addr(optarg, &server);
			have_server = 1;
			break;
		case 'p':
			parse_addr(optarg, &peer);
			have_peer = 1;
			break;
		case 'd':
			if (num_parse_seconds_ms(optarg, 3600000, &ms) == -1)
				fatalx(EX_PW_USAGE, "-d: seconds");
			duration_s = (double)ms / 1000.0;
			break;
		case 'i':
			if (num_parse_int(optarg, 10, 10000, &interval_ms) == -1)
				fatalx(EX_PW_USAGE, "-i: 10..10000 ms");
			break;
		case 'v':
			log_set_level(log_get_level() + 1);
			break;
		case O_USER:
			snprintf(user, sizeof(user), "%s", optarg);
			break;
		case O_PASS:
			passfile = optarg;
			break;
		case O_SECRET:
			secretfile = optarg;
			break;
		case O_TCP:
			cfg.transport = STUNC_TCP;
			break;
		case O_IND:
			indication = 1;
			break;
		case O_LIFE:
		case O_PERM:
		case O_CHAN:
			if (num_parse_int(optarg, 1, 3600, &v) == -1)
				fatalx(EX_PW_USAGE, "lifetimes: 1..3600 s");
			*(ch == O_LIFE ? &cfg.lifetime_s : ch == O_PERM ? &cfg.perm_lifetime_s
			                                               : &cfg.chan_lifetime_s) = (uint32_t)v;
			break;
		default:
			fatalx(EX_PW_USAGE, "bad option");
		}
	}
	if (!have_server || !have_peer || (passfile == NULL) == (secretfile == NULL))
		fatalx(EX_PW_USAGE, "need -s, -p and --password-file or --secret-file");
	if (secretfile != NULL) {
		if ((n = secret_read_file(secretfile, secret, sizeof(secret), err, sizeof(err))) == -1)
			fatalx(EX_PW_USAGE, "%s", err);
		if (turn_rest_credentials(secret, (size_t)n, (uint64_t)time(NULL) + 3600, "turn-hold", user,
		        sizeof(user), pass, sizeof(pass)) == -1)
			fatalx(EX_PW_INTERNAL, "REST credentials");
		secret_wipe(secret, sizeof(secret));
	} else if (secret_read_file(passfile, pass, sizeof(pass), err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "%s", err);

	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(0);
	cfg.server = (struct sockaddr *)&server;
	cfg.server_len = sizeof(server);
	cfg.username = user;
	cfg.password = pass;
	if ((tc = turnc_new(loop, &cfg, &cbs, NULL, err, sizeof(err))) == NULL)
		fatalx(EX_PW_TEMP, "%s", err);
	secret_wipe(pass, sizeof(pass));
	ev_init(&tick, on_tick);
	ev_timer_init(&stop_timer, on_stop, duration_s, 0);
	ev_signal_init(&sig, on_signal, SIGTERM);
	ev_signal_start(loop, &sig);
	(void)turnc_start(tc);
	ev_run(loop, 0);

	{
		const struct turnc_stats *st = turnc_stats(tc);

		printf("summary sent=%llu echoed=%llu bad=%llu refreshes=%llu perm_refreshes=%llu "
		       "chan_refreshes=%llu channel=%llu indication=%llu\n",
		    (unsigned long long)sent, (unsigned long long)echoed, (unsigned long long)bad,
		    (unsigned long long)st->refreshes, (unsigned long long)st->perm_refreshes,
		    (unsigned long long)st->chan_refreshes, (unsigned long long)st->sent_channel,
		    (unsigned long long)st->sent_indication);
		printf("received channel=%llu indication=%llu\n", (unsigned long long)st->recv_channel,
		    (unsigned long long)st->recv_indication);
	}
	turnc_free(tc);
	ev_timer_stop(loop, &tick);
	ev_timer_stop(loop, &stop_timer);
	ev_signal_stop(loop, &sig);
	ev_loop_destroy(loop);
	return failed || sent == 0 || bad > 0 || echoed + 1 < sent ? 1 : 0;
}
