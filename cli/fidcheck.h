/* SPDX-License-Identifier: MIT */
/* What cubefs verify checks beyond the error: exact coordinates and categories, exact values, valid ranges. */
#ifndef CUBEFS_CLI_FIDCHECK_H
#define CUBEFS_CLI_FIDCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"

struct fidcheck {
	uint64_t n;
	uint64_t bytes_differ;          /* elements not byte-equal */
	uint64_t src_n[CAT_EXACT_MAX];  /* source positions of exact value k */
	uint64_t kept[CAT_EXACT_MAX];   /* of those, read back as it */
	uint64_t gained[CAT_EXACT_MAX]; /* others read back as it */
	uint64_t outside;               /* read back outside the valid range
					   where the source was inside */
	uint64_t src_outside;           /* source values outside it */
};

/* Adds n elements of variable v: src and got as stored bytes (native
 * order) and as doubles. */
void fidcheck_add(struct fidcheck *c, const struct cat_var *v,
		  const void *src_raw, const void *got_raw, const double *src,
		  const double *got, size_t n);

/* Prints what c found for v (lines after verify's own); returns 1 if a
 * promise was broken (a coordinate or category not exact, an exact value
 * moved, a value outside the valid range), else 0. */
int fidcheck_report(const struct fidcheck *c, const struct cat_var *v);

#endif
