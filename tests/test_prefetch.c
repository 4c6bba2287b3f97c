/* SPDX-License-Identifier: MIT */
/* Tests of read-ahead: requests only for sequential runs, from where each reader is, by low-priority workers. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "fs/prefetch.h"
#include "fs/runs.h"

#define MIB (1ull << 20)
#define MAX_CALLS 64

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n, nice;
	struct { uint64_t key, off, len; } call[MAX_CALLS];
} seen = { .lock = PTHREAD_MUTEX_INITIALIZER,
	    .cond = PTHREAD_COND_INITIALIZER };

static void record(void *arg, uint64_t key, uint64_t off, uint64_t len)
{
	(void)arg;
	pthread_mutex_lock(&seen.lock);
	if (seen.n < MAX_CALLS) {
		seen.call[seen.n].key = key;
		seen.call[seen.n].off = off;
		seen.call[seen.n].len = len;
	}
	seen.n++;
	errno = 0;
	seen.nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	pthread_cond_broadcast(&seen.cond);
	pthread_mutex_unlock(&seen.lock);
}

/* Waits (at most 10 s) for the workers to have made n calls. */
static int wait_calls(int n)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&seen.lock);
	while (seen.n < n && rc == 0)
		rc = pthread_cond_timedwait(&seen.cond, &seen.lock, &until);
	n = seen.n;
	pthread_mutex_unlock(&seen.lock);
	return n;
}

/* Waits (at most 10 s) for a call asking for `ahead` bytes ahead. */
static int wait_ahead(uint64_t ahead)
{
	struct timespec until;
	int rc = 0, found = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&seen.lock);
	while (!found && rc == 0) {
		for (int i = 0; i < seen.n && i < MAX_CALLS; i++)
			found |= seen.call[i].len == ahead;
		if (!found)
			rc = pthread_cond_timedwait(&seen.cond, &seen.lock,
						    &until);
	}
	pthread_mutex_unlock(&seen.lock);
	return found;
}

static void reset(void)
{
	pthread_mutex_lock(&seen.lock);
	seen.n = 0;
	seen.nice = -100;
	pthread_mutex_unlock(&seen.lock);
}

/* A read of got bytes of key at off, noted as fs_read() does: the
 * tracker's hint, then read-ahead. */
static void note(struct prefetch *pf, uint64_t key, uint64_t off,
		 uint64_t got)
{
	static struct runs *runs;	/* the read path's tracker */
	struct read_hint h;

	if (!runs)
		runs = runs_new(64);
	assert_non_null(runs);
	runs_hint(runs, key, off, got, &h);
	prefetch_note(pf, key, off, got, &h);
}

/* Reads of 1 MiB from off, n of them, as the kernel sends a reader's. */
static void read_run(struct prefetch *pf, uint64_t key, uint64_t off, int n)
{
	for (int i = 0; i < n; i++)
		note(pf, key, off + (uint64_t)i * MIB, MIB);
}

static void prefetch_only_sequential_runs(void **state)
{
	static struct prefetch pf;	/* outlives a failed test's workers */
	int runs = (int)(PF_RUN / MIB);

	(void)state;
	reset();
	assert_int_equal(prefetch_init(&pf), 0);
	assert_int_equal(prefetch_start(&pf, 256 * MIB, record, NULL), 0);
	/* random reads, however many: nothing ahead */
	for (int i = 1; i < 3 * runs; i++)
		note(&pf, 5, (uint64_t)((i * 37) % 101) * 4 * MIB, MIB);
	/* a run one read short of PF_RUN: nothing either */
	read_run(&pf, 5, 1000 * MIB, runs - 1);
	assert_int_equal(prefetch_wait_idle(&pf, 10000), 0);
	assert_int_equal(seen.n, 0);
	/* the read that makes the run PF_RUN long: four times that ahead */
	read_run(&pf, 5, (1000 + (uint64_t)runs - 1) * MIB, 1);
	assert_int_equal(wait_calls(1), 1);
	assert_int_equal(seen.call[0].key, 5);
	assert_int_equal(seen.call[0].off, (1000 + (uint64_t)runs) * MIB);
	assert_int_equal(seen.call[0].len, 4 * PF_RUN);
	/* the window grows with the run, up to the span */
	read_run(&pf, 5, (1000 + (uint64_t)runs) * MIB, runs);
	assert_true(wait_ahead(8 * PF_RUN));
	read_run(&pf, 5, (1000 + 2 * (uint64_t)runs) * MIB, 6 * runs);
	assert_true(wait_ahead(256 * MIB));
	pthread_mutex_lock(&seen.lock);
	for (int i = 0; i < seen.n && i < MAX_CALLS; i++)
		assert_true(seen.call[i].len <= 256 * MIB);
	pthread_mutex_unlock(&seen.lock);
	prefetch_release(&pf);
}

