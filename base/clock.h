/* SPDX-License-Identifier: MIT */
/* The two clocks cubefs reads: wall time for stored times, monotonic for rates. */
#ifndef CUBEFS_BASE_CLOCK_H
#define CUBEFS_BASE_CLOCK_H

#include <stdint.h>

/* Nanoseconds since the Unix epoch (CLOCK_REALTIME): what st_mtime and the
 * catalog's created/mtime columns hold. Thread-safe. */
int64_t clock_wall_ns(void);

/* Seconds on CLOCK_MONOTONIC, for elapsed times and rates; never jumps
 * back. Thread-safe. */
double clock_mono_s(void);

#endif
