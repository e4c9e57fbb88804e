/* SPDX-License-Identifier: MIT */
/*
 * sctpc: usrsctp with AF_CONN (sctpc.h).
 *
 * usrsctp keeps the AF_CONN address it was given and may still send
 * (an ABORT) after we let go of an association, so the address is not
 * our pointer but a serial number looked up in the list of live
 * associations: a packet for one that is gone is dropped.
 */
#include "sctp/sctpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <usrsctp.h>

struct sctpc {
	struct sctpc *next;
	uintptr_t id;
	struct socket *so;
	struct sctpc_cb cb;
	struct sctpc_opts o;
	int up, down, blocked, paused, in_upcall;
	char err[64];
	uint8_t *msg; /* a message being put back together */
	size_t msglen, msgcap;
	uint16_t msgsid;
	uint32_t msgppid;
};

static struct sctpc *live;
static uintptr_t next_id = 1;
static int inited;
static struct timespec last_tick;

static struct sctpc *
sctpc_find(uintptr_t id)
{
	struct sctpc *s;

	for (s = live; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

/*
 * CRC32c (Castagnoli, reflected, polynomial 0x82F63B78) of an SCTP
 * packet, its checksum field (bytes 8..11) taken as zero. usrsctp's own is
 * a table loop that cost a tenth of each peer's CPU at full speed; the
 * SSE4.2 instruction does eight bytes a cycle or so.
 */
static uint32_t crc_table[256];

static void
crc_table_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc_sw(uint32_t c, const uint8_t *p, size_t n)
{
	while (n-- > 0)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64 = c, w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		c64 = __builtin_ia32_crc32di(c64, w);
	}
	c = (uint32_t)c64;
	for (; n > 0; n--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

static uint32_t (*crc_fn)(uint32_t, const uint8_t *, size_t) = crc_sw;

uint32_t
sctpc_crc32c(const uint8_t *p, size_t n)
{
	static const uint8_t zero[4];
	uint32_t c = 0xffffffffu;

	if (crc_table[1] == 0)
		crc_table_init();
	if (n < 12)
		return ~crc_fn(c, p, n);
	c = crc_fn(c, p, 8);
	c = crc_fn(c, zero, 4);
	return ~crc_fn(c, p + 12, n - 12);
}

static int
sctpc_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
	struct sctpc *s = sctpc_find((uintptr_t)addr);
	uint8_t *p = buf;
	uint32_t c;

	(void)tos;
	(void)set_df;
	if (s == NULL || s->cb.send == NULL || len < 12)
		return 0;
	/* usrsctp leaves the checksum to us (crc32c offload): little-endian on the wire, RFC 4960 B. */
	c = sctpc_crc32c(p, len);
	p[8] = (uint8_t)c;
	p[9] = (uint8_t)(c >> 8);
	p[10] = (uint8_t)(c >> 16);
	p[11] = (uint8_t)(c >> 24);
	s->cb.send(s->cb.arg, p, len);
	return 0;
}

int
sctpc_global_init(void)
{
	if (inited)
		return 0;
	crc_table_init();
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc_fn = crc_hw;
#endif
	usrsctp_init_nothreads(0, sctpc_output, NULL);
	/*
	 * Checksums: ours on output (sctpc_output), none checked on input:
	 * every packet came inside an authenticated DTLS record, which is
	 * what RFC 9653 (zero checksum over DTLS) builds on.
	 */
	usrsctp_enable_crc32c_offload();
	/* As Firefox and Chrome set them: the peer is a browser's usrsctp or pion. */
	usrsctp_sysctl_set_sctp_ecn_enable(0);
	usrsctp_sysctl_set_sctp_asconf_enable(0);
	usrsctp_sysctl_set_sctp_auth_enable(0);
	usrsctp_sysctl_set_sctp_blackhole(2);
	usrsctp_sysctl_set_sctp_no_csum_on_loopback(0);
	usrsctp_sysctl_set_sctp_sendspace(SCTPC_SEND_SPACE);
	usrsctp_sysctl_set_sctp_recvspace(SCTPC_RECV_SPACE);
	clock_gettime(CLOCK_MONOTONIC, &last_tick);
	inited = 1;
	return 0;
}

void
sctpc_global_finish(void)
{
	int i;

	if (!inited || live != NULL)
		return;
	/* Closed sockets linger in usrsctp until its timers reap them. */
	for (i = 0; i < 1000 && usrsctp_finish() != 0; i++)
		usrsctp_handle_timers(100);
	inited = 0;
}

void
sctpc_tick(void)
{
	struct timespec now;
	long ms;

	if (!inited)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - last_tick.tv_sec) * 1000 + (now.tv_nsec - last_tick.tv_nsec) / 1000000;
	if (ms <= 0)
		return;
	last_tick.tv_sec += ms / 1000;
	last_tick.tv_nsec += (ms % 1000) * 1000000;
	if (last_tick.tv_nsec >= 1000000000) {
		last_tick.tv_sec++;
		last_tick.tv_nsec -= 1000000000;
	}
	usrsctp_handle_timers((uint32_t)ms);
}

static void
sctpc_fail(struct sctpc *s, const char *why)
{
	if (s->down)
		return;
	s->down = 1;
	if (s->cb.down != NULL)
		s->cb.down(s->cb.arg, why);
}

static void
sctpc_notification(struct sctpc *s, const union sctp_notification *n, size_t len)
{
	if (len < sizeof(n->sn_header) || n->sn_header.sn_length > len)
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof(n->sn_assoc_change))
			return;
		switch (n->sn_assoc_change.sac_state) {
		case SCTP_COMM_UP:
			if (!s->up) {
				s->up = 1;
				if (s->cb.up != NULL)
					s->cb.up(s->cb.arg);
			}
			break;
		case SCTP_COMM_LOST:
			sctpc_fail(s, "SCTP association lost");
			break;
		case SCTP_SHUTDOWN_COMP:
			sctpc_fail(s, "SCTP shutdown");
			break;
		case SCTP_CANT_STR_ASSOC:
			sctpc_fail(s, "SCTP association could not start");
			break;
		}
		break;
	case SCTP_SHUTDOWN_EVENT:
		sctpc_fail(s, "SCTP shutdown by peer");
		break;
	case SCTP_STREAM_RESET_EVENT:
		/* A browser closes a data channel by resetting its stream; we carry one. */
		if (len >= sizeof(n->sn_strreset_event) &&
		    (n->sn_strreset_event.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN))
			sctpc_fail(s, "data channel closed by peer");
		break;
	}
}

