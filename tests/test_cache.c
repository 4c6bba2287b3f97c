/* SPDX-License-Identifier: MIT */
/* Tests of the decoded-GOP cache: hits, LRU eviction by bytes, one decode for many waiters, failures. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fs/cache.h"

static int loads;

static int load_fill(void *arg, struct cache_entry *e, void *dst,
			size_t size, size_t *from, size_t *valid)
{
	(void)e;
	(void)valid;
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	memset(dst, (int)(intptr_t)arg, size);
	*valid = size;
	return 0;
}

/* A read of the first `need` bytes of entry (k1, k2) of 100 bytes
 * (loaded with 1s if missing), which must succeed; the reference is
 * put back. */
static void read_part(struct cache *c, uint64_t k1, uint64_t k2,
		      size_t need)
{
	struct cache_entry *e;

	assert_int_equal(cache_get(c, k1, k2, 100, 0, need, load_fill, (void *)1,
				   &e), 0);
	cache_put(c, e);
}

static void cache_hit_after_miss(void **state)
{
	struct cache *c;
	struct cache_entry *e;
	struct cache_stats st;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(1000, &c), 0);
	assert_int_equal(cache_get(c, 1, 2, 100, 0, 100, load_fill, (void *)7, &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[99], 7);
	cache_put(c, e);
	assert_int_equal(cache_get(c, 1, 2, 100, 0, 100, load_fill, (void *)9, &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[0], 7);
	cache_put(c, e);
	cache_get_stats(c, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.decodes, 1);
	assert_int_equal(st.bytes, 100);
	assert_int_equal(loads, 1);
	cache_free(c);
}

static void cache_evicts_lru_within_budget(void **state)
{
	struct cache *c;
	struct cache_entry *e, *held;
	struct cache_stats st;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(300, &c), 0);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(cache_get(c, 1, (uint64_t)k, 100, 0, 100, load_fill,
					   (void *)1, &e), 0);
		cache_put(c, e);
	}
	/* touch 0 so that 1 is the least recently used */
	read_part(c, 1, 0, 100);
	read_part(c, 1, 3, 100);
	cache_get_stats(c, &st);
	assert_int_equal(st.evictions, 1);
	assert_true(st.bytes <= 300);
	loads = 0;
	read_part(c, 1, 0, 100);
	assert_int_equal(loads, 0);             /* 0 stayed */
	read_part(c, 1, 1, 100);
	assert_int_equal(loads, 1);             /* 1 was evicted */
	/* a referenced entry is never evicted */
	assert_int_equal(cache_get(c, 2, 0, 250, 0, 250, load_fill, (void *)5,
				   &held), 0);
	for (int k = 10; k < 20; k++) {
		assert_int_equal(cache_get(c, 1, (uint64_t)k, 100, 0, 100, load_fill,
					   (void *)1, &e), 0);
		cache_put(c, e);
	}
	assert_int_equal(((const uint8_t *)cache_entry_data(held))[249], 5);
	cache_put(c, held);
	cache_get_stats(c, &st);
	assert_true(st.bytes <= 300);
	cache_free(c);
}

static int load_slow(void *arg, struct cache_entry *e, void *dst,
			size_t size, size_t *from, size_t *valid)
{
	(void)e;
	(void)valid;
	(void)arg;
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	usleep(100000);
	memset(dst, 3, size);
	return 0;
}

static void *reader(void *arg)
{
	struct cache *c = arg;
	struct cache_entry *e;

	if (cache_get(c, 4, 4, 64, 0, 64, load_slow, NULL, &e))
		return (void *)1;
	if (((const uint8_t *)cache_entry_data(e))[63] != 3)
		return (void *)1;
	cache_put(c, e);
	return NULL;
}

static void cache_one_decode_for_concurrent_readers(void **state)
{
	struct cache *c;
	struct cache_stats st;
	pthread_t t[8];

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(1 << 20, &c), 0);
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, reader, c);
	for (int i = 0; i < 8; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(loads, 1);
	cache_get_stats(c, &st);
	assert_int_equal(st.decodes, 1);
	cache_free(c);
}

static int load_fail(void *arg, struct cache_entry *e, void *dst,
			size_t size, size_t *from, size_t *valid)
{
	(void)e;
	(void)valid;
	(void)arg;
	(void)dst;
	(void)size;
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	return -EIO;
}

