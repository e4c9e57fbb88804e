/* SPDX-License-Identifier: MIT */
/*
 * RFC 5780 NAT behaviour discovery, after a Binding to the primary
 * address answered with OTHER-ADDRESS (test I, mapped address M1).
 *
 * Mapping (§4.3): test II is a Binding to the alternate IP with the
 * primary port: the same mapped address as M1 means endpoint-independent
 * mapping. Otherwise test III goes to the alternate IP and port: the same
 * as test II means address-dependent, else address-and-port-dependent.
 *
 * Filtering (§4.4): test II asks the primary to answer from the alternate
 * IP and port (CHANGE-REQUEST 0x06); an answer means endpoint-independent
 * filtering. Otherwise test III asks for the alternate port only (0x02):
 * an answer means address-dependent, silence address-and-port-dependent.
 *
 * All of it runs on the shared UDP socket, so every test leaves from the
 * same local address, as the RFC requires. A step that fails for another
 * reason than silence makes that behaviour "unknown".
 */
#include <netinet/in.h>
#include <string.h>

#include "prober_int.h"

enum { NAT_MAP2 = 1, NAT_MAP3, NAT_FILT2, NAT_FILT3 };

static void nat_next(struct probe *p);

static int
same(const struct sockaddr_storage *a, socklen_t alen, const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && alen > 0 && memcmp(a, b, alen) == 0;
}

static int
mapped_of(const struct stun_msg *m, struct sockaddr_storage *ss, socklen_t *len)
{
	if (stun_attr_addr(m, stun_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS), ss, len) == 0)
		return 0;
	return stun_attr_addr(m, stun_find(m, STUN_ATTR_MAPPED_ADDRESS), ss, len);
}

static void
nat_answer(void *arg, enum stunc_result res, const struct stun_msg *m, const struct sockaddr *from,
           double rtt_ms, enum stunc_drop drop)
{
	struct probe *p = arg;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int answered = res == STUNC_RESPONSE && m->cls == STUN_SUCCESS && mapped_of(m, &ss, &len) == 0;

	(void)from;
	(void)rtt_ms;
	(void)drop;
	p->tx = NULL;
	switch (p->nat_step) {
	case NAT_MAP2:
		if (!answered) {
			p->mapping = "unknown";
			p->nat_step = NAT_FILT2;
		} else if (same(&ss, len, &p->m1, p->m1len)) {
			p->mapping = "endpoint-independent";
			p->nat_step = NAT_FILT2;
		} else {
			memcpy(&p->m2, &ss, len);
			p->m2len = len;
			p->nat_step = NAT_MAP3;
		}
		break;
	case NAT_MAP3:
		if (!answered)
			p->mapping = "unknown";
		else
			p->mapping = same(&ss, len, &p->m2, p->m2len) ? "address-dependent"
			                                               : "address-and-port-dependent";
		p->nat_step = NAT_FILT2;
		break;
	case NAT_FILT2:
		if (answered) {
			p->filtering = "endpoint-independent";
			probe_finish(p);
			return;
		}
		if (res != STUNC_TIMEOUT) {
			p->filtering = "unknown";
			probe_finish(p);
			return;
		}
		p->nat_step = NAT_FILT3;
		break;
	default:
		p->filtering = answered ? "address-dependent" :
		    res == STUNC_TIMEOUT ? "address-and-port-dependent" : "unknown";
		probe_finish(p);
		return;
	}
	nat_next(p);
}

static void
nat_next(struct probe *p)
{
	struct sockaddr_storage to;
	uint32_t change = 0;
	socklen_t tolen;

	switch (p->nat_step) {
	case NAT_MAP2:
		/* The alternate IP with the primary port. */
		memcpy(&to, &p->other, p->otherlen);
		tolen = p->otherlen;
		if (to.ss_family == AF_INET)
			((struct sockaddr_in *)&to)->sin_port = ((struct sockaddr_in *)&p->addr)->sin_port;
		else
			((struct sockaddr_in6 *)&to)->sin6_port = ((struct sockaddr_in6 *)&p->addr)->sin6_port;
		break;
	case NAT_MAP3:
		memcpy(&to, &p->other, p->otherlen);
		tolen = p->otherlen;
		break;
	default:
		memcpy(&to, &p->addr, p->alen);
		tolen = p->alen;
		change = p->nat_step == NAT_FILT2 ? STUN_CHANGE_IP | STUN_CHANGE_PORT : STUN_CHANGE_PORT;
		break;
	}
	if (to.ss_family != p->addr.ss_family ||
	    probe_binding(p, (struct sockaddr *)&to, tolen, change, nat_answer) == -1) {
		if (p->mapping == NULL)
			p->mapping = "unknown";
		p->filtering = "unknown";
		probe_finish(p);
	}
}

void
prober_nat_start(struct probe *p)
{
	p->nat_step = NAT_MAP2;
	nat_next(p);
}
