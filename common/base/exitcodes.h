/* SPDX-License-Identifier: MIT */
/*
 * Exit statuses shared by every pipeworks program (qmail/s6 convention).
 * Every man page lists them in EXIT STATUS.
 */
#ifndef PW_EXITCODES_H
#define PW_EXITCODES_H

#define EX_PW_OK 0
#define EX_PW_USAGE 100    /* usage error or bad input */
#define EX_PW_INTERNAL 101 /* bug or resource exhaustion */
#define EX_PW_TEMP 111     /* temporary failure: network, peer */

#endif
