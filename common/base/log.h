/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics on stderr, one line each, prefixed with the program name.
 * stdout is data; nothing here writes to it. Never pass secrets or
 * payload bytes to these functions.
 */
#ifndef PW_LOG_H
#define PW_LOG_H

#include <stdnoreturn.h>

enum log_level { LOG_LVL_QUIET = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

void log_init(const char *progname, int level);
void log_set_level(int level);
int log_get_level(void);
const char *log_progname(void);

/* log_warn and fatal append strerror(errno). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void fatalx(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
