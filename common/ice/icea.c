/* SPDX-License-Identifier: MIT */
/*
 * icea: libnice behind a GLib-free interface (icea.h). One agent, one
 * stream, one component; its own GMainContext, driven by gev.
 */
#include "ice/icea.h"

#include <agent.h>
#include <errno.h>
#include <ev.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "ice/gev.h"

struct icea {
	GMainContext *ctx;
	NiceAgent *agent;
	struct gev *gev;
	guint stream;
	struct icea_cb cb;
	int connected, failed, gathered, sockbuf_err;
	char ufrag[ICEA_UFRAG_LEN + 1], pwd[ICEA_PWD_LEN + 1];
	char pair[160];
	/*
	 * The fast path (icea_send): the selected pair's socket and remote
	 * address, when its local side is ours (not a TURN relay), and the
	 * datagrams of this loop iteration waiting to go out together.
	 */
	struct ev_loop *loop;
	ev_prepare flush_w;
	int fd;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint8_t *batch;
	size_t blen, bseg, bcount;
};

static void
icea_err(char *err, size_t errlen, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", what);
}

/* Hex digits from the kernel's random source, as Firefox's credentials look. */
static int
icea_hex(char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[ICEA_PWD_LEN];
	size_t i;

	if (len > sizeof(r) || getrandom(r, len, 0) != (ssize_t)len)
		return -1;
	for (i = 0; i < len; i++)
		out[i] = hex[r[i] & 15];
	out[len] = '\0';
	return 0;
}

static void
icea_on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf, gpointer data)
{
	struct icea *a = data;

	(void)agent;
	(void)stream;
	(void)comp;
	if (a->cb.recv != NULL)
		a->cb.recv(a->cb.arg, (const uint8_t *)buf, len);
}

static void
icea_on_gathered(NiceAgent *agent, guint stream, gpointer data)
{
	struct icea *a = data;

	(void)agent;
	(void)stream;
	a->gathered = 1;
	a->cb.event(a->cb.arg, ICEA_EV_GATHERED);
}

static void
icea_on_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
	struct icea *a = data;

	(void)agent;
	if (c->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE && !a->gathered)
		a->cb.event(a->cb.arg, ICEA_EV_SRFLX);
}

static void
icea_note_pair(struct icea *a)
{
	NiceCandidate *l = NULL, *r = NULL;
	gchar ls[NICE_ADDRESS_STRING_LEN], rs[NICE_ADDRESS_STRING_LEN];

	if (!nice_agent_get_selected_pair(a->agent, a->stream, 1, &l, &r))
		return;
	nice_address_to_string(&l->addr, ls);
	nice_address_to_string(&r->addr, rs);
	snprintf(a->pair, sizeof(a->pair), "%s %s:%u -> %s %s:%u", nice_candidate_type_to_string(l->type),
	         ls, nice_address_get_port(&l->addr), nice_candidate_type_to_string(r->type), rs,
	         nice_address_get_port(&r->addr));
}

/*
 * The selected pair's socket gets ICEA_SOCKBUF each way (the kernel caps
 * it at net.core.rmem_max/wmem_max): SCTP keeps up to its window in
 * flight, a burst of 1200-byte datagrams, and the default receive buffer
 * (about 90 such datagrams of skb overhead) drops the rest whenever this
 * process is not scheduled at once, each drop halving SCTP's window.
 */
static void icea_flush(struct icea *a);

