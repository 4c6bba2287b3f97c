/* SPDX-License-Identifier: MIT */
/* Reading back the values of an exactly stored (lz4) variable of the store, for appends (internal to ingest/). */
#ifndef CUBEFS_INGEST_STORED_H
#define CUBEFS_INGEST_STORED_H

#include "catalog/catalog.h"

/*
 * Reads every value of variable v of a dataset loaded from c (stored
 * VAR_STORE_LZ4) into dst, catalog_var_elems(v) native-order values of
 * its dtype, GOP by GOP: payloads read from their packs, crc32 checked,
 * decoded. Returns 0, -EINVAL (not stored exactly), -EIO (damaged:
 * logged, naming the variable) or another negative errno.
 */
int stored_read_exact(struct catalog *c, const struct cat_var *v, void *dst);

#endif
