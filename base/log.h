/* SPDX-License-Identifier: MIT */
/* One place for messages: stderr or syslog, with a verbosity level. */
#ifndef CUBEFS_BASE_LOG_H
#define CUBEFS_BASE_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Messages above `level` are dropped. Default: LOG_LVL_WARN. */
void log_set_level(enum log_level level);

/* Sends messages to syslog instead of stderr (for a daemon). */
void log_use_syslog(int on);

/* Prints "cubefs: <message>\n" (no trailing newline in fmt). Thread-safe. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
