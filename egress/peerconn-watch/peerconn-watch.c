/* SPDX-License-Identifier: MIT */
/*
 * peerconn-watch: abuse detection from egress accept/close events. Reads
 * event lines from standard input or from a listening unix: endpoint,
 * keeps sliding-window figures per source bucket and prints a finding
 * line when a rule matches. This file is options, wiring and shutdown;
 * the parser is watch_event.c, the rules watch_rules.c, the buckets
 * watch_bucket.c, the engine and its output watch.c, the readers
 * watch_input.c.
 *
 * SIGUSR1 prints a summary; SIGTERM, SIGINT and the end of standard
 * input print one and exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "net/endpoint.h"
#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "net/net.h"
#include "watch.h"
#include "watch_input.h"

#define WATCH_BACKLOG 64
#define WATCH_WINDOW_DEFAULT_MS 60000
#define WATCH_WINDOW_MAX_MS (86400 * 1000ULL)
#define WATCH_BUCKETS_DEFAULT 16384

static const char usage_str[] =
	"usage: peerconn-watch [-hjqv] [-l ENDPOINT] [--window SECONDS] [--rules FILE]\n"
	"                      [--max-buckets N]\n";

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "window", required_argument, NULL, 'W' },
	{ "rules", required_argument, NULL, 'R' },
	{ "max-buckets", required_argument, NULL, 'B' },
	{ "json", no_argument, NULL, 'j' },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const int watch_signals[3] = { SIGTERM, SIGINT, SIGUSR1 };

struct watch_main {
	struct ev_loop *loop;
	struct watch w;
	struct watch_rules rules;
	struct watch_input *in;
	const char *listen_spec, *rules_path;
	struct endpoint ep;
	int listen_fd, json;
	uint64_t window_ms, max_buckets;
	ev_signal sig[3];
};

static void
parse(struct watch_main *m, int argc, char **argv)
{
	int c;

	m->window_ms = WATCH_WINDOW_DEFAULT_MS;
	m->max_buckets = WATCH_BUCKETS_DEFAULT;
	m->listen_fd = -1;
	while ((c = getopt_long(argc, argv, CLI_SHORTOPTS "jl:", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			m->listen_spec = optarg;
			break;
		case 'W':
			m->window_ms = cli_seconds_ms("--window", optarg, 1000, WATCH_WINDOW_MAX_MS);
			break;
		case 'R':
			m->rules_path = optarg;
			break;
		case 'B':
			m->max_buckets = cli_u64("--max-buckets", optarg, 1, WATCH_BUCKETS_MAX);
			break;
		case 'j':
			m->json = 1;
			break;
		default:
			cli_option(c);
		}
	}
	cli_no_operands(argc, argv);
}

/* The rules file, read whole but never more than WATCH_RULES_FILE_MAX + 1 bytes. */
static void
load_rules(struct watch_main *m)
{
	static char text[WATCH_RULES_FILE_MAX + 1];
	char err[256];
	size_t n = 0;
	ssize_t r;
	int fd;

	watch_rules_default(&m->rules);
	if (m->rules_path == NULL)
		return;
	if ((fd = open(m->rules_path, O_RDONLY | O_CLOEXEC)) == -1)
		fatal(EX_PW_USAGE, "--rules %s", m->rules_path);
	while (n < sizeof(text) && (r = read(fd, text + n, sizeof(text) - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			fatal(EX_PW_USAGE, "--rules %s", m->rules_path);
		n += (size_t)r;
	}
	close(fd);
	if (watch_rules_parse(text, n, &m->rules, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "--rules %s: %s", m->rules_path, err);
}

static void
validate(struct watch_main *m)
{
	char err[128];

	if (m->listen_spec != NULL) {
		if (endpoint_parse(m->listen_spec, &m->ep, err, sizeof(err)) == -1)
			cli_usage_error("-l %s: %s", m->listen_spec, err);
		if (m->ep.kind != EP_UNIX || m->ep.nopts != 0)
			cli_usage_error("-l %s: only a unix: endpoint, without options", m->listen_spec);
	}
	load_rules(m);
}

static uint64_t
seed(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
		s = (uint64_t)getpid() << 32 ^ (uint64_t)(ev_time() * 1e6);
	return s;
}

static void
acquire(struct watch_main *m)
{
	if ((m->loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx(EX_PW_INTERNAL, "cannot initialise libev");
	if (watch_init(&m->w, &m->rules, (int64_t)m->window_ms * 1000, (uint32_t)m->max_buckets,
	               m->json, stdout, seed()) == -1)
		fatalx(EX_PW_INTERNAL, "out of memory for %llu buckets",
		       (unsigned long long)m->max_buckets);
	if (m->listen_spec != NULL && (m->listen_fd = net_listen(&m->ep, WATCH_BACKLOG)) == -1)
		fatal(EX_PW_TEMP, "listen %s", m->listen_spec);
}

static void
on_input_done(void *arg)
{
	struct watch_main *m = arg;

	ev_break(m->loop, EVBREAK_ALL);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct watch_main *m = w->data;

	(void)revents;
	if (w->signum == SIGUSR1) {
		watch_summary(&m->w);
		fflush(stdout);
		return;
	}
	log_info("signal %d: exiting", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
watchers(struct watch_main *m)
{
	char name[ENDPOINT_UNIX_MAX + 16];
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		ev_signal_init(&m->sig[i], on_signal, watch_signals[i]);
		m->sig[i].data = m;
		ev_signal_start(m->loop, &m->sig[i]);
	}
	if ((m->in = watch_input_new(m->loop, &m->w, on_input_done, m)) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	if (m->listen_fd == -1) {
		if (watch_input_fd(m->in, STDIN_FILENO) == -1)
			fatalx(EX_PW_INTERNAL, "out of memory");
		return;
	}
	if (net_listen_name(m->listen_fd, &m->ep, name, sizeof(name)) == -1)
		fatal(EX_PW_INTERNAL, "getsockname");
	watch_input_listen(m->in, m->listen_fd);
	net_print_ready(name);
	log_info("listening on %s", name);
}

static void
teardown(struct watch_main *m)
{
	size_t i;

	watch_input_free(m->in);
	if (m->listen_fd != -1)
		(void)unlink(m->ep.path);
	for (i = 0; i < 3; i++)
		ev_signal_stop(m->loop, &m->sig[i]);
	watch_summary(&m->w);
	if (fflush(stdout) == EOF)
		log_warn("write summary");
	if (m->w.table.evicted > 0)
		log_warnx("%llu buckets evicted (cap %u)", (unsigned long long)m->w.table.evicted,
		          m->w.table.cap);
	watch_free(&m->w);
	ev_loop_destroy(m->loop);
}

int
main(int argc, char **argv)
{
	static struct watch_main m;

	cli_init(argv, usage_str);
	parse(&m, argc, argv);
	validate(&m);
	acquire(&m);
	watchers(&m);
	ev_run(m.loop, 0);
	teardown(&m);
	return EX_PW_OK;
}
