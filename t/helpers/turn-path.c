/* SPDX-License-Identifier: MIT */
/*
 * turn-path: a test driver for stun/turnpath (the TURN half of
 * lanturn-client): the same --turn fleet and --credentials-file, and a
 * peer that echoes (turnutils_peer). It makes paths one after another
 * (--paths N); on each it sends a numbered datagram every interval for
 * the hold time (-d), checks the echoes, then releases (Refresh 0). A
 * path that fails is counted and the next one is tried at once, as
 * lanturn-client does, until N paths were attempted or no endpoint is
 * healthy. Lines on stdout:
 *
 *   ready N URI tls=0|1 fell_back=0|1 ms=MS     (channel bound after MS)
 *   failed N auth=0|1 WHY
 *   released N URI sent=S echoed=E refreshes=R perm_refreshes=P chan_refreshes=C
 *   summary attempts=A ready=R failed=F auth=U healthy=H picks=I:K,…
 *
 * Exit 0 when every path was ready and every echo but the last in flight
 * came back, 1 otherwise, 111 when no endpoint was left healthy, 100 on
 * usage errors.
 *
 * With --flood W (a pump for bench/lanturn-turn.sh) each path keeps W
 * datagrams of FLOOD_PAYLOAD bytes in flight for the hold time instead
 * (each echo sends the next) and prints "flood echoed=BYTES secs=S".
 *
 *   turn-path --turn URI [--turn URI]… --credentials-file F --peer IP:PORT
 *       [--paths N] [-d SECONDS] [-i MS] [--ca FILE] [--flood W]
 *       [--perm-lifetime S] [--chan-lifetime S] [--udp-wait MS]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "stun/turnpath.h"
#include "tls/tls.h"

#define PAYLOAD 160
#define FLOOD_PAYLOAD 1200

static struct ev_loop *loop;
static struct turnpath_fleet fleet;
static struct sockaddr_storage peer;
static socklen_t plen;
static struct turnpath *cur;
static ev_timer tick, hold, next_t;
static double hold_s = 2, t_start;
static int interval_ms = 100;
static unsigned npaths = 1, attempts, nready, nfailed, nauth, bad;
static uint64_t sent, echoed, max_echoed;
static int no_healthy;
static unsigned flood;
static uint64_t flood_bytes;
static double flood_t0;

static void start_next(void);

static void
fill(uint8_t *p, uint64_t seq)
{
	size_t i;

	for (i = 0; i < PAYLOAD; i++)
		p[i] = (uint8_t)(seq * 7 + i);
	memcpy(p, &seq, sizeof(seq));
}

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	uint8_t p[PAYLOAD];

	(void)l;
	(void)w;
	(void)revents;
	fill(p, ++sent);
	if (turnpath_send(cur, p, sizeof(p)) == -1)
		bad++;
}

static void
on_hold(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	ev_timer_stop(loop, &tick);
	if (flood) {
		printf("flood echoed=%llu secs=%.3f\n", (unsigned long long)flood_bytes, ev_now(loop) - flood_t0);
		fflush(stdout);
		sent = echoed = 1;
	}
	turnpath_release(cur);
}

static void
on_next(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	start_next();
}

static void
later_next(void)
{
	ev_timer_set(&next_t, 0, 0);
	ev_timer_start(loop, &next_t);
}

static void
p_ready(void *arg, const struct sockaddr *relayed, socklen_t rlen)
{
	struct turnpath_stats st;

	(void)arg;
	(void)relayed;
	(void)rlen;
	turnpath_success(cur);
	turnpath_stats(cur, &st);
	nready++;
	printf("ready %u %s tls=%d fell_back=%d ms=%.0f\n", attempts, turnpath_name(cur), st.tls,
	    st.fell_back, (ev_now(loop) - t_start) * 1000.0);
	fflush(stdout);
	sent = echoed = max_echoed = 0;
	if (flood) {
		static uint8_t fp[FLOOD_PAYLOAD];

		flood_bytes = 0;
		flood_t0 = ev_now(loop);
		for (unsigned k = 0; k < flood; k++)
			(void)turnpath_send(cur, fp, sizeof(fp));
	} else {
		ev_timer_set(&tick, 0, (double)interval_ms / 1000.0);
		ev_timer_start(loop, &tick);
	}
	ev_timer_set(&hold, hold_s, 0);
	ev_timer_start(loop, &hold);
}

static void
p_data(void *arg, const uint8_t *p, size_t n)
{
	uint8_t want[PAYLOAD];
	uint64_t seq;

	(void)arg;
	if (flood) {
		if (ev_is_active(&hold)) {
			flood_bytes += n;
			(void)turnpath_send(cur, p, n);
		}
		return;
	}
	if (n != PAYLOAD) {
		bad++;
		return;
	}
	memcpy(&seq, p, sizeof(seq));
	fill(want, seq);
	if (seq == 0 || seq > sent || memcmp(want, p, n) != 0) {
		bad++;
		return;
	}
	echoed++;
	if (seq > max_echoed)
		max_echoed = seq;
}

static void
p_failed(void *arg, const char *why, int auth)
{
	(void)arg;
	nfailed++;
	nauth += (unsigned)(auth != 0);
	printf("failed %u auth=%d %s\n", attempts, auth, why);
	fflush(stdout);
	ev_timer_stop(loop, &tick);
	ev_timer_stop(loop, &hold);
	turnpath_free(cur);
	cur = NULL;
	later_next();
}

static void
p_released(void *arg)
{
	struct turnpath_stats st;

	(void)arg;
	turnpath_stats(cur, &st);
	printf("released %u %s sent=%llu echoed=%llu refreshes=%llu perm_refreshes=%llu chan_refreshes=%llu\n",
	    attempts, turnpath_name(cur), (unsigned long long)sent, (unsigned long long)echoed,
	    (unsigned long long)st.turn.refreshes, (unsigned long long)st.turn.perm_refreshes,
	    (unsigned long long)st.turn.chan_refreshes);
	fflush(stdout);
	if (sent == 0 || echoed + 1 < sent)
		bad++;
	turnpath_free(cur);
	cur = NULL;
	later_next();
}

static const struct turnpath_cbs cbs = { p_ready, p_data, p_failed, p_released };

static void
start_next(void)
{
	char err[TURNPATH_WHY_MAX];

	while (attempts < npaths) {
		if (turnpath_fleet_healthy(&fleet) == 0) {
			no_healthy = 1;
			break;
		}
		attempts++;
		ev_now_update(loop);
		t_start = ev_now(loop);
		cur = turnpath_new(&fleet, (struct sockaddr *)&peer, plen, &cbs, NULL, err, sizeof(err));
		if (cur != NULL)
			return;
		nfailed++;
		printf("failed %u auth=0 %s\n", attempts, err);
		fflush(stdout);
	}
	ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "turn", required_argument, NULL, 't' },
		{ "credentials-file", required_argument, NULL, 'c' },
		{ "peer", required_argument, NULL, 'p' },
		{ "paths", required_argument, NULL, 'n' },
		{ "ca", required_argument, NULL, 'a' },
		{ "perm-lifetime", required_argument, NULL, 'P' },
		{ "chan-lifetime", required_argument, NULL, 'C' },
		{ "udp-wait", required_argument, NULL, 'u' },
		{ "flood", required_argument, NULL, 'F' },
		CLI_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *turns[FLEET_MAX * 2], *ca = NULL, *peer_s = NULL;
	size_t nturns = 0, i;
	struct endpoint ep;
	char err[TURNPATH_WHY_MAX], buf[300];
	int ch, tls = 0;

	cli_init(argv, "usage: turn-path --turn URI… --credentials-file F --peer IP:PORT [--paths N] "
	    "[-d S] [-i MS] [--ca F] [--flood W] [--perm-lifetime S] [--chan-lifetime S] [--udp-wait MS]\n");
	loop = ev_default_loop(0);
	fleet.loop = loop;
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "d:i:", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (nturns == FLEET_MAX * 2)
				cli_usage_error("too many --turn");
			turns[nturns++] = optarg;
			break;
		case 'c':
			fleet.cred_file = optarg;
			break;
		case 'p':
			peer_s = optarg;
			break;
		case 'n':
			npaths = (unsigned)cli_u64("--paths", optarg, 1, 1000);
			break;
		case 'a':
			ca = optarg;
			break;
		case 'P':
			fleet.perm_lifetime_s = (uint32_t)cli_u64("--perm-lifetime", optarg, 2, 300);
			break;
		case 'C':
			fleet.chan_lifetime_s = (uint32_t)cli_u64("--chan-lifetime", optarg, 2, 600);
			break;
		case 'u':
			fleet.udp_wait_ms = cli_u64("--udp-wait", optarg, 1, 60000);
			break;
		case 'F':
			flood = (unsigned)cli_u64("--flood", optarg, 1, 4096);
			break;
		case 'd':
			hold_s = (double)cli_seconds_ms("-d", optarg, 100, 600000) / 1000.0;
			break;
		case 'i':
			interval_ms = (int)cli_u64("-i", optarg, 5, 10000);
			break;
		default:
			cli_option(ch);
		}
	}
	if (nturns == 0 || fleet.cred_file == NULL || peer_s == NULL)
		cli_usage_error("--turn, --credentials-file and --peer are required");
	snprintf(buf, sizeof(buf), "udp:%s", peer_s);
	if (endpoint_parse(buf, &ep, err, sizeof(err)) == -1 ||
	    net_resolve_once(ep.host, ep.port, &peer, &plen) != 0)
		cli_usage_error("--peer %s: bad", peer_s);
	for (i = 0; i < nturns; i++) {
		if (turnpath_fleet_add(&fleet, turns[i], err, sizeof(err)) == -1)
			fatalx(EX_PW_USAGE, "--turn %s: %s", turns[i], err);
		tls |= strncmp(turns[i], "turns:", 6) == 0;
	}
	if (tls && (fleet.tls = tls_ctx_new(ca, err, sizeof(err))) == NULL)
		fatalx(EX_PW_USAGE, "TLS: %s", err);
	if (turnpath_fleet_ready(&fleet, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "%s", err);
	ev_init(&tick, on_tick);
	ev_init(&hold, on_hold);
	ev_init(&next_t, on_next);
	start_next();
	ev_run(loop, 0);
	turnpath_free(cur);
	printf("summary attempts=%u ready=%u failed=%u auth=%u healthy=%zu picks=", attempts, nready, nfailed,
	    nauth, turnpath_fleet_healthy(&fleet));
	for (i = 0; i < fleet.n; i++)
		printf("%s%zu:%llu", i ? "," : "", i, (unsigned long long)fleet.health.ep[i].picks);
	printf(" bad=%u\n", bad);
	tls_ctx_free(fleet.tls);
	ev_loop_destroy(loop);
	if (no_healthy)
		return EX_PW_TEMP;
	return nready == attempts && bad == 0 ? 0 : 1;
}
