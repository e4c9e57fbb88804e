/* SPDX-License-Identifier: MIT */
/*
 * meek-client: a carrier (DESIGN.md §4) that carries its stdin/stdout
 * byte stream as one meek session of HTTPS polls, with domain fronting.
 * This file reads the options, resolves the fronts once, builds the
 * extra header lines and hands over to the engine in meekc.c.
 */
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/secret.h"
#include "meekc.h"
#include "net/net.h"
#include "nss/nssc.h"
#include "proto/meek.h"

static const char usage_text[] =
    "usage: meek-client [-hqv] --url URL [--front ADDR[:PORT][,sni=NAME][,verify=NAME]]...\n"
    "                   [--ca FILE] [--auth-token-file FILE] [--header 'NAME: VALUE']...\n"
    "                   [--max-body BYTES] [--http1] [--insecure-plaintext]\n"
    "                   [--tls wolfssl | firefox] [--nss-lib DIR]\n";

enum { OPT_URL = 256, OPT_FRONT, OPT_CA, OPT_TOKEN, OPT_HEADER, OPT_MAXBODY, OPT_PLAIN,
       OPT_HTTP1, OPT_TLS, OPT_NSSLIB };
static const struct option longopts[] = {
	{ "url", required_argument, NULL, OPT_URL },
	{ "front", required_argument, NULL, OPT_FRONT },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "auth-token-file", required_argument, NULL, OPT_TOKEN },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "max-body", required_argument, NULL, OPT_MAXBODY },
	{ "insecure-plaintext", no_argument, NULL, OPT_PLAIN },
	{ "http1", no_argument, NULL, OPT_HTTP1 },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "nss-lib", required_argument, NULL, OPT_NSSLIB },
	CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* The options as given, and the engine's configuration built from them. */
struct meekc_main {
	const char *url;
	const char *fronts[MEEKC_FRONTS_MAX];
	size_t nfronts;
	const char *headers[MEEKC_HEADERS_MAX];
	size_t nheaders;
	const char *ca, *token_file;
	const char *nss_lib;
	uint64_t max_body;
	int plaintext, http1, firefox;
	struct meekc_config cfg;
};

static void
parse(struct meekc_main *o, int argc, char **argv)
{
	int ch;

	o->max_body = MEEK_BODY_DEFAULT;
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_URL:
			o->url = optarg;
			break;
		case OPT_FRONT:
			if (o->nfronts == MEEKC_FRONTS_MAX)
				cli_usage_error("at most %d --front", MEEKC_FRONTS_MAX);
			o->fronts[o->nfronts++] = optarg;
			break;
		case OPT_CA:
			o->ca = optarg;
			break;
		case OPT_TOKEN:
			o->token_file = optarg;
			break;
		case OPT_HEADER:
			if (o->nheaders == MEEKC_HEADERS_MAX)
				cli_usage_error("at most %d --header", MEEKC_HEADERS_MAX);
			o->headers[o->nheaders++] = optarg;
			break;
		case OPT_MAXBODY:
			o->max_body = cli_u64("--max-body", optarg, MEEKC_BODY_MIN, MEEK_BODY_MAX);
			break;
		case OPT_HTTP1:
			o->http1 = 1;
			break;
		case OPT_PLAIN:
			o->plaintext = 1;
			break;
		case OPT_TLS:
			if (strcmp(optarg, "firefox") == 0)
				o->firefox = 1;
			else if (strcmp(optarg, "wolfssl") == 0)
				o->firefox = 0;
			else
				cli_usage_error("--tls %s: want wolfssl or firefox", optarg);
			break;
		case OPT_NSSLIB:
			o->nss_lib = optarg;
			break;
		default:
			cli_option(ch);
		}
	}
	cli_no_operands(argc, argv);
}

/* Append a complete header line to cfg->extra. */
static void
extra_add(struct meekc_config *cfg, const char *line, size_t n)
{
	size_t used = strlen(cfg->extra);

	if (n >= sizeof(cfg->extra) - used)
		cli_usage_error("headers longer than %d bytes in all", MEEKC_EXTRA_MAX);
	memcpy(cfg->extra + used, line, n + 1);
}

