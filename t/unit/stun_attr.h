/* SPDX-License-Identifier: MIT */
/*
 * Address and attribute helpers the STUN suites share: build a
 * sockaddr from text, check a decoded address or string attribute
 * against the expected text. Header-only (static functions) so each
 * suite stays a single translation unit, like vec.h.
 */
#ifndef PW_T_STUN_ATTR_H
#define PW_T_STUN_ATTR_H

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/stun.h"

static inline void
check_str_attr(const struct stun_msg *m, uint16_t type, const char *want)
{
	const struct stun_attr *a = stun_find(m, type);

	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->len, strlen(want));
	ck_assert(memcmp(a->val, want, a->len) == 0);
}

static inline void
check_addr(const struct stun_msg *m, uint16_t type, int family, const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char buf[INET6_ADDRSTRLEN];
	const void *src;
	int p;

	ck_assert_int_eq(stun_attr_addr(m, stun_find(m, type), &ss, &sl), 0);
	ck_assert_int_eq(ss.ss_family, family);
	if (family == AF_INET) {
		src = &((struct sockaddr_in *)&ss)->sin_addr;
		p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		ck_assert_uint_eq(sl, sizeof(struct sockaddr_in));
	} else {
		src = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		ck_assert_uint_eq(sl, sizeof(struct sockaddr_in6));
	}
	ck_assert_ptr_nonnull(inet_ntop(family, src, buf, sizeof(buf)));
	ck_assert_str_eq(buf, ip);
	ck_assert_int_eq(p, port);
}

static inline void
sa_make(struct sockaddr_storage *ss, const char *ip, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
}
#endif