static void
sctpc_data(struct sctpc *s, const uint8_t *p, size_t n, const struct sctp_rcvinfo *rcv, int flags)
{
	uint32_t ppid = ntohl(rcv->rcv_ppid);
	uint8_t *nb;
	size_t cap;

	if (s->msglen == 0 && (flags & MSG_EOR)) {
		if (n > s->o.max_msg) {
			sctpc_fail(s, "message over the size limit");
			return;
		}
		s->cb.message(s->cb.arg, rcv->rcv_sid, ppid, p, n);
		return;
	}
	if (n > s->o.max_msg - s->msglen) {
		sctpc_fail(s, "message over the size limit");
		return;
	}
	if (s->msglen + n > s->msgcap) {
		cap = s->msgcap ? s->msgcap : 16384;
		while (cap < s->msglen + n)
			cap *= 2;
		if (cap > s->o.max_msg)
			cap = s->o.max_msg;
		if ((nb = realloc(s->msg, cap)) == NULL) {
			sctpc_fail(s, "out of memory");
			return;
		}
		s->msg = nb;
		s->msgcap = cap;
	}
	memcpy(s->msg + s->msglen, p, n);
	s->msglen += n;
	s->msgsid = rcv->rcv_sid;
	s->msgppid = ppid;
	if (flags & MSG_EOR) {
		n = s->msglen;
		s->msglen = 0;
		s->cb.message(s->cb.arg, s->msgsid, s->msgppid, s->msg, n);
	}
}

