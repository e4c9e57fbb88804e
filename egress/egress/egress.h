/* SPDX-License-Identifier: MIT */
/*
 * State shared by the egress main program and its connection module:
 * the configuration after option parsing, and the live objects (loop,
 * resolver, event sink, the list of connections) that main creates and
 * tears down. Connections find it through their egress pointer; there
 * are no globals.
 */
#ifndef PW_EGRESS_EGRESS_H
#define PW_EGRESS_EGRESS_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "users.h"
#include "net/admin.h"
#include "net/net.h"
#include "policy.h"

#define EGRESS_LISTEN_MAX 16
#define EGRESS_BACKLOG 512
#define EGRESS_MAX_CONNS_DEFAULT 1024
#define EGRESS_MAX_PER_SOURCE_DEFAULT 64
#define EGRESS_MAX_STREAMS_DEFAULT 8192
#define EGRESS_MAX_SESSION_STREAMS_DEFAULT 512
#define EGRESS_MAX_SOURCE_STREAMS_DEFAULT 2048
#define EGRESS_MAX_SOURCE_SESSIONS_DEFAULT 256
/* --max-memory: what all sessions may hold (KCP, smux), sized for a small VPS. */
#define EGRESS_MAX_MEMORY_DEFAULT ((uint64_t)384 << 20)
#define EGRESS_MAX_MEMORY_MIN ((uint64_t)4 << 20)
#define EGRESS_MAX_MEMORY_MAX ((uint64_t)1 << 40)
#define EGRESS_CONNECT_TIMEOUT_DEFAULT 10.0
#define EGRESS_HANDSHAKE_TIMEOUT_DEFAULT 10.0
/* A relay (SOCKS5 or session stream) silent both ways this long closes. */
#define EGRESS_IDLE_TIMEOUT_DEFAULT 3600.0
#define EGRESS_DRAIN_TIMEOUT_DEFAULT 30.0
/* --max-auth-failures: credential failures one source may have per window. */
#define EGRESS_MAX_AUTH_FAILURES_DEFAULT 10
#define EGRESS_AUTH_WINDOW 60.0
/* The destination phase (resolution and every attempt) gets this many connect timeouts. */
#define EGRESS_CONNECT_BUDGET 3

struct conn;
struct evsink;
struct dns;
struct tt;
struct tlsmem_ctx;
struct wsl;

struct egress_listen {
	struct listener l;
	struct egress *eg;
	int trusted; /* accept a PROXY v2 header (or ws ?client_ip=) from this listener's peers */
	int ws;      /* a WebSocket listener (wsl.c): Snowflake's relay */
	int socks;   /* ,socks: plain SOCKS5 (no user) even with --users */
	const struct endpoint *upstream; /* ,upstream=: plaintext sessions of its carriers go there */
	struct endpoint upstream_ep;
	char name[ENDPOINT_STR_MAX];
};

/* KCP counters summed over sessions (admin metrics). */
struct tt_kcp_totals {
	uint64_t retrans;   /* segments sent again: timeouts and fast retransmissions */
	uint64_t win_drops; /* segments beyond a receive window, dropped */
	uint64_t mem_drops; /* segments the memory budget refused, dropped */
};

struct egress {
	struct ev_loop *loop;

	/* configuration */
	struct policy policy;
	size_t max_conns;           /* inbound connections: SOCKS5 and carriers */
	size_t max_per_source;      /* of those, per source address (0: none) */
	size_t max_streams;         /* session streams in all */
	size_t max_session_streams; /* session streams of one session */
	size_t max_source_streams;  /* session streams of one source's sessions */
	size_t max_source_sessions; /* sessions one source started */
	uint64_t max_memory;        /* bytes all sessions may hold */
	double connect_timeout, handshake_timeout, idle_timeout, drain_timeout;
	const char *events_spec;
	const struct endpoint *upstream; /* --upstream: session streams carry no prefix */
	size_t max_sessions;
	const char *key_path;       /* --key: serve secure sessions */
	const char *users_path;     /* --users: who may */
	size_t max_auth_failures;   /* per source per EGRESS_AUTH_WINDOW (0: none) */

	/* live objects */
	struct egress_listen listen[EGRESS_LISTEN_MAX];
	size_t nlisten;
	struct dns *resolver;
	struct evsink *events; /* NULL without --events */
	struct conn *conns;    /* every open connection, for drain and abort */
	size_t nconns;         /* SOCKS5 connections and session streams */
	size_t ninbound;       /* SOCKS5 connections and carriers: --max-conns */
	size_t nstreams;       /* session streams: --max-streams */
	struct limits lim;     /* per-source connections, refusal counters */
	struct limits lim_streams; /* per-source session streams */
	struct limits lim_sessions; /* per-source sessions */
	struct admin admin;    /* --admin */
	int has_admin;
	int draining;          /* no longer accepting; break the loop at zero conns */
	struct tt *tt;         /* Turbo Tunnel clients and carriers */
	struct tlsmem_ctx *tls; /* the key's server context; NULL without --key */
	char fingerprint[80];  /* "sha256:HEX" of --key */
	struct users users;    /* --users */
	struct limits lim_auth; /* per-source credential failures in this window */
	double auth_window;    /* when the window started */
	struct wsl *wsls;      /* WebSocket connections (wsl.c) */
	size_t nwsl;
	uint64_t datagrams_in; /* session datagrams handed to a session (admin metrics) */
	struct tt_kcp_totals kcp_ended; /* KCP counters of the sessions that ended */
};

#endif
