/* SPDX-License-Identifier: MIT */
/*
 * stun-prober: probe STUN and TURN servers, one output line per server
 * (stun-prober(1)). This file is the table of contents: options,
 * credentials, TLS context, signals, run. The probing is in prober.c,
 * prober_nat.c and prober_out.c.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/secret.h"
#include "prober.h"
#include "proto/stun.h"
#include "tls/tls.h"

#define REST_TTL_S 3600
#define USER_ID_MAX 128

static const char usage_text[] =
    "usage: stun-prober [-hjqv] [-c N] [-t MS] [--nat] [--turn]\n"
    "                   [--username NAME --password-file FILE | --secret-file FILE]\n"
    "                   [--user-id ID] [--ca FILE] [SERVER ...]\n";

enum { OPT_NAT = 256, OPT_TURN, OPT_USER, OPT_PASSFILE, OPT_SECRETFILE, OPT_USERID, OPT_CA };
static const struct option longopts[] = {
	{ "nat", no_argument, NULL, OPT_NAT },
	{ "turn", no_argument, NULL, OPT_TURN },
	{ "username", required_argument, NULL, OPT_USER },
	{ "password-file", required_argument, NULL, OPT_PASSFILE },
	{ "secret-file", required_argument, NULL, OPT_SECRETFILE },
	{ "user-id", required_argument, NULL, OPT_USERID },
	{ "ca", required_argument, NULL, OPT_CA },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct stun_main {
	struct prober_opts o;
	const char *username, *password_file, *secret_file, *user_id, *ca_file;
	char **servers;
	int nservers;
	struct ev_loop *loop;
	struct tls_ctx *tls;
	struct prober *pr;
	ev_signal sig_term, sig_int;
};

static void
parse(struct stun_main *c, int argc, char **argv)
{
	int ch;

	c->o.concurrency = 16;
	c->o.timeout_ms = 3000;
	c->user_id = "stun-prober";
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS "jc:t:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			c->o.json = 1;
			break;
		case 'c':
			c->o.concurrency = (unsigned)cli_u64("-c", optarg, 1, PROBER_CONCURRENCY_MAX);
			break;
		case 't':
			c->o.timeout_ms = cli_u64("-t", optarg, 1, PROBER_TIMEOUT_MAX_MS);
			break;
		case OPT_NAT:
			c->o.nat = 1;
			break;
		case OPT_TURN:
			c->o.turn = 1;
			break;
		case OPT_USER:
			c->username = optarg;
			break;
		case OPT_PASSFILE:
			c->password_file = optarg;
			break;
		case OPT_SECRETFILE:
			c->secret_file = optarg;
			break;
		case OPT_USERID:
			c->user_id = optarg;
			break;
		case OPT_CA:
			c->ca_file = optarg;
			break;
		default:
			cli_option(ch);
		}
	}
	c->servers = argv + optind;
	c->nservers = argc - optind;
}

static void
validate(const struct stun_main *c)
{
	if (c->o.nat && c->o.turn)
		cli_usage_error("--nat and --turn do not go together");
	if (c->secret_file != NULL && (c->username != NULL || c->password_file != NULL))
		cli_usage_error("--secret-file replaces --username and --password-file");
	if ((c->username == NULL) != (c->password_file == NULL))
		cli_usage_error("--username and --password-file go together");
	if (c->secret_file != NULL && !c->o.turn)
		cli_usage_error("--secret-file needs --turn");
	if (c->o.turn && c->username == NULL && c->secret_file == NULL)
		cli_usage_error("--turn needs --username and --password-file, or --secret-file");
	if (c->username != NULL && strlen(c->username) > STUN_USERNAME_MAX)
		cli_usage_error("--username: longer than %d bytes", STUN_USERNAME_MAX);
	if (strlen(c->user_id) == 0 || strlen(c->user_id) > USER_ID_MAX || strchr(c->user_id, ':') != NULL)
		cli_usage_error("--user-id: 1..%d bytes without ':'", USER_ID_MAX);
}

/* Password or REST credentials into c->o; the file contents are wiped. */
static void
load_credentials(struct stun_main *c)
{
	char secret[SECRET_MAX], err[160];
	int n;

	if (c->username != NULL) {
		n = secret_read_file(c->password_file, c->o.password, sizeof(c->o.password), err,
		    sizeof(err));
		if (n == -1)
			fatalx(EX_PW_USAGE, "--password-file: %s", err);
		snprintf(c->o.username, sizeof(c->o.username), "%s", c->username);
		c->o.have_creds = 1;
	} else if (c->secret_file != NULL) {
		n = secret_read_file(c->secret_file, secret, sizeof(secret), err, sizeof(err));
		if (n == -1)
			fatalx(EX_PW_USAGE, "--secret-file: %s", err);
		if (turn_rest_credentials(secret, (size_t)n, (uint64_t)time(NULL) + REST_TTL_S, c->user_id,
		        c->o.username, sizeof(c->o.username), c->o.password, sizeof(c->o.password)) == -1) {
			secret_wipe(secret, sizeof(secret));
			fatalx(EX_PW_INTERNAL, "cannot compute REST credentials");
		}
		secret_wipe(secret, sizeof(secret));
		c->o.have_creds = 1;
	}
}

/* Credentials, the TLS context and the prober. */
static void
acquire(struct stun_main *c)
{
	char err[TLS_ERR_MAX + 64];

	load_credentials(c);
	if ((c->loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise the event loop");
	/* Without a usable trust store only stuns:/turns: servers fail. */
	if ((c->o.tls = tls_ctx_new(c->ca_file, err, sizeof(err))) == NULL) {
		if (c->ca_file != NULL)
			fatalx(EX_PW_USAGE, "--ca %s: %s", c->ca_file, err);
		log_info("no TLS trust store: %s", err);
	}
	c->tls = c->o.tls;
	if ((c->pr = prober_new(c->loop, &c->o, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	secret_wipe(&c->o, sizeof(c->o));
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct stun_main *c = w->data;

	(void)revents;
	log_info("signal %d: stopping", w->signum);
	prober_stop(c->pr);
	ev_break(loop, EVBREAK_ALL);
}

static void
watchers(struct stun_main *c)
{
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&c->sig_term, on_signal, SIGTERM);
	ev_signal_init(&c->sig_int, on_signal, SIGINT);
	c->sig_term.data = c->sig_int.data = c;
	ev_signal_start(c->loop, &c->sig_term);
	ev_signal_start(c->loop, &c->sig_int);
}

/* Exit 0 when at least one server answered. */
static int
teardown(struct stun_main *c)
{
	uint64_t nok, ntotal;

	prober_counts(c->pr, &nok, &ntotal);
	prober_free(c->pr);
	tls_ctx_free(c->tls);
	ev_loop_destroy(c->loop);
	log_info("%llu of %llu servers ok", (unsigned long long)nok, (unsigned long long)ntotal);
	return nok > 0 ? EX_PW_OK : EX_PW_TEMP;
}

int
main(int argc, char **argv)
{
	static struct stun_main c;

	cli_init(argv, usage_text);
	parse(&c, argc, argv);
	validate(&c);
	acquire(&c);
	watchers(&c);
	prober_start(c.pr, c.servers, c.nservers, STDIN_FILENO);
	if (!prober_done(c.pr))
		ev_run(c.loop, 0);
	return teardown(&c);
}
