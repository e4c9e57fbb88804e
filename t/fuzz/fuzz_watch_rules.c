/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for egress/watch_rules. The input is a rules file.
 * Checks, beyond "does not crash": an error always comes with a
 * message; accepted rules format to text that parses back to the same
 * rules; evaluation on figures taken from the input never sets a bit
 * for a disabled rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peerconn-watch/watch_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_rules r, r2;
	struct watch_agg a;
	struct watch_fig figs[WATCH_FIGS_MAX];
	char err[256], text[4096];
	unsigned m;
	int n, id;

	watch_rules_default(&r);
	err[0] = '\0';
	if (watch_rules_parse((const char *)data, size, &r, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if ((n = watch_rules_format(&r, text, sizeof(text))) <= 0)
		abort();
	watch_rules_default(&r2);
	if (watch_rules_parse(text, (size_t)n, &r2, err, sizeof(err)) == -1 ||
	    memcmp(&r, &r2, sizeof(r)) != 0)
		abort();
	memset(&a, 0, sizeof(a));
	memcpy(&a, data, size < sizeof(a) ? size : sizeof(a));
	m = watch_rules_eval(&r, &a);
	for (id = 0; id < WATCH_RULE_COUNT; id++) {
		if ((m & 1u << id) && !r.enabled[id])
			abort();
		if (watch_rules_evidence((enum watch_rule_id)id, &a, figs) > WATCH_FIGS_MAX)
			abort();
	}
	return 0;
}