/* A read of a MiB from the start of a file (dd, cp, np.load) is a
 * sequential reader's first: the workers start at once. A smaller one
 * (numpy reading a header) is not. */
static void prefetch_from_the_start(void **state)
{
	static struct prefetch pf;	/* outlives a failed test's workers */

	(void)state;
	reset();
	assert_int_equal(prefetch_init(&pf), 0);
	assert_int_equal(prefetch_start(&pf, 64 * MIB, record, NULL), 0);
	note(&pf, 7, 0, 4096);
	note(&pf, 6, 0, PF_FIRST / 2);
	note(&pf, 8, PF_FIRST, PF_FIRST);	/* not the start */
	assert_int_equal(prefetch_wait_idle(&pf, 10000), 0);
	assert_int_equal(seen.n, 0);
	/* the data after a header of a page */
	note(&pf, 9, 4096, PF_FIRST);
	assert_int_equal(wait_calls(1), 1);
	assert_int_equal(seen.call[0].key, 9);
	reset();
	note(&pf, 4, 0, PF_FIRST);
	assert_int_equal(wait_calls(1), 1);
	assert_int_equal(seen.call[0].key, 4);
	assert_int_equal(seen.call[0].off, PF_FIRST);
	assert_int_equal(seen.call[0].len, 4 * PF_FIRST);
	prefetch_release(&pf);
}

/* Two readers of one file at different places, their reads
 * interleaved: both are read ahead of, each from where it is. */
static void prefetch_interleaved_readers_both_ahead(void **state)
{
	static struct prefetch pf;	/* outlives a failed test's workers */
	int runs = (int)(PF_RUN / MIB), got;
	int a = 0, b = 0;

	(void)state;
	reset();
	assert_int_equal(prefetch_init(&pf), 0);
	assert_int_equal(prefetch_start(&pf, 8 * MIB, record, NULL), 0);
	for (int i = 0; i < runs; i++) {
		read_run(&pf, 9, (64 + (uint64_t)i) * MIB, 1);
		read_run(&pf, 9, (512 + (uint64_t)i) * MIB, 1);
	}
	got = wait_calls(2);
	/* and no more: all that was noted is done */
	assert_int_equal(prefetch_wait_idle(&pf, 10000), 0);
	assert_int_equal(seen.n, 2);
	for (int i = 0; i < got && i < MAX_CALLS; i++) {
		assert_int_equal(seen.call[i].key, 9);
		a += seen.call[i].off == (64 + (uint64_t)runs) * MIB;
		b += seen.call[i].off == (512 + (uint64_t)runs) * MIB;
	}
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);
	prefetch_release(&pf);
}

/* The workers yield to the threads serving reads: a lower priority. */
static void prefetch_workers_run_below_readers(void **state)
{
	static struct prefetch pf;	/* outlives a failed test's workers */

	(void)state;
	reset();
	assert_int_equal(prefetch_init(&pf), 0);
	assert_int_equal(prefetch_start(&pf, MIB, record, NULL), 0);
	/* away from the start, so that only the run's last read asks: a
	 * worker quick to take a request cannot make it two */
	read_run(&pf, 3, 100 * MIB, (int)(PF_RUN / MIB));
	assert_int_equal(wait_calls(1), 1);
	assert_true(seen.nice > getpriority(PRIO_PROCESS, (id_t)gettid()));
	prefetch_release(&pf);
}

/* Without workers, notes do nothing; release is safe. */
static void prefetch_without_workers(void **state)
{
	static struct prefetch pf;	/* outlives a failed test's workers */

	(void)state;
	reset();
	assert_int_equal(prefetch_init(&pf), 0);
	read_run(&pf, 3, 0, 2 * (int)(PF_RUN / MIB));
	assert_int_equal(seen.n, 0);
	prefetch_release(&pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefetch_only_sequential_runs),
		cmocka_unit_test(prefetch_from_the_start),
		cmocka_unit_test(prefetch_interleaved_readers_both_ahead),
		cmocka_unit_test(prefetch_workers_run_below_readers),
		cmocka_unit_test(prefetch_without_workers),
	};

	return cmocka_run_group_tests_name("prefetch", tests, NULL, NULL);
}
