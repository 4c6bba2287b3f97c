/* SPDX-License-Identifier: MIT */
/* Reader leases: each mount says in STORE/readers/ which catalog generation it serves, so that gc keeps what it may read. */
#ifndef CUBEFS_STORE_LEASE_H
#define CUBEFS_STORE_LEASE_H

#include <stdint.h>
#include <time.h>

/*
 * A lease is a file STORE/readers/<host>.<pid>.<start ns> holding one
 * line "host pid generation". Its holder rewrites it every
 * STORE_LEASE_RENEW seconds; one not rewritten for STORE_LEASE_TTL
 * seconds belongs to a reader that died (or lost the store) and counts
 * no more. The files are plain files, so leases work on network file
 * systems shared by many machines, where locks and shared memory may not.
 */
#define STORE_LEASE_RENEW 10
#define STORE_LEASE_TTL 60

struct store_lease;

/* What the holder serves now: the generation of the rows it has loaded. */
typedef uint64_t (*store_lease_gen_fn)(void *arg);

/*
 * Takes a lease on the store in dir for a reader whose generation gen_fn
 * tells, and starts a thread that renews it every STORE_LEASE_RENEW
 * seconds (gen_fn is called from that thread, and must be thread-safe).
 * Returns 0, -EROFS (not logged) where the store cannot be written (a
 * read-only share: gc, which needs a writable store, cannot run there
 * either), or another negative errno (logged); *out is NULL on failure.
 */
int store_lease_start(const char *dir, store_lease_gen_fn gen_fn, void *arg,
		      struct store_lease **out);

/* Writes the lease again now, with gen_fn's generation (after a reload,
 * so that gc need not wait for the next renewal). Thread-safe. */
void store_lease_renew(struct store_lease *l);

/* Stops the renewal and removes the lease file; NULL does nothing. */
void store_lease_stop(struct store_lease *l);

/* A live reader that serves an older generation than the store's. */
struct store_reader {
	char host[64];
	long pid;
	uint64_t gen;
	time_t renewed;
};

/*
 * Scans the leases of the store in dir at time now: counts in *behind the
 * live ones (renewed within ttl seconds) that serve a generation older
 * than gen, and describes the oldest of them in *oldest (if any). With
 * remove_stale, lease files not renewed for ttl seconds are removed.
 * A store without readers/ has no leases. Returns 0 or a negative errno
 * (logged); a lease file that cannot be parsed counts as behind, with
 * generation 0 (a reader gc knows nothing of is not robbed).
 */
int store_leases_behind(const char *dir, uint64_t gen, time_t now, int ttl,
			int remove_stale, uint64_t *behind,
			struct store_reader *oldest);

#endif
