/* SPDX-License-Identifier: MIT */
/*
 * lanturn-client: a datagram carrier (DESIGN.md §4). The session's
 * carrier stream on stdin/stdout rides a WebRTC-like call (DTLS, SRTP,
 * a media profile) relayed by a fleet of TURN servers to lanturn-egress.
 * This file reads the options, builds the fleet (resolved once, the
 * credentials file checked), the TLS context for turns: servers and NSS,
 * and hands over to the engine in lanc.c.
 */
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "lanc.h"
#include "net/endpoint.h"
#include "net/net.h"
#include "nss/nssc.h"
#include "tls/tls.h"

static const char usage_text[] =
    "usage: lanturn-client [-hqv] --turn turn:HOST:PORT [--turn ...] --credentials-file FILE\n"
    "                      --peer HOST:PORT --egress-fingerprint sha256:HEX\n"
    "                      [--profile opus|video|bulk] [--dtx] [--camera]\n"
    "                      [--session-duration SECONDS[-SECONDS]]\n"
    "                      [--ca FILE] [--permission-lifetime SECONDS] [--channel-lifetime SECONDS]\n";

enum { OPT_TURN = 256, OPT_CRED, OPT_PEER, OPT_FP, OPT_PROFILE, OPT_DTX, OPT_CAMERA, OPT_DUR, OPT_CA,
       OPT_PERM, OPT_CHAN };
static const struct option longopts[] = {
	{ "turn", required_argument, NULL, OPT_TURN },
	{ "credentials-file", required_argument, NULL, OPT_CRED },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "egress-fingerprint", required_argument, NULL, OPT_FP },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "dtx", no_argument, NULL, OPT_DTX },
	{ "camera", no_argument, NULL, OPT_CAMERA },
	{ "session-duration", required_argument, NULL, OPT_DUR },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "permission-lifetime", required_argument, NULL, OPT_PERM },
	{ "channel-lifetime", required_argument, NULL, OPT_CHAN },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

#define DUR_MAX_MS (24ULL * 3600 * 1000)

struct lanc_main {
	const char *turns[FLEET_MAX * 2];
	size_t nturns;
	const char *cred, *peer, *fp, *profile, *dur, *ca;
	struct lanc_cfg cfg;
};

static void
parse(struct lanc_main *o, int argc, char **argv)
{
	struct lanc_cfg *c = &o->cfg;
	int ch;

	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_TURN:
			if (o->nturns == sizeof(o->turns) / sizeof(o->turns[0]))
				cli_usage_error("at most %d --turn", (int)(sizeof(o->turns) / sizeof(o->turns[0])));
			o->turns[o->nturns++] = optarg;
			break;
		case OPT_CRED:
			o->cred = optarg;
			break;
		case OPT_PEER:
			o->peer = optarg;
			break;
		case OPT_FP:
			o->fp = optarg;
			break;
		case OPT_PROFILE:
			o->profile = optarg;
			break;
		case OPT_DTX:
			c->dtx = 1;
			break;
		case OPT_CAMERA:
			c->camera = 1;
			break;
		case OPT_DUR:
			o->dur = optarg;
			break;
		case OPT_CA:
			o->ca = optarg;
			break;
		case OPT_PERM:
			c->fleet.perm_lifetime_s = (uint32_t)cli_u64("--permission-lifetime", optarg, 2, 300);
			break;
		case OPT_CHAN:
			c->fleet.chan_lifetime_s = (uint32_t)cli_u64("--channel-lifetime", optarg, 2, 600);
			break;
		default:
			cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
}

