/* SPDX-License-Identifier: MIT */
/* A thread that calls a function every so many seconds until stopped. */
#ifndef CUBEFS_BASE_TICKER_H
#define CUBEFS_BASE_TICKER_H

#include <pthread.h>

struct ticker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int seconds, stop, running;
	void (*fn)(void *arg);
	void *arg;
};

/*
 * Starts a thread that calls fn(arg) every `seconds` seconds (the first
 * call one period after the start) until ticker_stop(). t is the
 * caller's, zeroed or not. Returns 0 or a negative errno (nothing
 * started).
 */
int ticker_start(struct ticker *t, int seconds, void (*fn)(void *arg),
		 void *arg);

/* Stops the thread and waits for a call in progress to end; a ticker
 * never started (zeroed) or already stopped is left as it is. */
void ticker_stop(struct ticker *t);

#endif
