/* SPDX-License-Identifier: MIT */
/*
 * Snowflake carries SDP inside JSON, {"type":"offer","sdp":"…"} (pion's
 * SessionDescription); jansson writes and reads it.
 */
#include "rtc/rtc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sdp.h"

char *
rtc_sdp_to_json(const char *type, const char *sdp)
{
	json_t *o = json_pack("{s:s, s:s}", "type", type, "sdp", sdp);
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

char *
rtc_sdp_from_json(const char *json, size_t n, const char *want)
{
	json_error_t e;
	json_t *o, *t, *s;
	char *out = NULL;

	if (n > SDP_MAX * 2)
		return NULL;
	if ((o = json_loadb(json, n, JSON_REJECT_DUPLICATES, &e)) == NULL)
		return NULL;
	t = json_object_get(o, "type");
	s = json_object_get(o, "sdp");
	if (json_is_string(t) && json_is_string(s) && strcmp(json_string_value(t), want) == 0 &&
	    json_string_length(s) <= SDP_MAX)
		out = strdup(json_string_value(s));
	json_decref(o);
	return out;
}
