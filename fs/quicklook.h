/* SPDX-License-Identifier: MIT */
/* The quick-look "<dataset>.png" of each dataset: bands and time step chosen, rendered once, kept. */
#ifndef CUBEFS_FS_QUICKLOOK_H
#define CUBEFS_FS_QUICKLOOK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "catalog/catalog.h"
#include "fs/reader.h"

struct quicklook;

/*
 * Checks the rgb= mount option: three variable names or three band
 * indices (from 0), comma-separated ("B4,B3,B2", "3,2,1"); a name with
 * '=' is refused (it is the next option of a list where rgb= has two
 * bands). Returns 0 or -EINVAL.
 */
int quicklook_rgb_valid(const char *rgb);

/*
 * Makes the keeper of quick-looks. rgb (may be NULL) is copied: with it,
 * datasets that have the three variables (same picture size and frame
 * count) or, by index, a first cube variable with those bands show them
 * as red, green and blue; every other dataset shows its first cube
 * variable (first band) through a colour map. PNG bytes are kept up to
 * `keep` bytes in all (the least recently read are dropped first; their
 * sizes are kept, rendering again gives the same bytes). Returns 0,
 * -EINVAL for a bad rgb, or -ENOMEM.
 */
int quicklook_new(const char *rgb, size_t keep, struct quicklook **out);

/* Frees everything; NULL does nothing. */
void quicklook_free(struct quicklook *q);

/* 1 if ds has a variable to draw (2 or more dims, not empty), else 0. */
int quicklook_has(const struct cat_dataset *ds);

/*
 * The time step drawn: in the GOP that holds the middle frame (the one
 * decode a quick-look costs), the frame with the most valid values in
 * the chosen bands, the nearest to the middle among equals. Rows of a
 * y coordinate that increases (latitudes south to north) are flipped,
 * so that north is up.
 *
 * quicklook_size() renders the picture of ds if it was not yet (or ds
 * changed since: its mtime) and gives its exact size in bytes;
 * quicklook_read() copies up to len bytes from off (short only at the
 * end). Both return 0 / bytes or a negative errno: -EIO when a GOP the
 * picture needs is missing or corrupt (remembered until ds changes),
 * -ENOMEM. The caller keeps ds alive (holds the tree's read lock).
 * Thread-safe; one render of a dataset at a time, others wait for it.
 */
int quicklook_size(struct quicklook *q, struct reader *r,
		   const struct cat_dataset *ds, uint64_t *size);
ssize_t quicklook_read(struct quicklook *q, struct reader *r,
		       const struct cat_dataset *ds, void *buf, size_t len,
		       uint64_t off);

#endif
