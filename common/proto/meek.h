/* SPDX-License-Identifier: MIT */
/*
 * meek wire constants shared by meek-client and meek-server: the headers
 * of lantern-box meek-v1 and classic Tor meek, and their limits
 * (reference: lantern-box protocol/meek, Tor meek; pipeworks-protocol(5)).
 * Header names are matched case-insensitively on the wire.
 */
#ifndef PW_MEEK_H
#define PW_MEEK_H

#define MEEK_HDR_SESSION "X-Session-Id"
#define MEEK_HDR_SEQ "X-Meek-Seq"
#define MEEK_HDR_MAX_BODY "X-Meek-Max-Body"
#define MEEK_HDR_AUTH "X-Meek-Auth"
#define MEEK_HDR_IP "Meek-IP"
#define MEEK_HDR_PIPELINE "X-Meek-Pipeline" /* pipelining extension, proto/meekpipe.h */

#define MEEK_SESSION_ID_MIN 8    /* classic meek accepts any id this long */
#define MEEK_SESSION_ID_MAX 64   /* longer ids are refused before a lookup */
#define MEEK_SESSION_ID_HEX 32   /* what meek-client sends: 16 random bytes */

#define MEEK_BODY_DEFAULT 262144 /* meek-v1 MaxBodyBytes, both directions */
#define MEEK_BODY_LEGACY 65536   /* response cap without X-Meek-Max-Body; classic meek */
#define MEEK_BODY_MAX 4194304    /* largest --max-body either side accepts */

#define MEEK_HOLDOFF_MS 50           /* server: wait for downstream before an empty answer */
#define MEEK_IDLE_TIMEOUT_S 300      /* server: reap a session without a POST */
#define MEEK_BACKLOG_MAX 1048576     /* client: stdin is not read past this backlog */
#define MEEK_POLL_RETRIES 4          /* client: retries of one poll, same seq and body */
#define MEEK_RETRY_BACKOFF_MS 250    /* client: × attempt */
#define MEEK_POLL_MIN_MS 100         /* client: first idle poll interval */
#define MEEK_POLL_MAX_MS 5000        /* client: idle poll interval cap (× 1.5 per idle poll) */

/* The pipelining extension (X-Meek-Pipeline), both sides. */
#define MEEK_PIPE_VERSION 1
#define MEEK_PIPE_WINDOW_MAX 16      /* requests of one session in flight, at most */
#define MEEK_PIPE_WINDOW_DEFAULT 8   /* what each side offers unless told otherwise */
#define MEEK_HOLD_DEFAULT_MS 1000    /* server: hold an empty poll this long */
#define MEEK_HOLD_MAX_MS 2000        /* ... never longer */

#endif