/* Read what usrsctp holds, unless paused: messages, parts of them, notifications. */
static void
sctpc_read(struct sctpc *s)
{
	static uint8_t buf[SCTPC_READ_MAX];
	struct sctp_rcvinfo rcv;
	socklen_t infolen;
	unsigned int infotype;
	int flags;
	ssize_t n;

	while (!s->down && !s->paused) {
		infolen = sizeof(rcv);
		infotype = 0;
		flags = 0;
		memset(&rcv, 0, sizeof(rcv));
		n = usrsctp_recvv(s->so, buf, sizeof(buf), NULL, NULL, &rcv, &infolen, &infotype, &flags);
		if (n < 0) {
			if (errno != EWOULDBLOCK && errno != EAGAIN && errno != ENOTCONN) {
				snprintf(s->err, sizeof(s->err), "SCTP receive: %s", strerror(errno));
				sctpc_fail(s, s->err);
			}
			return;
		}
		if (n == 0) {
			sctpc_fail(s, "SCTP association closed");
			return;
		}
		if (flags & MSG_NOTIFICATION)
			sctpc_notification(s, (const union sctp_notification *)(void *)buf, (size_t)n);
		else if (infotype == SCTP_RECVV_RCVINFO)
			sctpc_data(s, buf, (size_t)n, &rcv, flags);
	}
}

/* usrsctp says the socket changed: readable, writable, or an error. */
static void
sctpc_upcall(struct socket *so, void *ulp, int unused)
{
	struct sctpc *s = sctpc_find((uintptr_t)ulp);
	int ev;

	(void)unused;
	if (s == NULL || s->down || s->in_upcall)
		return;
	s->in_upcall = 1;
	if (usrsctp_get_events(so) & SCTP_EVENT_READ)
		sctpc_read(s);
	ev = usrsctp_get_events(so); /* again: reading may have freed send space too */
	if ((ev & SCTP_EVENT_WRITE) && s->blocked && !s->down) {
		s->blocked = 0;
		if (s->cb.writable != NULL)
			s->cb.writable(s->cb.arg);
	}
	if ((ev & SCTP_EVENT_ERROR) && !s->down)
		sctpc_fail(s, "SCTP socket error");
	s->in_upcall = 0;
}

static int
sctpc_setup(struct sctpc *s)
{
	static const uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT,
		                           SCTP_STREAM_RESET_EVENT, SCTP_REMOTE_ERROR };
	struct linger lin = { 1, 0 };
	struct sctp_assoc_value av = { .assoc_id = SCTP_ALL_ASSOC,
		                       .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ };
	struct sctp_initmsg init = { .sinit_num_ostreams = SCTPC_STREAMS,
		                     .sinit_max_instreams = SCTPC_STREAMS };
	struct sctp_paddrparams pp;
	struct sctp_event ev;
	int one = 1;
	size_t i;

	if (usrsctp_set_non_blocking(s->so, 1) < 0 ||
	    usrsctp_setsockopt(s->so, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)) < 0 ||
	    usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av)) < 0 ||
	    usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one)) < 0 ||
	    usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one)) < 0 ||
	    usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.se_assoc_id = SCTP_ALL_ASSOC;
	ev.se_on = 1;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		ev.se_type = events[i];
		if (usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)) < 0)
			return -1;
	}
	memset(&pp, 0, sizeof(pp));
	pp.spp_flags = SPP_PMTUD_DISABLE | (s->o.hb_ms ? SPP_HB_ENABLE : 0);
	pp.spp_pathmtu = SCTPC_MTU;
	pp.spp_hbinterval = s->o.hb_ms;
	if (usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)) < 0)
		return -1;
	return 0;
}