static void cache_failure_is_remembered(void **state)
{
	struct cache *c;
	struct cache_entry *e;
	struct cache_stats st;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(1000, &c), 0);
	assert_int_equal(cache_get(c, 9, 9, 10, 0, 10, load_fail, NULL, &e), -EIO);
	assert_null(e);
	assert_int_equal(cache_get(c, 9, 9, 10, 0, 10, load_fail, NULL, &e), -EIO);
	assert_int_equal(loads, 1);
	/* other keys still work */
	assert_int_equal(cache_get(c, 9, 8, 10, 0, 10, load_fill, (void *)2, &e), 0);
	cache_put(c, e);
	cache_get_stats(c, &st);
	assert_int_equal(st.errors, 1);
	cache_invalidate(c, 9);
	cache_get_stats(c, &st);
	assert_int_equal(st.bytes, 0);
	cache_free(c);
}

static struct cache *room_cache;
static const void *room_old;

/* Checks that the cache made room before this load, reusing the buffer
 * of the entry it evicted. */
static int load_in_room(void *arg, struct cache_entry *e, void *dst,
			size_t size, size_t *from, size_t *valid)
{
	(void)e;
	(void)valid;
	struct cache_stats st;

	cache_get_stats(room_cache, &st);
	if (st.evictions != 1 || st.bytes + size > st.budget ||
	    dst != room_old)
		return -EINVAL;
	memset(dst, 1, size);
	return 0;
}

