/* SPDX-License-Identifier: MIT */
/* Read-ahead: the request queue and the low-priority worker pool. */
#include <errno.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/cpu.h"
#include "codec/video.h"
#include "fs/prefetch.h"

/* A worker's decodes (and the codec threads they start, which inherit
 * it) yield to the reads' own: a nice value well above theirs. */
#define PF_NICE 10

int prefetch_init(struct prefetch *pf)
{
	*pf = (struct prefetch){ 0 };
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->cond, NULL);
	pthread_cond_init(&pf->idle, NULL);
	return 0;
}

static void *worker(void *arg)
{
	struct prefetch *pf = arg;

#ifdef __linux__
	/* Linux's nice is per thread: this one and what it creates. If it
	 * is not allowed, read-ahead just competes on equal terms. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), PF_NICE);
#endif
	pthread_mutex_lock(&pf->lock);
	while (!pf->stop) {
		uint64_t key, off, len, ahead;

		if (!pf->n) {
			pthread_cond_wait(&pf->cond, &pf->lock);
			continue;
		}
		/* from where the reader is now (its reads moved the request
		 * on): the GOPs it left, and the cache let go, are not
		 * decoded again */
		key = pf->q[pf->head].key;
		off = pf->q[pf->head].off;
		len = pf->q[pf->head].len;
		pf->head = (pf->head + 1) % PF_QUEUE;
		pf->n--;
		pf->busy++;
		pthread_mutex_unlock(&pf->lock);
		/* four times as far ahead as the reader has come (as the
		 * kernel's first read-ahead window), up to the span: a short
		 * run is not followed by much it will not read */
		ahead = len < pf->span / 4 ? 4 * len : pf->span;
		pf->fn(pf->arg, key, off, ahead);
		pthread_mutex_lock(&pf->lock);
		if (!--pf->busy && !pf->n)
			pthread_cond_broadcast(&pf->idle);
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

int prefetch_start(struct prefetch *pf, uint64_t span, prefetch_fn fn,
		   void *arg)
{
	int n = cpu_count() > PF_WORKERS ? PF_WORKERS : cpu_count();

	pf->span = span;
	pf->fn = fn;
	pf->arg = arg;
	for (; pf->running < n; pf->running++) {
		int rc = pthread_create(&pf->thread[pf->running], NULL, worker,
					pf);

		if (rc && !pf->running)
			return -rc;
		if (rc)
			break;
	}
	return 0;
}

int prefetch_note(struct prefetch *pf, uint64_t key, uint64_t off,
		  size_t got, const struct read_hint *h)
{
	int i, at;

	if (!pf->running || !got)
		return 0;
	/* the kernel cuts one large read into requests of its read-ahead
	 * window: only a run longer than any single read is a sequential
	 * reader, or one from the start (within its first MiB: the data
	 * after a header), as the kernel guesses */
	if (h->len < PF_RUN && !(h->from < PF_FIRST && h->len >= PF_FIRST))
		return 0;
	pthread_mutex_lock(&pf->lock);
	at = (pf->head + pf->n) % PF_QUEUE;
	for (i = 0; i < pf->n; i++)
		if (pf->q[(pf->head + i) % PF_QUEUE].run == h->run)
			break;
	if (i < pf->n) {
		/* the run's waiting request moves on with it (its reads
		 * arrive a little out of order: never back) */
		at = (pf->head + i) % PF_QUEUE;
		if (off + got > pf->q[at].off)
			pf->q[at].off = off + got;
		pf->q[at].len = h->len;
		pthread_cond_signal(&pf->cond);
	} else if (pf->n < PF_QUEUE) {
		pf->n++;
		pf->q[at].key = key;
		pf->q[at].run = h->run;
		pf->q[at].off = off + got;
		pf->q[at].len = h->len;
		pthread_cond_signal(&pf->cond);
	}
	pthread_mutex_unlock(&pf->lock);
	return 1;
}

int prefetch_wait_idle(struct prefetch *pf, int timeout_ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&pf->lock);
	while (pf->running && (pf->n || pf->busy) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&pf->idle, &pf->lock, &until);
	rc = pf->running && (pf->n || pf->busy) ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&pf->lock);
	return rc;
}

void prefetch_release(struct prefetch *pf)
{
	if (pf->running) {
		pthread_mutex_lock(&pf->lock);
		pf->stop = 1;
		pthread_cond_broadcast(&pf->cond);
		pthread_mutex_unlock(&pf->lock);
		for (int i = 0; i < pf->running; i++)
			pthread_join(pf->thread[i], NULL);
		pf->running = 0;
	}
	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->cond);
	pthread_cond_destroy(&pf->idle);
}