static void
icea_on_selected(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l, NiceCandidate *r,
                 gpointer data)
{
	struct icea *a = data;
	GSocket *gs;
	int fd, sz = ICEA_SOCKBUF, gro;

	icea_flush(a);
	a->fd = -1;
	if ((gs = nice_agent_get_selected_socket(agent, stream, comp)) == NULL)
		return;
	fd = g_socket_get_fd(gs);
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0 ||
	                setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0))
		a->sockbuf_err = errno;
	/*
	 * UDP_GRO: a run of datagrams from the peer (a GSO batch, or what the
	 * NIC coalesced) comes in one read, not one read each; the rtc layer
	 * cuts it back into DTLS records. Not on a relayed pair: libnice
	 * parses TURN's framing itself, one datagram at a time (and the base
	 * socket may be shared, so it is turned off again there). Without
	 * UDP_GRO (old kernels) nothing changes.
	 */
	gro = l->type != NICE_CANDIDATE_TYPE_RELAYED && a->batch != NULL;
	if (fd >= 0)
		(void)setsockopt(fd, SOL_UDP, UDP_GRO, &gro, sizeof(gro));
	/* Our own socket toward the peer's address: batches may go out on it directly. */
	if (fd >= 0 && l->type != NICE_CANDIDATE_TYPE_RELAYED && a->batch != NULL) {
		memset(&a->to, 0, sizeof(a->to));
		nice_address_copy_to_sockaddr(&r->addr, (struct sockaddr *)&a->to);
		a->tolen = r->addr.s.addr.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                                : sizeof(struct sockaddr_in);
		a->fd = fd;
	}
	g_object_unref(gs); /* the agent keeps the socket as long as the pair */
}

/*
 * Send the waiting datagrams in one sendmmsg: the kernel takes the batch
 * in one call, and each datagram leaves as a plain send would, as a
 * browser's do. Not UDP_SEGMENT (GSO): a run sent with it leaves with DF
 * clear and IP IDs 0, 1, 2... where a plain send from this unconnected
 * socket carries DF and an ID from the kernel's counter, which a censor
 * could tell from Firefox. A datagram the socket cannot take is dropped,
 * as libnice would.
 */
static void
icea_flush(struct icea *a)
{
	struct mmsghdr mm[ICEA_BATCH_SEGS];
	struct iovec iov[ICEA_BATCH_SEGS];
	size_t off, n = 0;
	int r;

	if (a->blen == 0)
		return;
	for (off = 0; off < a->blen && n < ICEA_BATCH_SEGS; off += a->bseg, n++) {
		iov[n].iov_base = a->batch + off;
		iov[n].iov_len = a->blen - off < a->bseg ? a->blen - off : a->bseg;
		memset(&mm[n], 0, sizeof(mm[n]));
		mm[n].msg_hdr.msg_name = &a->to;
		mm[n].msg_hdr.msg_namelen = a->tolen;
		mm[n].msg_hdr.msg_iov = &iov[n];
		mm[n].msg_hdr.msg_iovlen = 1;
	}
	for (off = 0; a->fd >= 0 && off < n; off += (size_t)r) {
		r = sendmmsg(a->fd, mm + off, (unsigned)(n - off), MSG_DONTWAIT);
		if (r <= 0)
			r = 1; /* this one dropped (EAGAIN, ENOBUFS...); the rest still go */
	}
	a->blen = a->bcount = 0;
}

static void
icea_on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct icea *a = (struct icea *)(void *)((char *)w - offsetof(struct icea, flush_w));

	(void)loop;
	(void)revents;
	icea_flush(a);
}

static void
icea_on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
	struct icea *a = data;

	(void)agent;
	(void)stream;
	(void)comp;
	/*
	 * A valid pair (CONNECTED) is enough to send on, as browsers start
	 * DTLS then; READY (nominated) may follow a little later on the
	 * controlled side, whose peer's DTLS hello would otherwise wait for
	 * a retransmission.
	 */
	if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
	    !a->connected && !a->failed) {
		a->connected = 1;
		a->cb.event(a->cb.arg, ICEA_EV_CONNECTED);
	} else if (state == NICE_COMPONENT_STATE_FAILED && !a->failed) {
		a->failed = 1;
		a->cb.event(a->cb.arg, ICEA_EV_FAILED);
	}
}

