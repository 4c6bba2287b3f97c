/* SPDX-License-Identifier: MIT */
/* Tests of what the decoded-GOP cache gives up and when: room made before a load, eviction classes, recycled buffers. */
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

/* A window read (cache_get_window()) that reaches an entry's end leaves
 * it among those a read is in the middle of: the least recently read of
 * those goes, not the window's GOP, as a plain read's would. */
static void cache_keeps_what_a_window_read_finished(void **state)
{
	struct cache *c;
	struct cache_entry *e;

	(void)state;
	loads = 0;
	assert_int_equal(cache_new(200, &c), 0);
	read_part(c, 1, 0, 50);         /* in the middle, older */
	assert_int_equal(cache_get_window(c, 1, 1, 100, 0, 100, 1, load_fill,
					  (void *)3, &e), 0);
	cache_put(c, e);
	read_part(c, 1, 2, 1);          /* a miss: (1, 0) goes */
	assert_int_equal(loads, 3);
	assert_int_equal(cache_get_window(c, 1, 1, 100, 0, 10, 1, load_fill,
					  NULL, &e), 0);
	assert_int_equal(((const uint8_t *)cache_entry_data(e))[0], 3);
	cache_put(c, e);
	assert_int_equal(loads, 3);
	/* the same with a plain read to the end: that entry goes first */
	assert_int_equal(cache_get(c, 1, 1, 100, 50, 100, load_fill, NULL,
				   &e), 0);
	cache_put(c, e);
	read_part(c, 1, 2, 1);
	read_part(c, 1, 3, 1);          /* a miss: (1, 1), read to its end,
					   goes */
	read_part(c, 1, 2, 1);
	assert_int_equal(loads, 4);
	read_part(c, 1, 1, 1);
	assert_int_equal(loads, 5);
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cache_makes_room_before_a_load),
		cmocka_unit_test(cache_counts_loads_in_progress),
		cmocka_unit_test(cache_evicts_consumed_first),
		cmocka_unit_test(cache_keeps_what_a_window_read_finished),
		cmocka_unit_test(cache_reads_make_no_room_for_ahead_in_flight),
		cmocka_unit_test(cache_recycles_what_a_sequential_reader_passed),
	};

	return cmocka_run_group_tests_name("cache_evict", tests, NULL, NULL);
}
