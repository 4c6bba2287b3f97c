/* SPDX-License-Identifier: MIT */
/* Garbage collection of a store: unreferenced packs, orphan pack files, dead pack ranges. */
#ifndef CUBEFS_STORE_GC_H
#define CUBEFS_STORE_GC_H

#include <stdint.h>

#include "catalog/catalog.h"
#include "store/lease.h"

/*
 * A pack file without a catalog row is removed only once it has not been
 * modified for this many seconds: a live import writes its pack before the
 * row exists (the row is committed with the dataset, after the last
 * append and fsync), so a recent file may still be on its way in.
 */
#define STORE_GC_ORPHAN_AGE 600

/* Bytes are disk space (st_blocks), which is what a collection returns. */
struct store_gc_report {
	uint64_t packs_removed;         /* pack rows no gop or mask used */
	uint64_t packs_bytes;           /* ... and the space of their files */
	uint64_t orphans_removed;       /* pack files with no row at all */
	uint64_t orphans_bytes;
	uint64_t orphans_kept;          /* ... kept: recent, or open elsewhere */
	uint64_t holes_punched;         /* dead ranges of referenced packs */
	uint64_t holes_bytes;
	uint64_t bytes_reclaimed;       /* the three byte counts added up */
	uint64_t punch_unsupported;     /* packs whose filesystem refused */
	uint64_t readers_behind;        /* live leases of an older generation:
					   packs and ranges kept for them */
	struct store_reader oldest;     /* the oldest of those readers */
};

/*
 * Collects the garbage of the store c was opened on, in one write
 * transaction (BEGIN IMMEDIATE: no import commits meanwhile; -EBUSY if
 * the catalog stays locked beyond SQLite's busy timeout). While a live
 * reader (store/lease.h) serves an older generation than the catalog's,
 * the bytes that generation's rows reached may still be read: steps 1 and
 * 3 are then skipped (counted in readers_behind, the oldest such reader
 * in oldest), and only step 2 runs. Lease files of dead readers are
 * removed (not in a dry run).
 *
 * 1. pack rows that no gop or mask row references: their files under
 *    packs/ are removed, then the rows deleted;
 * 2. regular files in packs/ with a pack file name (pack_name_valid())
 *    and no pack row, i.e. left by an import that crashed before its
 *    commit: removed if unmodified for STORE_GC_ORPHAN_AGE seconds and,
 *    where the kernel can tell (a write lease), open in no process;
 *    others are counted in orphans_kept and left alone;
 * 3. in each referenced pack, the byte ranges outside every gop and mask
 *    [offset, offset + length), up to the pack row's recorded size, are
 *    given back to the filesystem with FALLOC_FL_PUNCH_HOLE |
 *    FALLOC_FL_KEEP_SIZE, 4 KiB aligned inward. Live bytes do not move,
 *    offsets stay valid, no row changes. Ranges that are already holes
 *    (SEEK_DATA) are not counted again. A filesystem that refuses
 *    (EOPNOTSUPP) is counted in punch_unsupported and logged once.
 *
 * Every pack name in the catalog is checked with pack_name_valid() before
 * anything is touched: one invalid name (a damaged or hostile catalog)
 * fails the whole collection with -EUCLEAN and changes nothing. Files
 * are reached only through a descriptor of STORE/packs (unlinkat,
 * openat with O_NOFOLLOW): nothing outside packs/ is touched.
 *
 * With dry_run nothing is changed (a read transaction: c may be opened
 * CATALOG_RDONLY) and r counts what a collection would do now.
 *
 * Returns 0 or a negative errno (logged). On failure the catalog is
 * unchanged; files already removed or holes already punched held only
 * dead bytes, and a later collection finishes the work. r (zeroed first)
 * counts what was done either way.
 *
 * A mount started before a dataset was deleted still holds that
 * dataset's ranges: collect only when no such mount is running. One
 * thread at a time per handle, as for every catalog call.
 */
int store_gc(struct catalog *c, int dry_run, struct store_gc_report *r);

/*
 * 1 if another descriptor has the file fd is open on (a writer may be at
 * work), 0 if none has, -1 if the kernel cannot tell (leases unsupported
 * or refused, network filesystems).
 */
int store_gc_open_elsewhere(int fd);

#endif