/* "S" or "MIN-MAX", decimal seconds. */
static void
parse_duration(const char *s, struct lanc_cfg *c)
{
	const char *dash = strchr(s, '-');
	char lo[32];

	if (dash == NULL) {
		c->dur_min_ms = c->dur_max_ms = cli_seconds_ms("--session-duration", s, 1000, DUR_MAX_MS);
		return;
	}
	if ((size_t)(dash - s) >= sizeof(lo))
		cli_usage_error("--session-duration %s: bad range", s);
	memcpy(lo, s, (size_t)(dash - s));
	lo[dash - s] = '\0';
	c->dur_min_ms = cli_seconds_ms("--session-duration", lo, 1000, DUR_MAX_MS);
	c->dur_max_ms = cli_seconds_ms("--session-duration", dash + 1, 1000, DUR_MAX_MS);
	if (c->dur_max_ms < c->dur_min_ms)
		cli_usage_error("--session-duration %s: the maximum is below the minimum", s);
}

static void
validate(struct lanc_main *o)
{
	struct lanc_cfg *c = &o->cfg;
	struct endpoint ep;
	char buf[ENDPOINT_HOST_MAX + 16], err[160];
	int p;

	if (o->nturns == 0)
		cli_usage_error("--turn is required");
	if (o->cred == NULL)
		cli_usage_error("--credentials-file is required");
	if (o->peer == NULL)
		cli_usage_error("--peer is required");
	if (o->fp == NULL)
		cli_usage_error("--egress-fingerprint is required");
	if (fp_parse(o->fp, c->pin) == -1)
		cli_usage_error("--egress-fingerprint %s: not sha256:HEX", o->fp);
	snprintf(buf, sizeof(buf), "udp:%s", o->peer);
	if (endpoint_parse(buf, &ep, err, sizeof(err)) == -1 || ep.kind != EP_UDP || ep.port == 0)
		cli_usage_error("--peer %s: %s", o->peer, ep.port == 0 ? "HOST:PORT with a port" : err);
	c->profile = CALL_PROFILE_OPUS;
	if (o->profile != NULL) {
		if ((p = call_profile_parse(o->profile)) < 0)
			cli_usage_error("--profile %s: opus, video or bulk", o->profile);
		c->profile = (enum call_profile)p;
	}
	c->dur_min_ms = LANC_DUR_MIN_MS;
	c->dur_max_ms = LANC_DUR_MAX_MS;
	if (o->dur != NULL)
		parse_duration(o->dur, c);
	if ((p = net_resolve_once(ep.host, ep.port, &c->peer, &c->plen)) != 0)
		fatalx(EX_PW_TEMP, "cannot resolve %s: %s", ep.host, gai_strerror(p));
}

/* The fleet (resolved, credentials checked), TLS and NSS: once, before any traffic. */
static void
acquire(struct lanc_main *o, struct ev_loop *loop)
{
	struct turnpath_fleet *f = &o->cfg.fleet;
	char err[TURNPATH_WHY_MAX];
	size_t i;
	int tls = 0;

	f->loop = loop;
	f->cred_file = o->cred;
	for (i = 0; i < o->nturns; i++) {
		if (turnpath_fleet_add(f, o->turns[i], err, sizeof(err)) == -1)
			fatalx(EX_PW_USAGE, "--turn %s: %s", o->turns[i], err);
		tls |= strncasecmp(o->turns[i], "turns:", 6) == 0;
	}
	if (tls && (f->tls = tls_ctx_new(o->ca, err, sizeof(err))) == NULL)
		fatalx(EX_PW_USAGE, "TLS: %s", err);
	if (turnpath_fleet_ready(f, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "--credentials-file: %s", err);
	if (nssc_global_init(err, sizeof(err)) == -1)
		fatalx(EX_PW_INTERNAL, "NSS: %s", err);
}

int
main(int argc, char **argv)
{
	static struct lanc_main m;
	struct ev_loop *loop;
	int rc;

	if (nssc_use_nss_dir("auto", argv) < 0)
		fatalx(EX_PW_INTERNAL, "cannot run on Firefox's NSS");
	cli_init(argv, usage_text);
	parse(&m, argc, argv);
	validate(&m);
	if ((loop = ev_default_loop(0)) == NULL)
		fatalx(EX_PW_INTERNAL, "no event loop");
	acquire(&m, loop);
	rc = lanc_run(&m.cfg);
	tls_ctx_free(m.cfg.fleet.tls);
	ev_loop_destroy(loop);
	return rc;
}
