/* SPDX-License-Identifier: MIT */
/* How many cores this process may use, for sizing worker and decoder pools. */
#ifndef CUBEFS_BASE_CPU_H
#define CUBEFS_BASE_CPU_H

/* The cores this process may run on (its CPU affinity, as taskset sets
 * it; else the online cores), at least 1; read once, on the first call.
 * Thread-safe. */
int cpu_count(void);

#endif
