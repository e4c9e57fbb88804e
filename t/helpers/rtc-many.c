/* SPDX-License-Identifier: MIT */
/*
 * rtc-many: N WebRTC peer connection pairs in one process (offerer and
 * answerer each), for tests and benches: every pair opens its channel,
 * sends MSGS messages of SIZE bytes each way and checks what comes back
 * byte for byte; then all pairs are freed. Prints
 *
 *   open N ms=MS            every channel open
 *   done N ms=MS            every pair has exchanged its messages
 *   rss-kb BEFORE OPEN      VmRSS before the first pair and with all open
 *   per-connection-kb K     (OPEN - BEFORE) / (2 N)
 *
 * and exits 0, or 1 when a pair failed (its reason on stderr), 111 on
 * --timeout, 100 on usage.
 *
 *   rtc-many [--pairs N] [--msgs M] [--size S] [--timeout SECONDS]
 */
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "nss/nssc.h"
#include "rtc/rtc.h"

static const char usage[] = "usage: rtc-many [--pairs N] [--msgs M] [--size S] [--timeout SECONDS]\n";

struct end {
	struct rtc *r;
	struct end *peer;
	int open, offerer;
	uint64_t got, sent;
};

static struct {
	uint64_t pairs, msgs, size, timeout_ms;
} opt = { .pairs = 10, .msgs = 100, .size = 1200, .timeout_ms = 60000 };

static struct ev_loop *loop;
static struct end *ends;
static uint8_t *pattern;
static size_t nopen, ndone;
static int failed, status = EX_PW_TEMP;
static ev_tstamp t0;
static long rss_before, rss_open;

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
pump(struct end *e)
{
	ssize_t w;

	while (e->open && e->sent < opt.msgs) {
		w = rtc_send(e->r, pattern, opt.size, 1);
		if (w <= 0) {
			if (w < 0)
				failed = 1;
			return;
		}
		e->sent++;
	}
}

static void
on_local_sdp(void *arg, const char *sdp)
{
	struct end *e = arg;
	char err[160];

	if (rtc_set_remote(e->peer->r, sdp, strlen(sdp), err, sizeof(err)) < 0) {
		log_warnx("set remote: %s", err);
		failed = 1;
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (e->offerer && rtc_start(e->peer->r) < 0)
		failed = 1;
}

static void
on_open(void *arg, const char *label)
{
	struct end *e = arg;

	(void)label;
	e->open = 1;
	if (++nopen == 2 * opt.pairs) {
		rss_open = rss_kb();
		printf("open %zu ms=%.0f\n", nopen, (ev_time() - t0) * 1000.0);
		fflush(stdout);
	}
	pump(e);
}

static void
on_message(void *arg, const uint8_t *p, size_t n, int binary)
{
	struct end *e = arg;

	if (!binary || n != opt.size || memcmp(p, pattern, n) != 0) {
		log_warnx("pair message differs");
		failed = 1;
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (++e->got == opt.msgs && ++ndone == 2 * opt.pairs) {
		printf("done %zu ms=%.0f\n", ndone / 2, (ev_time() - t0) * 1000.0);
		status = EX_PW_OK;
		ev_break(loop, EVBREAK_ALL);
	}
}

static void
on_writable(void *arg)
{
	pump(arg);
}

static void
on_closed(void *arg, const char *reason)
{
	(void)arg;
	log_warnx("a connection closed: %s", reason);
	failed = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void
on_timeout(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	log_warnx("timeout: %zu open, %zu done", nopen, ndone);
	ev_break(loop, EVBREAK_ALL);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pairs", required_argument, NULL, 'n' }, { "msgs", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },  { "timeout", required_argument, NULL, 't' },
		CLI_LONGOPTS,                             { NULL, 0, NULL, 0 },
	};
	int ch;

	cli_init(argv, usage);
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'n': opt.pairs = cli_u64("--pairs", optarg, 1, 500); break;
		case 'm': opt.msgs = cli_u64("--msgs", optarg, 1, 1000000); break;
		case 's': opt.size = cli_u64("--size", optarg, 1, RTC_MAX_MSG_DEFAULT); break;
		case 't': opt.timeout_ms = cli_seconds_ms("--timeout", optarg, 100, 3600000); break;
		default: cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
}

int
main(int argc, char **argv)
{
	struct rtc_cb cb = { .local_sdp = on_local_sdp, .open = on_open, .message = on_message,
		             .writable = on_writable, .closed = on_closed };
	struct rtc_opts o = { .label = "many" };
	struct nssc_id *id;
	char err[NSSC_ERR_MAX];
	ev_timer deadline;
	size_t i;

	parse_args(argc, argv);
	if (nssc_global_init(err, sizeof(err)) < 0 || (id = nssc_id_new(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "%s", err);
	loop = EV_DEFAULT;
	if ((ends = calloc(2 * opt.pairs, sizeof(*ends))) == NULL || (pattern = malloc(opt.size)) == NULL)
		fatalx(EX_PW_INTERNAL, "out of memory");
	for (i = 0; i < opt.size; i++)
		pattern[i] = (uint8_t)(i * 13 + 5);
	rss_before = rss_kb();
	t0 = ev_time();
	o.id = id;
	for (i = 0; i < 2 * opt.pairs; i++) {
		ends[i].offerer = (i & 1) == 0;
		ends[i].peer = &ends[i ^ 1];
		o.offerer = ends[i].offerer;
		cb.arg = &ends[i];
		if ((ends[i].r = rtc_new(loop, &o, &cb, err, sizeof(err))) == NULL)
			fatalx(EX_PW_INTERNAL, "%s", err);
	}
	for (i = 0; i < 2 * opt.pairs; i += 2)
		if (rtc_start(ends[i].r) < 0)
			fatalx(EX_PW_INTERNAL, "ICE gathering");
	ev_timer_init(&deadline, on_timeout, (double)opt.timeout_ms / 1000.0, 0.);
	ev_timer_start(loop, &deadline);
	ev_run(loop, 0);
	if (rss_open > 0) {
		printf("rss-kb %ld %ld\n", rss_before, rss_open);
		printf("per-connection-kb %ld\n", (rss_open - rss_before) / (long)(2 * opt.pairs));
	}
	for (i = 0; i < 2 * opt.pairs; i++)
		rtc_free(ends[i].r);
	nssc_id_free(id);
	free(ends);
	free(pattern);
	return failed ? 1 : status;
}
