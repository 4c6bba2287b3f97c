/* SPDX-License-Identifier: MIT */
/* Tests of the decoded-GOP cache: hits, LRU eviction by bytes, one decode for many waiters, failures, parts. */
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
#include "tests/cache_fixture.h"

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

/* A GOP larger than the whole budget stays, alone, until another comes. */
static void cache_keeps_one_entry_over_budget(void **state)
{
	struct cache *c;
	struct cache_entry *e;
	struct cache_stats st;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(100, &c), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(cache_get(c, 1, 2, 300, 0, 300, load_fill,
					   (void *)7, &e), 0);
		cache_put(c, e);
	}
	cache_get_stats(c, &st);
	assert_int_equal(loads, 1);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.bytes, 300);
	assert_int_equal(cache_get(c, 1, 3, 300, 0, 300, load_fill, (void *)8,
				   &e), 0);
	cache_put(c, e);
	cache_get_stats(c, &st);
	assert_int_equal(loads, 2);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.bytes, 300);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cache_hit_after_miss),
		cmocka_unit_test(cache_keeps_one_entry_over_budget),
		cmocka_unit_test(cache_evicts_lru_within_budget),
		cmocka_unit_test(cache_one_decode_for_concurrent_readers),
		cmocka_unit_test(cache_failure_is_remembered),
		cmocka_unit_test(cache_transient_failure_is_retried),
		cmocka_unit_test(cache_waiter_loads_after_a_transient_failure),
		cmocka_unit_test(cache_load_ahead_skips_what_others_load),
		cmocka_unit_test(cache_hands_out_first_bytes_while_loading),
		cmocka_unit_test(cache_loads_in_part),
		cmocka_unit_test(cache_loads_a_middle_part),
	};

	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
