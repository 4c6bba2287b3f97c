/* SPDX-License-Identifier: MIT */
/* What the cache tests share: loaders that fill, count and wait at a gate. */
#ifndef CUBEFS_TESTS_CACHE_FIXTURE_H
#define CUBEFS_TESTS_CACHE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "fs/cache.h"

/* Loads started since the test's reset (counted by the loaders below). */
extern int loads;
/* The gate load_gated() waits at, and whether a gated load has ended. */
extern int gate_released, gate_done;

/* Fills the entry with the byte arg (a cache_load_fn), counting loads. */
int load_fill(void *arg, struct cache_entry *e, void *dst, size_t size,
	      size_t *from, size_t *valid);

/* Fills with 5 once gate_released is set (or after 5 s, so that a bug
 * cannot hang), counting loads; sets gate_done. */
int load_gated(void *arg, struct cache_entry *e, void *dst, size_t size,
	       size_t *from, size_t *valid);

/* A read of the first `need` bytes of entry (k1, k2) of 100 bytes
 * (loaded with 1s if missing), which must succeed; the reference is
 * put back. */
void read_part(struct cache *c, uint64_t k1, uint64_t k2, size_t need);

/* A test's loads counted from 0, and the gate closed. */
void gate_reset(void);

/* Until n loads have started (in other threads). */
void await_loads(int n);

#endif
