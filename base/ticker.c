/* SPDX-License-Identifier: MIT */
/* A thread that calls a function every so many seconds until stopped. */
#include <errno.h>
#include <time.h>

#include "base/ticker.h"

static void *tick(void *arg)
{
	struct ticker *t = arg;
	struct timespec until;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += t->seconds;
		while (!t->stop && pthread_cond_timedwait(&t->cond, &t->lock,
							  &until) != ETIMEDOUT)
			;
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->lock);
		t->fn(t->arg);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int ticker_start(struct ticker *t, int seconds, void (*fn)(void *arg),
		 void *arg)
{
	int rc;

	*t = (struct ticker){ .seconds = seconds, .fn = fn, .arg = arg };
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	rc = pthread_create(&t->thread, NULL, tick, t);
	if (rc) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		return -rc;
	}
	t->running = 1;
	return 0;
}

void ticker_stop(struct ticker *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	t->running = 0;
}
