/* SPDX-License-Identifier: MIT */
/*
 * meek-server's session object, shared by meek_session.c (the table,
 * the upstream, serial sessions) and meek_pipeline.c (sessions that
 * negotiated the pipelining extension). Nothing else sees inside.
 */
#ifndef PW_MEEK_SESS_H
#define PW_MEEK_SESS_H

#include "base/buf.h"
#include "meeks.h"

enum msess_state { SS_NEW, SS_DIAL, SS_OPEN, SS_EOF, SS_FAILED };

struct msess {
	struct msess *hnext, *prev, *next;
	struct meeks *m;
	enum msess_state st;
	int fd;
	ev_io rd, wr;
	ev_timer timer; /* dial timeout, then the active request's holdoff */
	struct buf up, down; /* growable, freed when empty */
	size_t tent; /* the last tent bytes of up: the active body, not committed yet */
	int hdr;     /* the PROXY header is in up */
	struct sockaddr_storage src, dst; /* client address (limits, PROXY header); ours */
	struct mconn *req, *wait_head, *wait_tail;
	size_t nwait;
	int ready;   /* the active request's body is complete: answer it */
	int wdead;   /* the upstream stopped reading: bodies are dropped, its bytes still read */
	int replay;  /* the active request repeats the last seq */
	int req_has_seq;
	uint64_t req_seq, cap;
	int has_last, last_valid;
	uint64_t last_seq;
	uint8_t *last;
	size_t last_len;
	ev_tstamp active;
	struct mpipe *pipe; /* NULL: a serial session (meek_pipeline.c otherwise) */
	size_t idlen;
	char id[MEEK_SESSION_ID_MAX + 1];
};


void msess_close(struct msess *s, const char *why);
void msess_update(struct msess *s);
void msess_dial(struct msess *s);
void msess_commit(struct msess *s);
/* c becomes the request whose body is read (s->req). */
void msess_activate(struct msess *s, struct mconn *c);
/* Take c out of the waiters: 1, or 0 when it was not there. */
int msess_unwait(struct msess *s, struct mconn *c);
size_t msess_down_limit(const struct msess *s);

/* meek_pipeline.c: the pipelined half, called from meek_session.c. */
int mpipe_new(struct msess *s, const struct meek_req *r);
void mpipe_free(struct msess *s);
int mpipe_enqueue(struct msess *s, struct mconn *c);
void mpipe_detach(struct msess *s, struct mconn *c);
void mpipe_body_done(struct msess *s, struct mconn *c);
/* The upstream gave bytes, closed or failed, or its dial ended: answer what can be. */
void mpipe_pump(struct msess *s);
/* Down bytes already answered and kept for a retry, not to be read over. */
size_t mpipe_down_kept(const struct msess *s);
int mpipe_busy(const struct msess *s);

#endif
