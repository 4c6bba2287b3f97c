/* SPDX-License-Identifier: MIT */
/* cubefs verify's fidelity lines: exact coordinates and categories, exact-value positions, valid ranges. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/fidcheck.h"
#include "ingest/fidelity.h"

void fidcheck_add(struct fidcheck *c, const struct cat_var *v,
		  const void *src_raw, const void *got_raw, const double *src,
		  const double *got, size_t n)
{
	size_t isz = dtype_size(v->dtype);

	c->n += n;
	for (size_t i = 0; i < n; i++) {
		int in;

		c->bytes_differ += memcmp((const char *)src_raw + i * isz,
					  (const char *)got_raw + i * isz,
					  isz) != 0;
		for (int k = 0; k < v->nexact; k++) {
			int was = src[i] == v->exact[k];
			int is = got[i] == v->exact[k];

			c->src_n[k] += was;
			c->kept[k] += was && is;
			c->gained[k] += !was && is;
		}
		if (!v->has_valid || isnan(src[i]))
			continue;
		in = src[i] >= v->valid_lo && src[i] <= v->valid_hi;
		c->src_outside += !in;
		c->outside += in && !(got[i] >= v->valid_lo &&
				      got[i] <= v->valid_hi);
	}
}

int fidcheck_report(const struct fidcheck *c, const struct cat_var *v)
{
	int bad = 0;

	if (v->role != VAR_ROLE_DATA) {
		printf("  %s exact: %s", fidelity_role_name(v->role),
		       c->bytes_differ ? "no" : "yes");
		if (c->bytes_differ)
			printf(" (%llu values differ)",
			       (unsigned long long)c->bytes_differ);
		printf("\n");
		bad |= c->bytes_differ != 0;
	}
	for (int k = 0; k < v->nexact; k++) {
		uint64_t changed = c->src_n[k] - c->kept[k] + c->gained[k];

		printf("  exact value %.9g: %llu positions, %s; %.4f%% of "
		       "values changed to or from it\n", v->exact[k],
		       (unsigned long long)c->src_n[k],
		       changed ? "not all kept" : "all kept",
		       c->n ? 100.0 * (double)changed / (double)c->n : 0.0);
		bad |= changed != 0;
	}
	if (v->has_valid) {
		printf("  valid range %.9g to %.9g: %llu values outside "
		       "(%llu in the source)\n", v->valid_lo, v->valid_hi,
		       (unsigned long long)c->outside,
		       (unsigned long long)c->src_outside);
		bad |= c->outside != 0;
	}
	return bad;
}
