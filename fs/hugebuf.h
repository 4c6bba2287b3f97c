/* SPDX-License-Identifier: MIT */
/* Buffers of a few MiB and more mapped in transparent huge pages. */
#ifndef CUBEFS_FS_HUGEBUF_H
#define CUBEFS_FS_HUGEBUF_H

#include <stddef.h>

#define HUGEBUF_PAGE (2u << 20)         /* a transparent huge page */

/*
 * A private anonymous mapping of size bytes (rounded up to huge pages),
 * aligned to a huge page and marked MADV_HUGEPAGE, or NULL. Filling a
 * fresh one faults in one page per 2 MiB instead of one per 4 KiB, which
 * matters for buffers of a GOP's size filled once each. Its bytes start
 * as zeros. Thread-safe.
 */
void *hugebuf_map(size_t size);

/* Unmaps what hugebuf_map(size) returned; NULL does nothing. */
void hugebuf_unmap(void *p, size_t size);

#endif
