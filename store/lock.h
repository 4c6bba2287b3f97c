/* SPDX-License-Identifier: MIT */
/* The store's write lock: one writer at a time, on one machine or many. */
#ifndef CUBEFS_STORE_LOCK_H
#define CUBEFS_STORE_LOCK_H

#include <stddef.h>

/*
 * Every process that changes a store (a read-write mount, import, gc,
 * check --repair) holds its write lock while it may write; readers never
 * touch it. The lock is an fcntl write lock on STORE/lock (an open file
 * description lock where the kernel has them, else a POSIX record lock),
 * which network file systems with locking (NFS, CephFS, Lustre, GlusterFS)
 * carry between machines and which the kernel drops when its holder dies:
 * a crashed writer never leaves the store locked. The file's text, "HOST
 * PID SINCE" (the time in ISO 8601 UTC), only names the holder in the
 * message a second writer gets.
 */
struct store_lock;

/* The name of the lock file inside a store. */
#define STORE_LOCK_FILE "lock"

/*
 * Takes the write lock of the store in store_dir without waiting:
 * creates STORE/lock (0644) if absent, locks it, and writes the holder's
 * text into it (truncated, written, fsynced). *out is the caller's, for
 * store_lock_release().
 *
 * Fails with -EAGAIN when another process (or another handle of this
 * one) holds the lock, logging "store 'DIR' is locked for writing by
 * HOST:PID since TIME"; with -ENOENT, not logged, when store_dir holds no
 * catalog.db (not a store: opening the catalog says why); or with the
 * errno of the failing call (-EROFS, -EACCES, -ENOLCK, ...), logged.
 * *out is NULL on failure and nothing is left locked. Thread-safe.
 */
int store_lock_take(const char *store_dir, struct store_lock **out);

/*
 * Keeps the lock across fork() in the child that goes on (a daemon):
 * an open file description lock is the child's already, a POSIX lock
 * (the fallback of old kernels) is not inherited and is taken again,
 * retried for a few seconds while the parent exits. The text then names
 * the child. Returns 0, or a negative errno (logged): -EAGAIN if another
 * writer took the lock meanwhile.
 */
int store_lock_after_fork(struct store_lock *l);

/*
 * Empties the holder's text, releases the lock and frees l; NULL does
 * nothing. Never fails: the kernel drops the lock with the descriptor.
 */
void store_lock_release(struct store_lock *l);

/*
 * The holder named by STORE/lock, for messages: "by HOST:PID since TIME",
 * or "by another process" when the text is missing or not one a holder
 * writes (it is written just after the lock is taken). Into buf of cap
 * bytes; does not look at the lock itself.
 */
void store_lock_holder(const char *store_dir, char *buf, size_t cap);

#endif