struct sctpc *
sctpc_new(const struct sctpc_opts *o, const struct sctpc_cb *cb, char *err, size_t errlen)
{
	struct sctpc *s;
	struct sockaddr_conn sc;

	if (!inited && sctpc_global_init() < 0) {
		snprintf(err, errlen, "usrsctp init");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cb = *cb;
	s->o = *o;
	if (s->o.max_msg == 0)
		s->o.max_msg = 65536;
	s->id = next_id++;
	s->next = live;
	live = s;
	usrsctp_register_address((void *)s->id);
	s->so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (s->so == NULL || sctpc_setup(s) < 0 ||
	    usrsctp_set_upcall(s->so, sctpc_upcall, (void *)s->id) < 0) {
		snprintf(err, errlen, "usrsctp socket: %s", strerror(errno));
		sctpc_free(s);
		return NULL;
	}
	memset(&sc, 0, sizeof(sc));
	sc.sconn_family = AF_CONN;
	sc.sconn_port = htons(SCTPC_PORT);
	sc.sconn_addr = (void *)s->id;
	if (usrsctp_bind(s->so, (struct sockaddr *)&sc, sizeof(sc)) < 0) {
		snprintf(err, errlen, "usrsctp bind: %s", strerror(errno));
		sctpc_free(s);
		return NULL;
	}
	return s;
}

int
sctpc_connect(struct sctpc *s)
{
	struct sockaddr_conn sc;

	memset(&sc, 0, sizeof(sc));
	sc.sconn_family = AF_CONN;
	sc.sconn_port = htons(SCTPC_PORT);
	sc.sconn_addr = (void *)s->id;
	if (usrsctp_connect(s->so, (struct sockaddr *)&sc, sizeof(sc)) < 0 && errno != EINPROGRESS)
		return -1;
	return 0;
}

void
sctpc_input(struct sctpc *s, const uint8_t *p, size_t n)
{
	if (!s->down)
		usrsctp_conninput((void *)s->id, p, n, 0);
}

ssize_t
sctpc_send(struct sctpc *s, uint16_t sid, uint32_t ppid, int unordered, const void *p, size_t n)
{
	struct sctp_sndinfo si;
	ssize_t w;

	if (s->down || !s->up)
		return -1;
	memset(&si, 0, sizeof(si));
	si.snd_sid = sid;
	si.snd_ppid = htonl(ppid);
	si.snd_flags = SCTP_EOR | (unordered ? SCTP_UNORDERED : 0);
	w = usrsctp_sendv(s->so, p, n, NULL, 0, &si, sizeof(si), SCTP_SENDV_SNDINFO, 0);
	if (w < 0 && (errno == EWOULDBLOCK || errno == EAGAIN)) {
		s->blocked = 1;
		return 0;
	}
	if (w < 0)
		return -1;
	return w;
}

void
sctpc_pause(struct sctpc *s, int paused)
{
	s->paused = paused;
	if (!paused && !s->in_upcall) {
		s->in_upcall = 1;
		sctpc_read(s);
		s->in_upcall = 0;
	}
}

int
sctpc_unacked(struct sctpc *s)
{
	struct sctp_status st;
	socklen_t len = sizeof(st);

	if (s->down || !s->up)
		return 0;
	memset(&st, 0, sizeof(st));
	if (usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_STATUS, &st, &len) < 0)
		return 0;
	return st.sstat_unackdata;
}

void
sctpc_describe(struct sctpc *s, char *buf, size_t len)
{
	struct sctp_status st;
	struct sctpstat c;
	socklen_t sl = sizeof(st);
	int n = 0;

	memset(&st, 0, sizeof(st));
	if (s->up && usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) == 0)
		n = snprintf(buf, len, "srtt %u ms, cwnd %u, peer window %u; ", st.sstat_primary.spinfo_srtt,
		             st.sstat_primary.spinfo_cwnd, st.sstat_rwnd);
	if (n < 0 || (size_t)n >= len)
		n = 0;
	memset(&c, 0, sizeof(c));
	usrsctp_get_stat(&c);
	snprintf(buf + n, len - (size_t)n,
	         "this process: %u DATA chunks retransmitted (%u fast), %u T3 timeouts, %u window probes",
	         c.sctps_sendretransdata, c.sctps_sendfastretrans, c.sctps_timodata, c.sctps_windowprobed);
}

int
sctpc_heartbeat(struct sctpc *s)
{
	struct sctp_paddrparams pp;
	struct sockaddr_conn sc;

	if (s->down || !s->up)
		return -1;
	memset(&pp, 0, sizeof(pp));
	memset(&sc, 0, sizeof(sc));
	sc.sconn_family = AF_CONN;
	sc.sconn_port = htons(SCTPC_PORT);
	sc.sconn_addr = (void *)s->id;
	memcpy(&pp.spp_address, &sc, sizeof(sc));
	pp.spp_flags = SPP_HB_DEMAND;
	return usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp));
}

void
sctpc_shutdown(struct sctpc *s)
{
	if (!s->down && s->up)
		usrsctp_shutdown(s->so, SHUT_RDWR);
}

void
sctpc_free(struct sctpc *s)
{
	struct sctpc **pp;

	if (s == NULL)
		return;
	s->down = 1;
	if (s->so != NULL)
		usrsctp_close(s->so); /* SO_LINGER 0: an ABORT, at once */
	for (pp = &live; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	usrsctp_deregister_address((void *)s->id);
	free(s->msg);
	free(s);
}