struct icea *
icea_new(struct ev_loop *loop, const struct icea_opts *o, const struct icea_cb *cb, char *err,
         size_t errlen)
{
	NiceAgentOption flags = NICE_AGENT_OPTION_REGULAR_NOMINATION;
	struct icea *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		icea_err(err, errlen, "out of memory");
		return NULL;
	}
	a->cb = *cb;
	a->fd = -1;
	a->loop = loop;
	a->batch = malloc(ICEA_BATCH_MAX);
	ev_prepare_init(&a->flush_w, icea_on_prepare);
	ev_prepare_start(loop, &a->flush_w);
	if (icea_hex(a->ufrag, ICEA_UFRAG_LEN) < 0 || icea_hex(a->pwd, ICEA_PWD_LEN) < 0) {
		icea_err(err, errlen, "no random bytes for ICE credentials");
		free(a);
		return NULL;
	}
	if (o->consent)
		flags |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;
	a->ctx = g_main_context_new();
	a->agent = nice_agent_new_full(a->ctx, NICE_COMPATIBILITY_RFC5245, flags);
	if (a->agent == NULL || (a->gev = gev_new(loop, a->ctx)) == NULL) {
		icea_err(err, errlen, "libnice agent");
		icea_free(a);
		return NULL;
	}
	/* Browsers gather UDP only and ask no router for a mapping. */
	g_object_set(a->agent, "controlling-mode", o->controlling ? TRUE : FALSE, "ice-tcp", FALSE,
	             "upnp", FALSE, NULL);
	if (o->stun_ip != NULL)
		g_object_set(a->agent, "stun-server", o->stun_ip, "stun-server-port", (guint)o->stun_port,
		             NULL);
	if ((a->stream = nice_agent_add_stream(a->agent, 1)) == 0 ||
	    !nice_agent_set_local_credentials(a->agent, a->stream, a->ufrag, a->pwd) ||
	    !nice_agent_attach_recv(a->agent, a->stream, 1, a->ctx, icea_on_recv, a)) {
		icea_err(err, errlen, "libnice stream");
		icea_free(a);
		return NULL;
	}
	g_signal_connect(a->agent, "candidate-gathering-done", G_CALLBACK(icea_on_gathered), a);
	g_signal_connect(a->agent, "component-state-changed", G_CALLBACK(icea_on_state), a);
	g_signal_connect(a->agent, "new-candidate-full", G_CALLBACK(icea_on_candidate), a);
	g_signal_connect(a->agent, "new-selected-pair-full", G_CALLBACK(icea_on_selected), a);
	return a;
}

/*
 * The addresses to gather on, as browsers choose them: every interface
 * that is up, but not loopback and not IPv6 link-local (fe80::/10, which
 * neither Firefox nor Chrome offers, and whose STUN request to an IPv4
 * server is never answered, holding gathering for seconds). With none
 * left libnice chooses, as before.
 */
static void
icea_add_addresses(struct icea *a)
{
	struct ifaddrs *ifs, *it;
	NiceAddress na;
	const struct sockaddr_in6 *s6;

	if (getifaddrs(&ifs) < 0)
		return;
	for (it = ifs; it != NULL; it = it->ifa_next) {
		if (it->ifa_addr == NULL || !(it->ifa_flags & IFF_UP) || (it->ifa_flags & IFF_LOOPBACK))
			continue;
		if (it->ifa_addr->sa_family == AF_INET6) {
			s6 = (const struct sockaddr_in6 *)(const void *)it->ifa_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
				continue;
		} else if (it->ifa_addr->sa_family != AF_INET) {
			continue;
		}
		nice_address_init(&na);
		nice_address_set_from_sockaddr(&na, it->ifa_addr);
		nice_agent_add_local_address(a->agent, &na);
	}
	freeifaddrs(ifs);
}

int
icea_gather(struct icea *a)
{
	icea_add_addresses(a);
	return nice_agent_gather_candidates(a->agent, a->stream) ? 0 : -1;
}

const char *
icea_ufrag(const struct icea *a)
{
	return a->ufrag;
}

const char *
icea_pwd(const struct icea *a)
{
	return a->pwd;
}