static void cache_makes_room_before_a_load(void **state)
{
	struct cache_entry *e;

	(void)state;
	assert_int_equal(cache_new(150, &room_cache), 0);
	assert_int_equal(cache_get(room_cache, 1, 1, 100, 0, 100, load_fill, (void *)2,
				   &e), 0);
	room_old = cache_entry_data(e);
	cache_put(room_cache, e);
	assert_int_equal(cache_get(room_cache, 1, 2, 100, 0, 100, load_in_room, NULL,
				   &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[99], 1);
	cache_put(room_cache, e);
	cache_free(room_cache);
}

static int gate_released, gate_done;

/* A test's loads counted from 0, and the gate closed. */
static void gate_reset(void)
{
	loads = 0;
	gate_released = gate_done = 0;
}

/* Until n loads have started (in other threads). */
static void await_loads(int n)
{
	while (__atomic_load_n(&loads, __ATOMIC_SEQ_CST) < n)
		usleep(1000);
}
static int load_gated(void *arg, struct cache_entry *e, void *dst,
			size_t size, size_t *from, size_t *valid);

static void *gated_loader(void *arg)
{
	struct cache_entry *e;

	if (cache_get(room_cache, 2, 1, 100, 0, 100, load_gated, NULL, &e))
		return (void *)1;
	cache_put(room_cache, e);
	return arg;
}

static void cache_counts_loads_in_progress(void **state)
{
	struct cache_entry *e;
	pthread_t t;
	void *ret;

	(void)state;
	gate_reset();
	assert_int_equal(cache_new(250, &room_cache), 0);
	assert_int_equal(cache_get(room_cache, 2, 0, 100, 0, 100, load_fill, (void *)2,
				   &e), 0);
	room_old = cache_entry_data(e);
	cache_put(room_cache, e);
	loads = 0;
	pthread_create(&t, NULL, gated_loader, NULL);
	await_loads(1);
	/* 100 held + 100 being loaded + 100 more exceed 250: (2, 0) goes */
	assert_int_equal(cache_get(room_cache, 2, 2, 100, 0, 100, load_in_room, NULL,
				   &e), 0);
	cache_put(room_cache, e);
	__atomic_store_n(&gate_released, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, &ret);
	assert_null(ret);
	cache_free(room_cache);
}

/* Loads only once released (or after 5 s, so that a bug cannot hang). */
static int load_gated(void *arg, struct cache_entry *e, void *dst,
			size_t size, size_t *from, size_t *valid)
{
	(void)e;
	(void)valid;
	(void)arg;
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 5000 &&
	     !__atomic_load_n(&gate_released, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	memset(dst, 5, size);
	__atomic_store_n(&gate_done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void *gated_reader(void *arg)
{
	struct cache *c = arg;
	struct cache_entry *e;

	if (cache_get(c, 6, 1, 64, 0, 64, load_gated, NULL, &e))
		return (void *)1;
	cache_put(c, e);
	return NULL;
}

static void cache_load_ahead_skips_what_others_load(void **state)
{
	struct cache *c;
	struct cache_entry *e;
	struct cache_stats st;
	pthread_t t;
	void *ret;

	(void)state;
	gate_reset();
	assert_int_equal(cache_new(1 << 20, &c), 0);
	/* a missing entry is loaded, and left unreferenced */
	assert_int_equal(cache_load_ahead(c, 6, 0, 64, load_fill, (void *)4), 0);
	assert_int_equal(loads, 1);
	assert_int_equal(cache_load_ahead(c, 6, 0, 64, load_fill, (void *)4), 1);
	assert_int_equal(cache_get(c, 6, 0, 64, 0, 64, load_fill, (void *)8, &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[0], 4);
	cache_put(c, e);
	assert_int_equal(loads, 1);
	/* one being loaded by another thread: skipped, not waited for */
	pthread_create(&t, NULL, gated_reader, c);
	await_loads(2);
	assert_int_equal(cache_load_ahead(c, 6, 1, 64, load_fill, NULL), 1);
	/* returned while the other load was still going */
	assert_int_equal(__atomic_load_n(&gate_done, __ATOMIC_SEQ_CST), 0);
	__atomic_store_n(&gate_released, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, &ret);
	assert_null(ret);
	assert_int_equal(loads, 2);
	cache_get_stats(c, &st);
	assert_int_equal(st.decodes, 2);
	assert_int_equal(cache_budget(c), 1 << 20);
	cache_free(c);
}

/* Fails with the error *arg holds, which it then clears; else fills the
 * entry with 7s. */
static int load_flaky(void *arg, struct cache_entry *e, void *dst,
		      size_t size, size_t *from, size_t *valid)
{
	int *err = arg, rc = __atomic_exchange_n(err, 0, __ATOMIC_SEQ_CST);

	(void)e;
	(void)from;
	(void)valid;
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	if (rc)
		return rc;
	memset(dst, 7, size);
	return 0;
}

/*
 * A load that fails for the moment (out of memory or descriptors,
 * interrupted) is not remembered, as damage (-EIO) is: the get that
 * loaded has the error as it was, and the next get loads again.
 */
static void cache_transient_failure_is_retried(void **state)
{
	static const int errs[] = { -ENOMEM, -EMFILE, -ENFILE, -EAGAIN,
				    -EINTR, -ENOSYS };
	struct cache *c;
	struct cache_entry *e;
	struct cache_stats st;
	int err;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(1000, &c), 0);
	for (int i = 0; i < 6; i++) {
		err = errs[i];
		assert_int_equal(cache_get(c, 4, (uint64_t)i, 10, 0, 10,
					   load_flaky, &err, &e), errs[i]);
		assert_null(e);
		assert_int_equal(cache_get(c, 4, (uint64_t)i, 10, 0, 10,
					   load_flaky, &err, &e), 0);
		assert_int_equal(((const uint8_t *)cache_entry_data(e))[9], 7);
		cache_put(c, e);
		assert_int_equal(loads, 2 * (i + 1));
	}
	/* read-ahead's failures too */
	err = -ENOMEM;
	assert_int_equal(cache_load_ahead(c, 4, 9, 10, load_flaky, &err),
			 -ENOMEM);
	assert_int_equal(cache_load_ahead(c, 4, 9, 10, load_flaky, &err), 0);
	cache_get_stats(c, &st);
	assert_int_equal(st.errors, 7);
	assert_int_equal(st.entries, 7);
	assert_int_equal(st.bytes, 70);
	cache_free(c);
}

static struct cache *flaky_cache;
static int flaky_released;

/* Waits at the gate (5 s at most), then fails with -ENOMEM. */
static int load_gated_nomem(void *arg, struct cache_entry *e, void *dst,
			    size_t size, size_t *from, size_t *valid)
{
	(void)arg;
	(void)e;
	(void)dst;
	(void)size;
	(void)from;
	(void)valid;
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 5000 &&
	     !__atomic_load_n(&flaky_released, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	return -ENOMEM;
}

static void *nomem_loader(void *arg)
{
	struct cache_entry *e;

	(void)arg;
	return (void *)(intptr_t)cache_get(flaky_cache, 5, 0, 100, 0, 100,
					   load_gated_nomem, NULL, &e);
}

/* Waits for the key nomem_loader() loads; 0 if it then has it, all 7s. */
static void *flaky_waiter(void *arg)
{
	struct cache_entry *e;
	int rc = cache_get(flaky_cache, 5, 0, 100, 0, 100, load_flaky, arg,
			   &e);

	if (!rc && ((const uint8_t *)cache_entry_data(e))[99] != 7)
		rc = -EBADMSG;
	if (!rc)
		cache_put(flaky_cache, e);
	return (void *)(intptr_t)rc;
}

/*
 * A get waiting for another's load that fails for the moment does not
 * take that error: it looks again and loads the entry itself.
 */
static void cache_waiter_loads_after_a_transient_failure(void **state)
{
	struct cache_stats st;
	pthread_t a, b;
	void *ra, *rb;
	int err = 0;

	(void)state;
	loads = 0;
	flaky_released = 0;
	assert_int_equal(cache_new(1000, &flaky_cache), 0);
	pthread_create(&a, NULL, nomem_loader, NULL);
	await_loads(1);
	pthread_create(&b, NULL, flaky_waiter, &err);
	do {
		usleep(1000);
		cache_get_stats(flaky_cache, &st);
	} while (st.waits < 1);
	__atomic_store_n(&flaky_released, 1, __ATOMIC_SEQ_CST);
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	assert_int_equal((intptr_t)ra, -ENOMEM);
	assert_int_equal((intptr_t)rb, 0);
	assert_int_equal(loads, 2);
	cache_get_stats(flaky_cache, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, 100);
	cache_free(flaky_cache);
}

static struct cache *half_cache;
static int half_done;

/* Hands out its first 40 bytes, then waits at the gate (5 s at most)
 * before the rest; fails there instead if arg is set. */
static int load_in_halves(void *arg, struct cache_entry *e, void *dst,
			  size_t size, size_t *from, size_t *valid)
{
	memset(dst, 3, 40);
	cache_loaded(half_cache, e, 40);
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 5000 &&
	     !__atomic_load_n(&gate_released, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	__atomic_store_n(&half_done, 1, __ATOMIC_SEQ_CST);
	if (arg)
		return -EIO;
	memset((char *)dst + 40, 4, size - 40);
	*valid = size;
	return 0;
}

static void *half_loader(void *arg)
{
	struct cache_entry *e;
	int rc = cache_get(half_cache, 3, arg ? 1 : 0, 100, 0, 100,
			   load_in_halves, arg, &e);

	cache_put(half_cache, e);
	return (void *)(intptr_t)rc;
}

/* Starts a load_in_halves() in thread t (failing if fail is set) and
 * returns once it has handed out its first bytes. */
static void start_half_load(pthread_t *t, void *fail)
{
	loads = 0;
	gate_released = half_done = 0;
	pthread_create(t, NULL, half_loader, fail);
	await_loads(1);
}

/*
 * A reader waiting for bytes a load has handed out goes on with them
 * while the load goes on (a reader waiting on read-ahead's decode gets
 * the first frames as they come). One that needs more waits for the
 * rest. If the load then fails, those who took its first bytes keep
 * them until they let go, and the failure is remembered.
 */
static void cache_hands_out_first_bytes_while_loading(void **state)
{
	struct cache_entry *e;
	const uint8_t *d;
	pthread_t t;
	void *ret;

	(void)state;
	assert_int_equal(cache_new(1 << 20, &half_cache), 0);
	start_half_load(&t, NULL);
	assert_int_equal(cache_get(half_cache, 3, 0, 100, 0, 40, load_fill, NULL,
				   &e), 0);
	assert_int_equal(__atomic_load_n(&half_done, __ATOMIC_SEQ_CST), 0);
	d = cache_entry_data(e);
	assert_int_equal(d[0], 3);
	assert_int_equal(d[39], 3);
	cache_put(half_cache, e);
	__atomic_store_n(&gate_released, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, &ret);
	assert_null(ret);
	assert_int_equal(cache_get(half_cache, 3, 0, 100, 0, 100, load_fill, NULL,
				   &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[99], 4);
	cache_put(half_cache, e);
	assert_int_equal(loads, 1);

	/* the load fails after handing out its first bytes */
	start_half_load(&t, (void *)1);
	assert_int_equal(cache_get(half_cache, 3, 1, 100, 0, 40, load_fill, NULL,
				   &e), 0);
	__atomic_store_n(&gate_released, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, &ret);
	assert_int_equal((intptr_t)ret, -EIO);
	d = cache_entry_data(e);
	assert_int_equal(d[0], 3);      /* still there (ASan: not freed) */
	assert_int_equal(d[39], 3);
	cache_put(half_cache, e);
	assert_int_equal(cache_get(half_cache, 3, 1, 100, 0, 40, load_fill, NULL,
				   &e), -EIO);
	assert_int_equal(loads, 1);
	cache_free(half_cache);
}

static size_t asked[8], asked_from[8];

/* Loads only bytes *from to *valid (what was asked for), each byte's
 * value the load's number. */
static int load_part(void *arg, struct cache_entry *e, void *dst,
		     size_t size, size_t *from, size_t *valid)
{
	int n = __atomic_add_fetch(&loads, 1, __ATOMIC_SEQ_CST);

	(void)e;
	(void)arg;
	asked_from[n & 7] = *from;
	asked[n & 7] = *valid;
	memset(dst, 0xee, size);
	memset((char *)dst + *from, n, *valid - *from);
	return 0;
}

/* A part that does not start at byte 0 (one time step late in a GOP)
 * serves the reads inside it; a read starting before it loads the whole. */
static void cache_loads_a_middle_part(void **state)
{
	struct cache *c;
	struct cache_entry *e;
	const uint8_t *d;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(1000, &c), 0);
	assert_int_equal(cache_get(c, 5, 1, 100, 40, 60, load_part, NULL,
				   &e), 0);
	assert_int_equal(asked_from[1], 40);
	assert_int_equal(asked[1], 60);
	cache_put(c, e);
	assert_int_equal(cache_get(c, 5, 1, 100, 45, 60, load_part, NULL,
				   &e), 0);
	assert_int_equal(loads, 1);
	d = cache_entry_data(e);
	assert_true(d[45] == 1 && d[59] == 1);
	cache_put(c, e);
	assert_int_equal(cache_get(c, 5, 1, 100, 39, 50, load_part, NULL,
				   &e), 0);
	assert_int_equal(loads, 2);
	assert_int_equal(asked_from[2], 0);
	assert_int_equal(asked[2], 100);
	d = cache_entry_data(e);
	assert_true(d[0] == 2 && d[99] == 2);
	cache_put(c, e);
	cache_free(c);
}

/* A part loaded is served while it is enough; asked for more, the whole
 * is loaded: in place when nobody holds it, else into a new entry while
 * the holder keeps reading the old one, which its put then frees. */
static void cache_loads_in_part(void **state)
{
	struct cache *c;
	struct cache_entry *e, *old;
	struct cache_stats st;
	const uint8_t *d;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(1000, &c), 0);
	assert_int_equal(cache_get(c, 1, 1, 100, 0, 10, load_part, NULL, &e), 0);
	assert_int_equal(asked[1], 10);
	cache_put(c, e);
	assert_int_equal(cache_get(c, 1, 1, 100, 0, 10, load_part, NULL, &e), 0);
	assert_int_equal(loads, 1);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[9], 1);
	cache_put(c, e);
	/* more, nobody holding it: whole, in place */
	assert_int_equal(cache_get(c, 1, 1, 100, 0, 11, load_part, NULL, &e), 0);
	assert_int_equal(loads, 2);
	assert_int_equal(asked[2], 100);
	d = cache_entry_data(e);
	assert_true(d[0] == 2 && d[99] == 2);
	cache_put(c, e);
	cache_get_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, 100);

	/* more while a reader holds the part: a new entry */
	assert_int_equal(cache_get(c, 1, 2, 100, 0, 30, load_part, NULL, &old), 0);
	assert_int_equal(cache_get(c, 1, 2, 100, 0, 100, load_part, NULL, &e), 0);
	assert_ptr_not_equal(e, old);
	assert_int_equal(((const uint8_t *)cache_entry_data(old))[29], 3);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[99], 4);
	cache_get_stats(c, &st);
	assert_int_equal(st.entries, 3);
	cache_put(c, old);
	cache_get_stats(c, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.bytes, 200);
	cache_put(c, e);
	/* the new entry is the one found */
	assert_int_equal(cache_get(c, 1, 2, 100, 0, 100, load_part, NULL, &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[0], 4);
	cache_put(c, e);
	/* read-ahead loads a part-loaded entry whole */
	assert_int_equal(cache_get(c, 1, 3, 100, 0, 1, load_part, NULL, &e), 0);
	cache_put(c, e);
	assert_int_equal(cache_load_ahead(c, 1, 3, 100, load_part, NULL), 0);
	assert_int_equal(asked[6], 100);
	assert_int_equal(cache_load_ahead(c, 1, 3, 100, load_part, NULL), 1);
	assert_int_equal(loads, 6);
	cache_get_stats(c, &st);
	assert_int_equal(st.decodes, 6);
	cache_free(c);
}

/* Entries a read went through to the end go first; read-ahead evicts
 * nothing else, so it never takes a GOP a reader is in the middle of. */
static void cache_evicts_consumed_first(void **state)
{
	struct cache *c;
	struct cache_entry *e;
	struct cache_stats st;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(400, &c), 0);
	read_part(c, 1, 0, 100);	/* read to its end */
	read_part(c, 1, 1, 50);		/* in the middle */
	read_part(c, 1, 5, 100);	/* read to its end */
	/* read-ahead fills the room left, then takes the least recent of
	 * the entries read to their end, (1, 0), never (1, 1) */
	assert_int_equal(cache_load_ahead(c, 1, 3, 100, load_fill, NULL), 0);
	assert_int_equal(cache_load_ahead(c, 1, 4, 100, load_fill, NULL), 0);
	assert_int_equal(loads, 5);
	/* and leaves a quarter of the cache to reads: unread (1, 1), (1, 3)
	 * and (1, 4) are three quarters, (1, 5) stays */
	assert_int_equal(cache_load_ahead(c, 1, 6, 100, load_fill, NULL), 1);
	assert_int_equal(loads, 5);
	cache_get_stats(c, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(cache_get(c, 1, 0, 100, 0, 100, load_fill, (void *)2,
				   &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[0], 2);
	cache_put(c, e);
	/* that read's miss took (1, 5), read to its end; (1, 0), read to
	 * its end again, goes before (1, 1), (1, 3) and (1, 4), more recent
	 * or not */
	read_part(c, 1, 7, 1);
	assert_int_equal(loads, 7);
	for (uint64_t k = 1; k <= 4; k++) {
		if (k == 2)
			continue;
		read_part(c, 1, k, 1);
	}
	assert_int_equal(loads, 7);
	cache_get_stats(c, &st);
	assert_int_equal(st.bytes, 400);
	cache_free(c);
}

/* Gets entry (1, k2) of 100 bytes whole (loaded with k2 if missing) and
 * puts it back, as a sequential reader done with it if passed; returns
 * where its bytes were. */
static const void *read_whole(struct cache *c, uint64_t k2, int passed)
{
	struct cache_entry *e;
	const void *at;

	assert_int_equal(cache_get(c, 1, k2, 100, 0, 100, load_fill,
				   (void *)(intptr_t)k2, &e), 0);
	at = cache_entry_data(e);
	assert_int_equal(((const uint8_t *)at)[99], (uint8_t)k2);
	if (passed)
		cache_put_passed(c, e);
	else
		cache_put(c, e);
	return at;
}

/*
 * A GOP a sequential reader went through gives its buffer to the next
 * GOP of its size loaded, though the budget has room: the least recent
 * such one, never the most recent (a late read for it may come), nor
 * one another read holds or one no sequential reader passed.
 */
static void cache_recycles_what_a_sequential_reader_passed(void **state)
{
	struct cache *c;
	struct cache_entry *held;
	struct cache_stats st;
	const void *b1, *b2;

	(void)state;
	assert_int_equal(cache_new(10000, &c), 0);
	b1 = read_whole(c, 1, 1);
	(void)read_whole(c, 2, 0);
	/* the only one passed: it stays, the new entry takes fresh memory */
	assert_ptr_not_equal(read_whole(c, 3, 0), b1);
	cache_get_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 0);
	/* 4 is passed too: 1, the least recent, goes to 5 */
	b2 = read_whole(c, 4, 1);
	assert_ptr_equal(read_whole(c, 5, 0), b1);
	cache_get_stats(c, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.bytes, 400);
	/* 1 is gone: read again, it is loaded again */
	loads = 0;
	(void)read_whole(c, 1, 0);
	assert_int_equal(loads, 1);
	/* 4, the one passed, is held by a reader: 6 takes fresh memory */
	assert_int_equal(cache_get(c, 1, 4, 100, 0, 100, load_fill,
				   (void *)4, &held), 0);
	assert_ptr_not_equal(read_whole(c, 6, 0), b2);
	cache_put(c, held);
	/* with 7 passed after 4, an entry of another size takes neither */
	(void)read_whole(c, 7, 1);
	assert_int_equal(cache_get(c, 2, 1, 50, 0, 50, load_fill, (void *)9,
				   &held), 0);
	cache_put(c, held);
	cache_get_stats(c, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.entries, 8);
	/* and the next of its size takes 4's */
	assert_ptr_equal(read_whole(c, 8, 0), b2);
	cache_get_stats(c, &st);
	assert_int_equal(st.evictions, 2);
	cache_free(c);
}

static struct cache *ahead_cache;

static void *gated_ahead(void *arg)
{
	return (void *)(intptr_t)cache_load_ahead(ahead_cache, 7, 9, 100,
						  load_gated, arg);
}

/*
 * A read's load makes no room for a read-ahead load in flight: it would
 * evict the GOPs other readers are in the middle of, and they, reading
 * on, each other's (four readers in a cache of four GOPs decoded 65 GOPs
 * for 8 read).
 */
static void cache_reads_make_no_room_for_ahead_in_flight(void **state)
{
	struct cache_stats st;
	pthread_t t;
	void *ret;

	(void)state;
	gate_reset();
	assert_int_equal(cache_new(400, &ahead_cache), 0);
	for (uint64_t k = 0; k < 2; k++) {	/* two readers, mid-GOP */
		read_part(ahead_cache, 7, k, 50);
	}
	pthread_create(&t, NULL, gated_ahead, NULL);
	await_loads(3);
	/* two more readers: 400 held, and read-ahead's 100 in flight */
	for (uint64_t k = 2; k < 4; k++) {
		read_part(ahead_cache, 7, k, 50);
	}
	cache_get_stats(ahead_cache, &st);
	assert_int_equal(st.evictions, 0);
	__atomic_store_n(&gate_released, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, &ret);
	assert_null(ret);
	/* over the budget once in: its own put lets the guess go, not a
	 * GOP a reader is in; the four read on */
	cache_get_stats(ahead_cache, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.bytes, 400);
	for (uint64_t k = 0; k < 4; k++) {
		read_part(ahead_cache, 7, k, 60);
	}
	assert_int_equal(loads, 5);
	/* the first goes through its GOP and on to the next, whose load
	 * takes the GOP it left */
	read_part(ahead_cache, 7, 0, 100);
	read_part(ahead_cache, 7, 5, 10);
	for (uint64_t k = 1; k < 4; k++) {
		read_part(ahead_cache, 7, k, 70);
	}
	assert_int_equal(loads, 6);
	cache_get_stats(ahead_cache, &st);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(st.bytes, 400);
	cache_free(ahead_cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cache_hit_after_miss),
		cmocka_unit_test(cache_evicts_lru_within_budget),
		cmocka_unit_test(cache_one_decode_for_concurrent_readers),
		cmocka_unit_test(cache_failure_is_remembered),
		cmocka_unit_test(cache_transient_failure_is_retried),
		cmocka_unit_test(cache_waiter_loads_after_a_transient_failure),
		cmocka_unit_test(cache_load_ahead_skips_what_others_load),
		cmocka_unit_test(cache_hands_out_first_bytes_while_loading),
		cmocka_unit_test(cache_makes_room_before_a_load),
		cmocka_unit_test(cache_counts_loads_in_progress),
		cmocka_unit_test(cache_loads_in_part),
		cmocka_unit_test(cache_loads_a_middle_part),
		cmocka_unit_test(cache_evicts_consumed_first),
		cmocka_unit_test(cache_reads_make_no_room_for_ahead_in_flight),
		cmocka_unit_test(cache_recycles_what_a_sequential_reader_passed),
	};

	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
