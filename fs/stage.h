/* SPDX-License-Identifier: MIT */
/* Staging journals: writes to a file kept in staging/ until they are committed to the store. */
#ifndef CUBEFS_FS_STAGE_H
#define CUBEFS_FS_STAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stage;

enum { STAGE_EDIT = 1, STAGE_NEW = 2 };

/*
 * Opens (creating) the journal of `key` in store_dir/staging: an edit
 * journal of an existing view of `size` bytes (only written ranges are
 * kept), or a new file (the journal is the whole file). Files are 0600.
 * `name` is the file's name in the mount, recorded for recovery. An
 * existing journal of that key is reopened with what it holds. Returns 0
 * or a negative errno. The stage is not thread-safe: callers lock.
 */
int stage_open(const char *store_dir, const char *key, int kind,
	       const char *name, uint64_t size, struct stage **out);

/*
 * Sets the journal aside for good (its files renamed "<key>.data.rejected"
 * and "<key>.log.rejected"): kept for a person to recover, never retried.
 */
void stage_reject(struct stage *st);

/* The same for the journal of key that stage_open() refused (-EUCLEAN). */
void stage_reject_key(const char *store_dir, const char *key);

/*
 * Gives a new file's journal another file name (its log rewritten whole
 * and renamed over the old, so that a crash leaves one name or the
 * other). -EINVAL for an edit journal; on failure nothing changed.
 */
int stage_rename(struct stage *st, const char *name);

/* Closes the journal; with discard, its files are removed. */
void stage_free(struct stage *st, int discard);

int stage_kind(const struct stage *st);
const char *stage_name(const struct stage *st);
uint64_t stage_size(const struct stage *st);

/* Path of the data file (a new file's whole content). */
const char *stage_data_path(const struct stage *st);

/* 1 if any byte was written or the size changed. */
int stage_dirty(const struct stage *st);

/* Writes len bytes at off; returns len or a negative errno (-ENOSPC). */
ssize_t stage_write(struct stage *st, const void *buf, size_t len,
		    uint64_t off);

/* Sets the file's size (truncate, or extend with zeros). */
int stage_truncate(struct stage *st, uint64_t size);

/*
 * Copies the staged bytes of [off, off + len) over buf (bytes nobody
 * wrote are left as they are; past a truncation they become zeros).
 * Returns 0 or a negative errno.
 */
int stage_overlay(struct stage *st, void *buf, size_t len, uint64_t off);

/* Makes everything written so far durable (data, then the range log). */
int stage_sync(struct stage *st);

/* Calls fn for each written range, in order. */
int stage_each_range(const struct stage *st,
		     int (*fn)(void *arg, uint64_t off, uint64_t len),
		     void *arg);

/* Lists journals left in store_dir/staging: fn(key, kind, name, size). */
int stage_scan(const char *store_dir,
	       int (*fn)(void *arg, const char *key, int kind,
			 const char *name, uint64_t size), void *arg);

#endif
