/* SPDX-License-Identifier: MIT */
/* How many cores this process may use, for sizing worker and decoder pools. */
#include <limits.h>
#include <unistd.h>

#include "base/cpu.h"

int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}
