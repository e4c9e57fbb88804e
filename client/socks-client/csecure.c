/* SPDX-License-Identifier: MIT */
/* Pins and credentials for secure sessions (see csecure.h). */
#include "csecure.h"

#include <string.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/secret.h"
#include "tls/tlsmem.h"

void
csecure_pin_arg(struct carrier *carriers, size_t ncarriers, const char *value, uint8_t cur[32],
                int *have)
{
	size_t i;

	if (tlsmem_pin_parse(value, cur) == -1)
		cli_usage_error("--egress-fingerprint %s: want sha256:HEX (64 hex digits), as "
		                "egress --print-fingerprint prints it", value);
	for (i = 0; i < ncarriers; i++)
		if (!carriers[i].has_pin)
			csecure_pin_carrier(&carriers[i], cur, 1);
	*have = 1;
}

void
csecure_pin_carrier(struct carrier *c, const uint8_t cur[32], int have)
{
	if (!have)
		return;
	memcpy(c->pin, cur, sizeof(c->pin));
	c->has_pin = 1;
}

/* "NAME SECRET": both printable without spaces, within the protocol's limits. */
static int
split_credentials(struct csecure *s, const char *line)
{
	const char *sp = line + strcspn(line, " \t");
	size_t nlen = (size_t)(sp - line), slen, i;

	if (nlen == 0 || nlen > TUNNEL_NAME_MAX || *sp == '\0')
		return -1;
	sp++;
	slen = strlen(sp);
	if (slen == 0 || slen > TUNNEL_SECRET_MAX)
		return -1;
	for (i = 0; i < slen; i++)
		if (sp[i] <= ' ' || sp[i] > '~')
			return -1;
	memcpy(s->user, line, nlen);
	s->user[nlen] = '\0';
	memcpy(s->secret, sp, slen);
	s->slen = slen;
	return 0;
}

void
csecure_acquire(struct csecure *s, const struct carrier *carriers, size_t ncarriers,
                const char *cred_path)
{
	char line[TUNNEL_NAME_MAX + TUNNEL_SECRET_MAX + 4], err[256];
	size_t i;

	for (i = 0; i < ncarriers; i++)
		if (!carriers[i].has_pin)
			cli_usage_error("-C %s: no --egress-fingerprint to pin the egress's key "
			                "(or --plaintext, for an egress with --upstream)",
			                carriers[i].spec);
	if (cred_path == NULL)
		cli_usage_error("secure sessions need --credentials-file FILE (one line: NAME SECRET)");
	if (secret_read_file(cred_path, line, sizeof(line), err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "--credentials-file %s", err);
	if (split_credentials(s, line) == -1)
		fatalx(EX_PW_USAGE, "--credentials-file %s: want one line NAME SECRET (printable, "
		       "no spaces; name up to %d bytes, secret up to %d)", cred_path,
		       TUNNEL_NAME_MAX, TUNNEL_SECRET_MAX);
	secret_wipe(line, sizeof(line));
	if ((s->ctx = tlsmem_ctx_client(err, sizeof(err))) == NULL)
		fatalx(EX_PW_INTERNAL, "TLS: %s", err);
}

void
csecure_free(struct csecure *s)
{
	tlsmem_ctx_free(s->ctx);
	secret_wipe(s->secret, sizeof(s->secret));
	s->ctx = NULL;
}
