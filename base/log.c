/* SPDX-License-Identifier: MIT */
/* Messages to stderr or syslog, filtered by level. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "base/log.h"

static enum log_level max_level = LOG_LVL_WARN;
static int to_syslog;

void log_set_level(enum log_level level)
{
	max_level = level;
}

void log_use_syslog(int on)
{
	to_syslog = on;
	if (on)
		openlog("cubefs", LOG_PID, LOG_DAEMON);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (to_syslog)
		syslog(prio[level], "%s", line);
	else
		fprintf(stderr, "cubefs: %s\n", line);
}