size_t
icea_candidates(struct icea *a, char (*out)[ICEA_CAND_MAX], size_t max)
{
	GSList *list = nice_agent_get_local_candidates(a->agent, a->stream, 1), *it;
	size_t n = 0;
	gchar *s;
	const char *v;

	for (it = list; it != NULL; it = it->next) {
		s = nice_agent_generate_local_candidate_sdp(a->agent, it->data);
		/* "a=candidate:…" from libnice; SDP writers want the value. */
		v = s != NULL && strncmp(s, "a=", 2) == 0 ? s + 2 : s;
		if (v != NULL && n < max && strlen(v) < ICEA_CAND_MAX)
			snprintf(out[n++], ICEA_CAND_MAX, "%s", v);
		g_free(s);
	}
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return n;
}

int
icea_set_remote(struct icea *a, const char *ufrag, const char *pwd, const char *const *cands,
                size_t ncands, char *err, size_t errlen)
{
	GSList *list = NULL;
	NiceCandidate *c;
	char line[ICEA_CAND_MAX + 2];
	size_t i;
	int added;

	if (strlen(ufrag) > ICEA_CRED_MAX || strlen(pwd) > ICEA_CRED_MAX || ncands > ICEA_CANDS_MAX) {
		icea_err(err, errlen, "remote ICE credentials or candidates too long");
		return -1;
	}
	if (!nice_agent_set_remote_credentials(a->agent, a->stream, ufrag, pwd)) {
		icea_err(err, errlen, "remote ICE credentials refused");
		return -1;
	}
	for (i = 0; i < ncands; i++) {
		snprintf(line, sizeof(line), "a=%s", cands[i]);
		c = nice_agent_parse_remote_candidate_sdp(a->agent, a->stream, line);
		/* Candidates of other transports (TCP, mDNS names) are skipped, as a browser does. */
		if (c != NULL)
			list = g_slist_append(list, c);
	}
	if (list == NULL) {
		icea_err(err, errlen, "no usable remote candidate");
		return -1;
	}
	added = nice_agent_set_remote_candidates(a->agent, a->stream, 1, list);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	if (added <= 0) {
		icea_err(err, errlen, "remote candidates refused");
		return -1;
	}
	return 0;
}

ssize_t
icea_send(struct icea *a, const uint8_t *p, size_t n)
{
	gint w;

	if (!a->connected || a->failed || n > G_MAXUINT)
		return -1;
	if (a->fd >= 0 && n > 0 && n <= ICEA_DGRAM_MAX) {
		/* A run of equal datagrams, the last may be shorter: what UDP_SEGMENT sends. */
		if (a->blen > 0 && (n > a->bseg || a->blen % a->bseg != 0 ||
		                    a->blen + n > ICEA_BATCH_MAX || a->bcount >= ICEA_BATCH_SEGS))
			icea_flush(a);
		if (a->blen == 0)
			a->bseg = n;
		memcpy(a->batch + a->blen, p, n);
		a->blen += n;
		a->bcount++;
		return (ssize_t)n;
	}
	icea_flush(a);
	w = nice_agent_send(a->agent, a->stream, 1, (guint)n, (const gchar *)p);
	return w < 0 ? -1 : (ssize_t)w;
}

const char *
icea_pair(struct icea *a)
{
	a->pair[0] = '\0';
	icea_note_pair(a);
	return a->pair;
}

void
icea_free(struct icea *a)
{
	if (a == NULL)
		return;
	icea_flush(a);
	ev_prepare_stop(a->loop, &a->flush_w);
	free(a->batch);
	if (a->agent != NULL) {
		if (a->stream != 0)
			nice_agent_remove_stream(a->agent, a->stream);
		g_object_unref(a->agent);
	}
	gev_free(a->gev);
	/* What the agent left to run on its context (its own teardown) runs now. */
	if (a->ctx != NULL) {
		if (g_main_context_acquire(a->ctx)) {
			while (g_main_context_iteration(a->ctx, FALSE))
				;
			g_main_context_release(a->ctx);
		}
		g_main_context_unref(a->ctx);
	}
	free(a);
}
