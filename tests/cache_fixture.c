/* SPDX-License-Identifier: MIT */
/* What the cache tests share: loaders that fill, count and wait at a gate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/cache_fixture.h"

int loads;

int load_fill(void *arg, struct cache_entry *e, void *dst, size_t size,
	      size_t *from, size_t *valid)
{
	(void)e;
	(void)valid;
	__atomic_fetch_add(&loads, 1, __ATOMIC_SEQ_CST);
	memset(dst, (int)(intptr_t)arg, size);
	*valid = size;
	return 0;
}

void read_part(struct cache *c, uint64_t k1, uint64_t k2, size_t need)
{
	struct cache_entry *e;

	assert_int_equal(cache_get(c, k1, k2, 100, 0, need, load_fill,
				   (void *)1, &e), 0);
	cache_put(c, e);
}

int gate_released, gate_done;

void gate_reset(void)
{
	loads = 0;
	gate_released = gate_done = 0;
}

void await_loads(int n)
{
	while (__atomic_load_n(&loads, __ATOMIC_SEQ_CST) < n)
		usleep(1000);
}

int load_gated(void *arg, struct cache_entry *e, void *dst, size_t size,
	       size_t *from, size_t *valid)
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
