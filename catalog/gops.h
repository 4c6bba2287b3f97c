/* SPDX-License-Identifier: MIT */
/* The frame -> GOP layout of a view, from the rows alone: where each GOP starts. */
#ifndef CUBEFS_CATALOG_GOPS_H
#define CUBEFS_CATALOG_GOPS_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"

/*
 * The first frame of each GOP of view w of dataset ds, sorted and
 * without repeats: the union over the view's variables of two or more
 * dims (a variable's streams, and the variables of an .nc view, may cut
 * their frames at different places; the union is where any decode unit
 * begins). Nothing is decoded. On success *out (owned by the caller,
 * free() it; NULL when *n is 0) holds *n frame numbers and 0 is
 * returned. -ENODATA: the view has no frame axis (no such variable, or
 * variables whose first dims differ); -ENOMEM. Thread-safe for rows
 * nobody changes.
 */
int catalog_view_gops(const struct cat_dataset *ds, const struct cat_view *w,
		      uint32_t **out, size_t *n);

/*
 * The list of catalog_view_gops() as text: frame numbers in ASCII
 * decimal separated by single spaces ("0 16 32"), no newline nor NUL
 * counted. Returns the length and *text (malloc'd, NUL-terminated,
 * the caller's), or -ENODATA / -ENOMEM as catalog_view_gops().
 */
int catalog_view_gops_text(const struct cat_dataset *ds,
			   const struct cat_view *w, char **text);

#endif
