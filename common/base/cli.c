/* SPDX-License-Identifier: MIT */
/*
 * The shared command-line cases (cli.h). PW_VERSION comes from the
 * top-level VERSION file and is defined for this object only, so a
 * version bump rebuilds one file.
 */
#include "base/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "base/num.h"

#ifndef PW_VERSION
#define PW_VERSION "unknown"
#endif

static const char *cli_usage_text = "";
static char **cli_argv;

void
cli_init(char **argv, const char *usage)
{
	log_init(argv[0], LOG_LVL_WARN);
	cli_argv = argv;
	cli_usage_text = usage;
	/* Unknown options are reported by cli_option, in the common wording. */
	opterr = 0;
}

void
cli_usage(int status)
{
	fputs(cli_usage_text, status == EX_PW_OK ? stdout : stderr);
	exit(status);
}

void
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", log_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(EX_PW_USAGE);
}

void
cli_option(int ch)
{
	int level = log_get_level();

	switch (ch) {
	case 'h':
		cli_usage(EX_PW_OK);
	case 'q':
		log_set_level(LOG_LVL_QUIET);
		return;
	case 'v':
		log_set_level(level < LOG_LVL_DEBUG ? level + 1 : level);
		return;
	case CLI_OPT_VERSION:
		printf("%s %s\n", log_progname(), PW_VERSION);
		exit(fflush(stdout) == 0 ? EX_PW_OK : EX_PW_INTERNAL);
	default: {
		/*
		 * getopt left the word it stopped at before optind; a short
		 * option inside a group is named by optopt alone.
		 */
		const char *w = optind > 0 ? cli_argv[optind - 1] : "";

		if (strncmp(w, "--", 2) != 0 && optopt > 0 && optopt < 0x100)
			cli_usage_error("-%c: unknown option or missing value", optopt);
		cli_usage_error("%s: unknown option or missing value", w);
	}
	}
}

void
cli_no_operands(int argc, char **argv)
{
	if (optind < argc)
		cli_usage_error("unexpected argument \"%s\"", argv[optind]);
}

uint64_t
cli_u64(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (num_parse_u64(arg, min, max, &v) == -1)
		cli_usage_error("%s: \"%s\" is not a number from %llu to %llu", opt, arg,
		                (unsigned long long)min, (unsigned long long)max);
	return v;
}

/* Milliseconds as seconds: "3600", "0.001". */
static const char *
cli_fmt_seconds(uint64_t ms, char *buf, size_t cap)
{
	if (ms % 1000 == 0)
		snprintf(buf, cap, "%llu", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(ms / 1000),
		         (unsigned long long)(ms % 1000));
	return buf;
}

uint64_t
cli_seconds_ms(const char *opt, const char *arg, uint64_t min_ms, uint64_t max_ms)
{
	char lo[32], hi[32];
	uint64_t ms;

	if (num_parse_seconds_ms(arg, max_ms, &ms) == -1 || ms < min_ms)
		cli_usage_error("%s: \"%s\" is not a number of seconds from %s to %s", opt, arg,
		                cli_fmt_seconds(min_ms, lo, sizeof(lo)),
		                cli_fmt_seconds(max_ms, hi, sizeof(hi)));
	return ms;
}
