/* SPDX-License-Identifier: MIT */
/*
 * What every program's command line shares: -h/--help (usage on stdout,
 * exit 0), -q/--quiet and -v/--verbose (log verbosity), --version, usage
 * errors (one "NAME: why" line and the usage on stderr, exit 100) and
 * one wording for a bad number from argv. getopt_long stays in each main:
 * put CLI_SHORTOPTS in its option string, CLI_LONGOPTS in its table and
 * cli_option() in the switch's default case.
 */
#ifndef PW_CLI_H
#define PW_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdnoreturn.h>

#define CLI_SHORTOPTS "hqv"
#define CLI_OPT_VERSION 0x7000 /* above any main's own option values */
#define CLI_LONGOPTS                                                  \
	{ "help", no_argument, NULL, 'h' },                           \
	{ "quiet", no_argument, NULL, 'q' },                          \
	{ "verbose", no_argument, NULL, 'v' },                        \
	{ "version", no_argument, NULL, CLI_OPT_VERSION }

/* Name the program (log_init) and keep its usage text, "usage: NAME …\n". */
void cli_init(char **argv, const char *usage);
/* -h, -q, -v, --version; anything else is a usage error. */
void cli_option(int ch);
/* After the getopt loop of a program that takes no operands. */
void cli_no_operands(int argc, char **argv);

noreturn void cli_usage(int status);
noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A decimal number in [min, max], or a usage error naming opt. */
uint64_t cli_u64(const char *opt, const char *arg, uint64_t min, uint64_t max);
/* Decimal seconds ("1.5") in [min_ms, max_ms], returned in milliseconds. */
uint64_t cli_seconds_ms(const char *opt, const char *arg, uint64_t min_ms, uint64_t max_ms);

#endif
