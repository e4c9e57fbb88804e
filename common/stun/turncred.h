/* SPDX-License-Identifier: MIT */
/*
 * A TURN credentials file (lanturn-client's --credentials-file): one line per
 * TURN server, operator-minted TURN REST credentials (coturn's
 * use-auth-secret: username "EXPIRY[:ID]", password the base64
 * HMAC-SHA1 of it under that coturn's secret). A client never holds the
 * secret itself.
 *
 *   turn:HOST[:PORT] USERNAME PASSWORD
 *   turns:HOST[:PORT] USERNAME PASSWORD
 *
 * Fields are separated by spaces or tabs; lines end in "\n" (a "\r"
 * before it is dropped); blank lines and lines starting with "#" are
 * skipped. USERNAME and PASSWORD are printable ASCII without blanks. A
 * turns: server that is the TLS listener of a turn: server (the same
 * coturn) may go without a line of its own: the caller names that
 * turn: server as the alternative.
 *
 * turncred_line is the pure parser, one line at a time. turncred_find
 * reads the file (at most TURNCRED_FILE_MAX bytes) and keeps only the
 * line asked for; every other byte read is wiped before it returns, and
 * the caller wipes the entry once the TURN client has taken it. The file
 * is read at every new call, so an operator may rewrite it with fresh
 * short-lived credentials while the carrier runs.
 */
#ifndef PW_TURNCRED_H
#define PW_TURNCRED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/stun.h"
#include "stun/stunuri.h"

#define TURNCRED_LINE_MAX 1400   /* one line, its newline included */
#define TURNCRED_FILE_MAX 65536  /* the whole file */

struct turncred {
	int blank;                 /* a blank or comment line: nothing else is set */
	struct stun_uri uri;
	char user[STUN_USERNAME_MAX + 1];
	char pass[STUN_PASSWORD_MAX + 1];
};

/*
 * One line from p: the bytes consumed (through its "\n") with *c set,
 * 0 when no "\n" is in the first n bytes and n is still under the line
 * limit (need more), -1 with a reason in err. At the end of a file whose
 * last line has no newline, pass that line with a "\n" added.
 */
ssize_t turncred_line(const uint8_t *p, size_t n, struct turncred *c, char *err, size_t errlen);

/*
 * Whether two URIs name the same server for credentials: same scheme
 * kind (turn:/turns:), transport, host and port.
 */
int turncred_same(const struct stun_uri *a, const struct stun_uri *b);

/*
 * Read path and find the credentials for want: its own line, else the
 * line of alt (NULL: none). 1 found (*out set, out->uri = *want), 0 not
 * in the file, -1 with a reason in err (unreadable, too big, a bad line:
 * "line N: why"). Every line is checked, not only the one found.
 */
int turncred_find(const char *path, const struct stun_uri *want, const struct stun_uri *alt,
                  struct turncred *out, char *err, size_t errlen);

/* Wipe the secrets of an entry. */
void turncred_wipe(struct turncred *c);

#endif
