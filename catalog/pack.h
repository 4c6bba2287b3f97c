/* SPDX-License-Identifier: MIT */
/* Pack files: append-only payload files under packs/, written then fsynced, read with pread. */
#ifndef CUBEFS_CATALOG_PACK_H
#define CUBEFS_CATALOG_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pack_writer;
struct pack_reader;

/*
 * Creates a new, uniquely named pack file under dir/packs/ (mode 0600).
 * Returns 0 or a negative errno (logged). One thread at a time.
 */
int pack_writer_new(const char *store_dir, struct pack_writer **out);

/* Appends len bytes; stores their offset in *offset. -ENOSPC etc. */
int pack_append(struct pack_writer *w, const void *buf, size_t len,
		uint64_t *offset);

/*
 * Drops the bytes appended after the first size (an import that encodes
 * a variable again). Returns 0, -EINVAL if size is past the end, or a
 * negative errno (logged).
 */
int pack_writer_truncate(struct pack_writer *w, uint64_t size);

/* fsyncs the file and the packs/ directory: after 0 the bytes are durable. */
int pack_writer_sync(struct pack_writer *w);

/* The file name under packs/ and the bytes written so far. */
const char *pack_writer_name(const struct pack_writer *w);
uint64_t pack_writer_size(const struct pack_writer *w);

/*
 * Closes the writer. With keep == 0 the file is removed (a failed
 * import leaves no pack bytes behind). NULL does nothing.
 */
void pack_writer_free(struct pack_writer *w, int keep);

/* 0 if name is a plain pack file name (no '/', no "..", ends ".pack"). */
int pack_name_valid(const char *name);

/* A reader of many packs of one store; thread-safe. */
int pack_reader_new(const char *store_dir, struct pack_reader **out);
void pack_reader_free(struct pack_reader *r);

/* Tells the reader the file name of pack id (validated). */
int pack_reader_add(struct pack_reader *r, int64_t id, const char *name);

/*
 * Reads exactly len bytes at offset of pack id into buf. Returns 0, -EIO
 * for a missing file, an unknown id or a short read (the region is not
 * there), or another negative errno: a failure to open the file for want
 * of descriptors or memory (-EMFILE, -ENFILE, -ENOMEM, -EINTR, -EAGAIN)
 * is returned as itself and the open tried again by the next call. Only
 * a regular file in packs/ is read: a symbolic link or anything but a
 * regular file there is refused (logged, then -EIO), so no row reaches
 * outside the store. Thread-safe.
 */
int pack_pread(struct pack_reader *r, int64_t id, void *buf, size_t len,
	       uint64_t offset);

#endif
