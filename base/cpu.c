/* SPDX-License-Identifier: MIT */
/* How many cores this process may use, for sizing worker and decoder pools. */
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/cpu.h"

int cpu_count(void)
{
	static atomic_int cached;
	int n = atomic_load(&cached);
	long online;
	cpu_set_t set;

	if (n > 0)
		return n;
	/* the cores of this process's affinity (taskset, cgroups' cpusets),
	 * else the online ones */
	online = sysconf(_SC_NPROCESSORS_ONLN);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set))
		n = CPU_COUNT(&set);
	else
		n = online < 1 ? 1 : online > INT_MAX ? INT_MAX : (int)online;
	atomic_store(&cached, n);
	return n;
}
