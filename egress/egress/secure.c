/* SPDX-License-Identifier: MIT */
/* Keys, users and credential checks (see secure.h). */
#include "secure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "tls/tlsmem.h"
#include "tt.h"

void
secure_genkey(void)
{
	char pem[TLSMEM_KEY_PEM_MAX];
	int n = tlsmem_key_generate(pem, sizeof(pem));

	if (n < 0)
		fatalx(EX_PW_INTERNAL, "cannot generate a key");
	if (fwrite(pem, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0)
		fatal(EX_PW_TEMP, "stdout");
	memset(pem, 0, sizeof(pem));
	exit(EX_PW_OK);
}

static struct tlsmem_key *
load_key(const char *path)
{
	char err[TLS_ERR_MAX];
	struct tlsmem_key *k = tlsmem_key_load(path, err, sizeof(err));

	if (k == NULL)
		fatalx(EX_PW_USAGE, "--key %s", err);
	return k;
}

void
secure_print_fingerprint(const char *key_path)
{
	char fp[TLSMEM_FP_LEN + 1];
	struct tlsmem_key *k = load_key(key_path);

	tlsmem_key_fingerprint(k, fp);
	tlsmem_key_free(k);
	printf("%s\n", fp);
	exit(fflush(stdout) == 0 ? EX_PW_OK : EX_PW_TEMP);
}

void
secure_acquire(struct egress *eg)
{
	char err[TLS_ERR_MAX];
	struct tlsmem_key *k;

	if (eg->key_path == NULL) {
		size_t i, up = eg->upstream != NULL;

		for (i = 0; i < eg->nlisten; i++)
			up |= eg->listen[i].upstream != NULL;
		if (!up)
			log_info("no --key: Turbo Tunnel sessions are refused (without --upstream only "
			         "secure sessions are served, and they need a key)");
		return;
	}
	k = load_key(eg->key_path);
	tlsmem_key_fingerprint(k, eg->fingerprint);
	eg->tls = tlsmem_ctx_server(k, err, sizeof(err));
	tlsmem_key_free(k);
	if (eg->tls == NULL)
		fatalx(EX_PW_INTERNAL, "--key %s: %s", eg->key_path, err);
	if (users_load(&eg->users, eg->users_path, err, sizeof(err)) == -1)
		fatalx(EX_PW_USAGE, "--users %s", err);
	if (limits_init(&eg->lim_auth, eg->max_auth_failures, eg->max_conns) == -1)
		fatalx(EX_PW_INTERNAL, "out of memory");
	log_info("secure sessions: key %s, %zu users", eg->fingerprint, eg->users.n);
}

void
secure_print_ready(const struct egress *eg)
{
	if (eg->tls == NULL)
		return;
	printf("fingerprint %s\n", eg->fingerprint);
	fflush(stdout);
}

void
secure_reload(struct egress *eg)
{
	char err[256];
	size_t sessions, carriers;

	if (eg->users_path == NULL || eg->tls == NULL)
		return;
	if (users_load(&eg->users, eg->users_path, err, sizeof(err)) == -1) {
		log_warnx("--users %s; keeping the %zu users loaded before", err, eg->users.n);
		return;
	}
	sessions = tt_revoke(eg, &carriers);
	log_info("--users %s: %zu users; %zu sessions of users no longer in it ended, "
	         "%zu of their carriers closed",
	         eg->users_path, eg->users.n, sessions, carriers);
}

void
secure_free(struct egress *eg)
{
	users_free(&eg->users);
	if (eg->tls != NULL)
		limits_free(&eg->lim_auth);
	tlsmem_ctx_free(eg->tls);
	eg->tls = NULL;
}

int
secure_auth(struct egress *eg, const struct limit_key *k, const char *name,
            const uint8_t *secret, size_t slen)
{
	double now = ev_now(eg->loop);

	/* A fixed window: failures older than it are forgotten at once. */
	if (now - eg->auth_window >= EGRESS_AUTH_WINDOW) {
		limits_clear(&eg->lim_auth);
		eg->auth_window = now;
	}
	if (k != NULL && eg->max_auth_failures != 0 &&
	    limits_held(&eg->lim_auth, k) >= eg->max_auth_failures) {
		limits_refuse(&eg->lim, LIMIT_AUTH_RATE, now);
		return -1;
	}
	if (users_check(&eg->users, name, secret, slen))
		return 0;
	limits_refuse(&eg->lim, LIMIT_CREDENTIALS, now);
	if (k != NULL)
		(void)limits_take(&eg->lim_auth, k);
	return -1;
}