static void
build_headers(const struct meekc_main *o, struct meekc_config *cfg)
{
	char line[MEEKC_HEADER_LINE_MAX + 8], err[128];
	char tok[SECRET_MAX + 1], tline[SECRET_MAX + sizeof(MEEK_HDR_AUTH) + 8];
	size_t i;
	int n;

	for (i = 0; i < o->nheaders; i++) {
		n = meekc_parse_header(o->headers[i], line, sizeof(line), err, sizeof(err));
		if (n < 0)
			cli_usage_error("--header %s: %s", o->headers[i], err);
		extra_add(cfg, line, (size_t)n);
	}
	if (o->token_file == NULL)
		return;
	n = secret_read_file(o->token_file, tok, sizeof(tok), err, sizeof(err));
	if (n < 0)
		fatalx(EX_PW_USAGE, "--auth-token-file: %s", err);
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)tok[i] < 0x21 || (unsigned char)tok[i] > 0x7e)
			fatalx(EX_PW_USAGE, "--auth-token-file: the token must be printable ASCII");
	n = snprintf(tline, sizeof(tline), MEEK_HDR_AUTH ": %s\r\n", tok);
	secret_wipe(tok, sizeof(tok));
	if (n < 0 || (size_t)n >= sizeof(tline))
		fatalx(EX_PW_USAGE, "--auth-token-file: token too long");
	extra_add(cfg, tline, (size_t)n);
	secret_wipe(tline, sizeof(tline));
}

/* Resolve host:port once, before any traffic; the first address is used. */
static void
resolve(const char *host, uint16_t port, struct meekc_config *cfg)
{
	int e;

	e = net_resolve_once(host, port, &cfg->addrs[cfg->naddrs], &cfg->addrlens[cfg->naddrs]);
	if (e != 0)
		fatalx(EX_PW_TEMP, "cannot resolve %s: %s", host, gai_strerror(e));
	cfg->naddrs++;
}

/* The URL and the fronts, checked: still usage errors. */
static void
validate(struct meekc_main *o)
{
	struct meekc_config *cfg = &o->cfg;
	char err[128];
	size_t i;

	if (o->url == NULL)
		cli_usage_error("--url is required");
	if (meekc_parse_url(o->url, o->plaintext, &cfg->url, err, sizeof(err)) == -1)
		cli_usage_error("--url %s: %s", o->url, err);
	if (!cfg->url.https && o->nfronts > 0)
		cli_usage_error("--front needs an https:// URL");
	for (i = 0; i < o->nfronts; i++) {
		if (meekc_parse_front(o->fronts[i], &cfg->url, &cfg->fronts[i], err, sizeof(err)) ==
		    -1)
			cli_usage_error("--front %s: %s", o->fronts[i], err);
	}
	cfg->nfronts = o->nfronts;
	if (o->nss_lib != NULL && !o->firefox)
		cli_usage_error("--nss-lib goes with --tls firefox");
}

/* The header lines (and the token) and the addresses, once, before any traffic. */
static void
acquire(struct meekc_main *o)
{
	struct meekc_config *cfg = &o->cfg;
	size_t i;

	cfg->ca_file = o->ca;
	cfg->max_body = (size_t)o->max_body;
	cfg->http1 = o->http1;
	cfg->tls_firefox = o->firefox;
	build_headers(o, cfg);
	if (cfg->nfronts == 0)
		resolve(cfg->url.host, cfg->url.port, cfg);
	for (i = 0; i < cfg->nfronts; i++)
		resolve(cfg->fronts[i].host, cfg->fronts[i].port, cfg);
}

int
main(int argc, char **argv)
{
	static struct meekc_main m;
	int rc;

	cli_init(argv, usage_text);
	parse(&m, argc, argv);
	validate(&m);
	/* Firefox's own NSS when installed (or --nss-lib): the program runs again on it. */
	if (m.firefox && nssc_use_nss_dir(m.nss_lib ? m.nss_lib : "auto", argv) < 0)
		fatalx(EX_PW_USAGE, "--nss-lib %s: no libnss3.so there", m.nss_lib);
	acquire(&m);
	signal(SIGPIPE, SIG_IGN);
	rc = meekc_run(&m.cfg);
	secret_wipe(m.cfg.extra, sizeof(m.cfg.extra));
	return rc;
}
