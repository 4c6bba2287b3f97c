/* SPDX-License-Identifier: MIT */
/* Preloaded under valgrind only: libhwy (libavcodec -> libjxl) times itself with an instruction valgrind 3.19 cannot run. */
#include <stdint.h>

/*
 * hwy::platform::TimerResolution(), called by libhwy's constructor when
 * libavcodec is loaded, executes RDTSCP and valgrind stops the process
 * with SIGILL. This definition takes its place (the call goes through
 * the PLT); nothing cubefs runs uses the value.
 */
uint64_t _ZN3hwy8platform15TimerResolutionEv(void);
uint64_t _ZN3hwy8platform15TimerResolutionEv(void)
{
	return 1;
}
