/* SPDX-License-Identifier: MIT */
/* How many cores this process may use, for sizing worker and decoder pools. */
#ifndef CUBEFS_BASE_CPU_H
#define CUBEFS_BASE_CPU_H

/* The online cores, at least 1. Thread-safe. */
int cpu_count(void);

#endif
