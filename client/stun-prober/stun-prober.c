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

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/num.h"
#include "prober.h"
#include "base/secret.h"
#include "proto/stun.h"
#include "tls/tls.h"

#define REST_TTL_S 3600
#define USER_ID_MAX 128

static const char usage_text[] =
    "usage: stun-prober [-jqv] [-c concurrency] [-t timeout_ms] [--nat] [--turn]\n"
    "                   [--username name --password-file file | --secret-file file]\n"
    "                   [--user-id id] [--ca file] [server ...]\n";

struct cli {
	struct prober_opts o;
	const char *username, *password_file, *secret_file, *user_id, *ca_file;
	int verbosity;
};

static struct prober *pr;
static ev_signal sig_term, sig_int;

static void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

static void
parse_options(int argc, char **argv, struct cli *c)
{
	enum { OPT_NAT = 256, OPT_TURN, OPT_USER, OPT_PASSFILE, OPT_SECRETFILE, OPT_USERID, OPT_CA };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "nat", no_argument, NULL, OPT_NAT },
		{ "turn", no_argument, NULL, OPT_TURN },
		{ "username", required_argument, NULL, OPT_USER },
		{ "password-file", required_argument, NULL, OPT_PASSFILE },
		{ "secret-file", required_argument, NULL, OPT_SECRETFILE },
		{ "user-id", required_argument, NULL, OPT_USERID },
		{ "ca", required_argument, NULL, OPT_CA },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int ch;

	c->o.concurrency = 16;
	c->o.timeout_ms = 3000;
	c->verbosity = LOG_LVL_WARN;
	c->user_id = "stun-prober";
	while ((ch = getopt_long(argc, argv, "hjqvc:t:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(EX_PW_OK);
			break;
		case 'j':
			c->o.json = 1;
			break;
		case 'q':
			c->verbosity = LOG_LVL_QUIET;
			break;
		case 'v':
			c->verbosity++;
			break;
		case 'c':
			if (num_parse_u64(optarg, 1, PROBER_CONCURRENCY_MAX, &v) == -1)
				fatalx(EX_PW_USAGE, "-c: want 1..%d: %s", PROBER_CONCURRENCY_MAX, optarg);
			c->o.concurrency = (unsigned)v;
			break;
		case 't':
			if (num_parse_u64(optarg, 1, PROBER_TIMEOUT_MAX_MS, &c->o.timeout_ms) == -1)
				fatalx(EX_PW_USAGE, "-t: want 1..%d ms: %s", PROBER_TIMEOUT_MAX_MS, optarg);
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
			usage(EX_PW_USAGE);
		}
	}
}

static void
validate(const struct cli *c)
{
	if (c->o.nat && c->o.turn)
		fatalx(EX_PW_USAGE, "--nat and --turn do not go together");
	if (c->secret_file != NULL && (c->username != NULL || c->password_file != NULL))
		fatalx(EX_PW_USAGE, "--secret-file replaces --username and --password-file");
	if ((c->username == NULL) != (c->password_file == NULL))
		fatalx(EX_PW_USAGE, "--username and --password-file go together");
	if (c->secret_file != NULL && !c->o.turn)
		fatalx(EX_PW_USAGE, "--secret-file needs --turn");
	if (c->o.turn && c->username == NULL && c->secret_file == NULL)
		fatalx(EX_PW_USAGE, "--turn needs --username and --password-file, or --secret-file");
	if (c->username != NULL && strlen(c->username) > STUN_USERNAME_MAX)
		fatalx(EX_PW_USAGE, "--username: longer than %d bytes", STUN_USERNAME_MAX);
	if (strlen(c->user_id) == 0 || strlen(c->user_id) > USER_ID_MAX || strchr(c->user_id, ':') != NULL)
		fatalx(EX_PW_USAGE, "--user-id: 1..%d bytes without ':'", USER_ID_MAX);
}

/* Password or REST credentials into c->o; the file contents are wiped. */
static void
load_credentials(struct cli *c)
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

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: stopping", w->signum);
	prober_stop(pr);
	ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	static struct cli c;
	struct ev_loop *loop;
	struct tls_ctx *tls;
	uint64_t nok, ntotal;
	char err[TLS_ERR_MAX + 64];

	log_init(argv[0], LOG_LVL_WARN);
	parse_options(argc, argv, &c);
	log_set_level(c.verbosity);
	validate(&c);
	load_credentials(&c);
	signal(SIGPIPE, SIG_IGN);
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise the event loop");
	/* Without a usable trust store only stuns:/turns: servers fail. */
	if ((c.o.tls = tls_ctx_new(c.ca_file, err, sizeof(err))) == NULL) {
		if (c.ca_file != NULL)
			fatalx(EX_PW_USAGE, "--ca %s: %s", c.ca_file, err);
		log_info("no TLS trust store: %s", err);
	}
	tls = c.o.tls;
	if ((pr = prober_new(loop, &c.o, err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	secret_wipe(&c.o, sizeof(c.o));

	ev_signal_init(&sig_term, on_signal, SIGTERM);
	ev_signal_init(&sig_int, on_signal, SIGINT);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_int);
	prober_start(pr, argv + optind, argc - optind, STDIN_FILENO);
	if (!prober_done(pr))
		ev_run(loop, 0);

	prober_counts(pr, &nok, &ntotal);
	prober_free(pr);
	tls_ctx_free(tls);
	ev_loop_destroy(loop);
	log_info("%llu of %llu servers ok", (unsigned long long)nok, (unsigned long long)ntotal);
	return nok > 0 ? EX_PW_OK : EX_PW_TEMP;
}
